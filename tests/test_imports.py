"""The package's import graph: `cli` sits on top (nothing imports it, so no
app → … → cli → app cycle), and nothing `clanactors serve` runs imports the test rigs.

The graph is read from the source, imports inside functions included: those are how the
app → sim/server → cli → app cycle hid."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import clanactors

PACKAGE = Path(clanactors.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each clanactors module and the clanactors modules it imports, anywhere in it."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0]
                    base = f"{anchor}.{base}" if base else anchor
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in files and m != name}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph[name])
    return seen


def test_nothing_in_the_package_imports_the_cli() -> None:
    graph = import_graph()
    importers = {name for name, imported in graph.items() if "clanactors.cli" in imported}
    assert importers == {"clanactors.__main__"}
    assert "clanactors.cli" not in reachable(graph, "clanactors.app")


def test_the_commands_never_import_the_test_rigs() -> None:
    graph = import_graph()
    assert "clanactors.testing.rig" in graph  # the graph does see the package
    leaked = {m for m in reachable(graph, "clanactors.cli") if m.startswith("clanactors.testing")}
    assert not leaked, f"clanactors.cli reaches {sorted(leaked)}"


def test_importing_the_app_loads_neither_the_cli_nor_the_rigs() -> None:
    script = (
        "import sys, clanactors.app\n"
        "print(*[m for m in sys.modules if m == 'clanactors.cli'"
        " or m.startswith('clanactors.testing')])"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []
