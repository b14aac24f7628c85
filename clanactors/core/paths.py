"""Where the top-level `web/` and `migrations/` folders live at run time.

In a source checkout (and an editable install) they sit beside the package; a plain
`pip install .` ships them as data files under `<prefix>/share/clanactors/`.
"""

from __future__ import annotations

import sys
import sysconfig
from functools import cache
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def _candidates(name: str) -> list[Path]:
    roots = [_SOURCE_ROOT]
    for prefix in {sysconfig.get_path("data"), sys.prefix, sys.base_prefix}:
        roots.append(Path(prefix) / "share" / "clanactors")
    return [root / name for root in roots]


@cache
def resource_dir(name: str) -> Path:
    """Return the folder `web` or `migrations`, wherever this install put it."""
    for path in _candidates(name):
        if path.is_dir():
            return path
    tried = ", ".join(str(p) for p in _candidates(name))
    raise FileNotFoundError(f"clanactors {name}/ folder not found (looked in {tried})")


def web_dir() -> Path:
    return resource_dir("web")


def migrations_dir() -> Path:
    return resource_dir("migrations")
