"""The layering (docs/architecture.md) holds: `lint-imports` checks the contracts in
pyproject.toml against every import in the package, those inside functions included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports() -> subprocess.CompletedProcess[str]:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command, "import-linter is in the test extras: pip install -e '.[test]'"
    return subprocess.run(
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_every_layer_contract_is_kept() -> None:
    run = lint_imports()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout
    # Every contract in pyproject.toml was checked, not a subset.
    contracts = (ROOT / "pyproject.toml").read_text().count("[[tool.importlinter.contracts]]")
    assert run.stdout.count(" KEPT") == contracts >= 7


def test_a_wrong_way_import_breaks_the_layers(tmp_path: Path) -> None:
    """The contracts can fail: the same check on a copy of the package with one import
    that points up (the store importing the web side) reports it."""
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "clanactors", copy / "clanactors")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    stats = copy / "clanactors" / "store" / "stats.py"
    stats.write_text("import clanactors.server.hub  # noqa: F401\n" + stats.read_text())
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command
    run = subprocess.run(
        [command, "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "clanactors.store.stats -> clanactors.server.hub" in run.stdout
