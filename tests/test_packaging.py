"""A plain `pip install .` must ship web/ and migrations/ and find them at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from clanactors.core import paths

ROOT = Path(__file__).parent.parent


def test_wheel_ships_templates_static_files_and_migrations(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", "build", "dist", "*.egg-info", "__pycache__", "tests", "*.db", ".*cache"
        ),
    )
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)]
    result = subprocess.run(build, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = dist.glob("clanactors-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = (
        next(n.split("/data/")[0] for n in names if ".data/data/" in n) + "/data/share/clanactors"
    )
    for expected in (
        "web/templates/index.html",
        "web/static/app.css",
        "migrations/env.py",
        "migrations/script.py.mako",
        "migrations/versions/0001_initial_schema.py",
    ):
        assert f"{data}/{expected}" in names, expected
    assert "clanactors/process/cli.py" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_layout_is_found_under_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = tmp_path / "prefix" / "share" / "clanactors"
    (share / "web").mkdir(parents=True)
    (share / "migrations").mkdir()
    monkeypatch.setattr(paths, "_SOURCE_ROOT", tmp_path / "site-packages")
    monkeypatch.setattr(paths.sysconfig, "get_path", lambda name: str(tmp_path / "prefix"))
    paths.resource_dir.cache_clear()
    try:
        assert paths.web_dir() == share / "web"
        assert paths.migrations_dir() == share / "migrations"
    finally:
        paths.resource_dir.cache_clear()


def test_source_checkout_layout_is_found() -> None:
    assert (paths.web_dir() / "templates" / "index.html").is_file()
    assert (paths.migrations_dir() / "env.py").is_file()
