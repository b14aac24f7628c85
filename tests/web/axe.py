"""axe-core in a Playwright page: the serious and critical accessibility violations.

axe's source (shipped in the axe-playwright-python wheel, nothing fetched at run time) is
evaluated through DevTools, so the page's Content-Security-Policy does not apply to it and
no inline script is added to the page."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any


@cache
def _source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


def serious_violations(page: Any) -> list[str]:
    """`rule: target` for each serious or critical violation axe finds on the page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {node['target']}"
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical")
        for node in v["nodes"]
    ]
