"""The accessibility check the browser tests rely on can fail: axe-core finds what is
wrong on a page made wrong on purpose."""

from __future__ import annotations

import pytest

from tests.web.axe import serious_violations

pytestmark = pytest.mark.browser


def test_axe_finds_serious_violations(page: object) -> None:
    page.set_content('<html><body><img src="x.png"><button></button></body></html>')  # type: ignore[attr-defined]
    found = serious_violations(page)
    assert any(v.startswith("image-alt") for v in found), found
    assert any(v.startswith("button-name") for v in found), found
