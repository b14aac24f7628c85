"""Docs that match the code: SECURITY.md lists everything the server exposes, and no
comment or document points at a document the repository does not hold."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from clanactors.server.app import make_app
from clanactors.server.base import WebContext
from clanactors.server.hub import Hub
from clanactors.store.db import Database

ROOT = Path(__file__).parent.parent
SECURITY = ROOT / "SECURITY.md"
TEXT = {".py", ".md", ".js", ".css", ".html", ".conf", ".cfg", ".toml", ".ini", ".yaml", ""}


def served_paths() -> list[str]:
    """Every route of the real application, `{id}` where it takes an id."""
    db = Database("sqlite://")
    try:
        app = make_app(WebContext(db, Hub()))
    finally:
        db.dispose()
    paths = []
    for rule in app.wildcard_router.rules:
        pattern = rule.matcher.regex.pattern.removesuffix("$")
        paths.append(re.sub(r"\(([^()]*)\)", _group, pattern).replace("\\.", "."))
    return paths


def _group(match: re.Match[str]) -> str:
    """A regex group as docs write it: a literal (`favicon\\.ico`) as itself, else `{id}`."""
    inner = match.group(1)
    return inner.replace("\\", "") if re.fullmatch(r"[\w\\.]+", inner) else "{id}"


def test_security_lists_every_path_the_server_answers() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    paths = served_paths()
    assert {"/roster", "/feed.atom", "/metrics", "/ws"} <= set(paths)
    listed = [p for p in paths if f"`{p}`" in text or f"`{p.removesuffix('{id}')}`" in text]
    api = [p for p in paths if p.startswith("/api/")] if "`/api/`" in text else []
    assert [p for p in paths if p not in listed and p not in api] == []


def test_security_names_every_frame_the_websocket_accepts() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    assert '`{"resume": N}`' in text and '`{"snapshot": true}`' in text


def test_security_says_how_to_keep_metrics_private_and_the_example_does() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    assert "`/metrics`" in text and "unauthenticated" in text
    example = (ROOT / "docs" / "nginx-clanactors.conf").read_text(encoding="utf-8")
    assert re.search(r"location = /metrics \{\s*deny all;\s*\}", example)


NOT_YET: tuple[str, ...] = ()
# Documents that are not in this repository: a reader cannot follow the reference.
# (Written so that this line does not match itself.)
OUTSIDE = re.compile(r"CONTRAC[T] §|API-NOTE[S]|shared/bungi[e]|\bissue #?\d+")


def tracked_files() -> list[str]:
    """The repository's files: git's list, or the tree without what git ignores here."""
    try:
        return subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "build", "dist", "__pycache__"}
        return [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if not skip & set(p.relative_to(ROOT).parts) and ".egg-info" not in str(p)
        ]


def test_nothing_cites_a_document_outside_the_repository() -> None:
    listed = tracked_files()
    cited = []
    for name in listed:
        path = ROOT / name
        if name.startswith(NOT_YET) or path.suffix not in TEXT or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                cited.append(f"{name}:{number}: {line.strip()}")
    assert cited == []


def test_the_readme_tree_names_every_package_and_the_layers_match_it() -> None:
    """README's "Development" tree has one entry per package, in the order of the layer
    contract (top to bottom), so the map a newcomer reads is the one CI enforces."""
    readme = (ROOT / "README.md").read_text()
    tree = readme.split("## Development", 1)[1].split("```")[1]
    listed = re.findall(r"^  (\w+)/", tree, flags=re.M)
    packages = sorted(p.parent.name for p in (ROOT / "clanactors").glob("*/__init__.py"))
    assert sorted(listed) == packages
    contract = (ROOT / "pyproject.toml").read_text().split('name = "Layers, top to bottom"')[1]
    layers = re.findall(r'"clanactors\.(\w+)', contract.split("]", 1)[0])
    assert [p for p in listed if p in layers] == layers
