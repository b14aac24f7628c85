"""The Docker image and compose.yaml, on a machine without a Docker daemon.

The Dockerfile's own steps are read from it and repeated here: its COPY lines stage a
source folder, its RUN lines run as written in it (the requirements taken from setup.cfg,
then `pip install --no-deps .`, then the source removed), its ENV is the environment, and
`clanactors serve` starts from an empty data folder, where the HEALTHCHECK command must
pass. The image's Python is a fresh virtual environment; the dependencies' distributions
already installed here are made visible to it instead of being downloaded again, and the
test checks that requirements.txt covers every requirement of the package it installed.

compose.yaml is parsed and checked for what the app needs: every required setting, a
PostgreSQL URL that matches the database service, health checks, a named volume.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from sqlalchemy.engine import make_url

from clanactors.core.clock import ScaledClock
from clanactors.process.config import SETTINGS, load_settings
from clanactors.sim.server import RunningSimulator, Simulator
from clanactors.sim.world import World

ROOT = Path(__file__).parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions():
        if word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def healthcheck_command() -> str:
    ((rest,),) = [(r,) for w, r in instructions() if w == "HEALTHCHECK"]
    return rest.split(" CMD ", 1)[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def operator_env(**values: str) -> dict[str, str]:
    """This machine's environment without any clanactors setting, plus `values`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLANACTORS_", "BUNGIE_"))
        and k not in ("DATABASE_URL", "CLAN_ID", "PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(values)
    return env


def env_in(python: Path, data: Path, **values: str) -> dict[str, str]:
    """The image's environment: its ENV (with /data where the test keeps it), its Python
    first on PATH, and `values`."""
    path = f"{python / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    image = {k: v.replace("/data", str(data)) for k, v in image_env().items()}
    return operator_env(**{**image, "PATH": path, **values})


@dataclass
class Image:
    python: Path  # the image's environment (its bin/ is first on PATH)
    data: Path  # /data
    source_gone: bool
    requirements: list[str]

    def env(self, **values: str) -> dict[str, str]:
        return env_in(self.python, self.data, **values)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    root = tmp_path_factory.mktemp("image")
    python = root / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(python)], check=True)
    purelib = subprocess.run(
        [python / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # What is installed here (the dependencies, pip) is visible to the image's Python.
    (Path(purelib) / "installed-here.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = python / "bin" / "pip"
    pip.write_text(f'#!/bin/sh\nexec "{python / "bin" / "python"}" -m pip "$@"\n')
    pip.chmod(0o755)

    src = root / "src"  # WORKDIR /src
    src.mkdir()
    data = root / "data"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.db", ".env", "*.env")
    workdir = src
    requirements: list[str] = []
    for word, rest in instructions():
        if word == "WORKDIR" and rest == "/src":
            workdir = src
        elif word == "COPY":
            *sources, _dest = shlex.split(rest)
            for name in sources:
                origin = ROOT / name
                if origin.is_dir():
                    shutil.copytree(origin, workdir / name, ignore=ignore)
                else:
                    shutil.copy2(origin, workdir / name)
        elif word == "RUN" and "useradd" in rest:
            data.mkdir()  # the user and /data: only the folder matters here
        elif word == "RUN":
            command = rest.replace("/src", str(src))
            done = subprocess.run(
                ["sh", "-c", command],
                cwd=workdir,
                env=env_in(python, data),
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
            if (src / "requirements.txt").exists():
                requirements = (src / "requirements.txt").read_text().split("\n")
    return Image(python, data, not src.exists(), [r for r in requirements if r.strip()])


def test_the_image_takes_its_requirements_from_setup_cfg(image: Image) -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    declared = [r for r in cfg["options"]["install_requires"].splitlines() if r.strip()]
    assert [str(Requirement(r)) for r in image.requirements] == [
        str(Requirement(r)) for r in declared
    ]
    # `pip install --no-deps .` installs none: requirements.txt must hold every one.
    (metadata,) = (image.python / "lib").glob("python3*/site-packages/clanactors-*/METADATA")
    needed = Parser().parsestr(metadata.read_text()).get_all("Requires-Dist") or []
    runtime = {Requirement(r).name for r in needed if "extra ==" not in r}
    assert runtime and runtime <= {Requirement(r).name for r in image.requirements}
    assert image.source_gone  # `rm -rf /src`: it runs from what pip installed


def start(image: Image, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """The image's CMD from /data; returns once it listens (or fails the test)."""
    (cmd,) = [json.loads(rest) for word, rest in instructions() if word == "CMD"]
    proc = subprocess.Popen(
        cmd, cwd=image.data, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if "listening on http" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("serve did not start:\n" + "".join(lines))


def healthy(image: Image, env: dict[str, str]) -> bool:
    check = subprocess.run(
        ["sh", "-c", healthcheck_command()], env=env, capture_output=True, text=True, timeout=30
    )
    return check.returncode == 0


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """Bungie for the real start: the simulated clan with the demo's own number."""
    running = RunningSimulator(Simulator(seed=7, clock=ScaledClock())).start()
    yield running
    running.stop()


def test_the_demo_never_claims_the_clans_file_and_the_health_check_passes(
    image: Image, sim: RunningSimulator
) -> None:
    demo_clan = World(seed=7).group_id
    assert sim.clan_id == demo_clan  # the same number twice, as an operator saw it
    port = str(free_port())
    # `docker run -e BUNGIE_API_KEY -e CLAN_ID` with the key not exported on the host.
    demo_env = image.env(CLAN_ID=sim.clan_id, CLANACTORS_PORT=port)
    proc, lines = start(image, demo_env)
    try:
        assert healthy(image, demo_env)
    finally:
        stop(proc)
    warning = [line for line in lines if "BUNGIE_API_KEY is not" in line]
    assert warning and "demo" in warning[0], "".join(lines)
    assert (image.data / "clanactors-demo.db").is_file()
    assert not (image.data / "clanactors.db").exists()

    # Then the key arrives: the clan's database is its own.
    root = f"{sim.url}/Platform"
    real_env = image.env(
        BUNGIE_API_KEY="a-real-key",
        CLAN_ID=sim.clan_id,
        BUNGIE_API_ROOT=root,
        BUNGIE_STATS_ROOT=root,
        CLANACTORS_PORT=port,
    )
    proc, lines = start(image, real_env)
    try:
        assert healthy(image, real_env)
    finally:
        stop(proc)
    assert (image.data / "clanactors.db").is_file()


def test_the_health_check_follows_the_port_and_fails_when_nothing_answers(image: Image) -> None:
    assert not healthy(image, image.env(CLANACTORS_PORT=str(free_port())))


# ---------------------------------------------------------------------------- compose

_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?[?-])([^}]*))?\}|\$(\w+)")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` (an error: KeyError)."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        value = env.get(name)
        how, extra = match.group(2), match.group(3) or ""
        if how in (":?", "?") and not value:
            raise KeyError(f"{name}: {extra}")
        if how in (":-", "-") and not value:
            return extra
        return value or ""

    return _VARIABLE.sub(one, text)


OPERATOR = {"BUNGIE_API_KEY": "k3y", "CLAN_ID": "3074427", "POSTGRES_PASSWORD": "s3cret"}


def compose(env: Mapping[str, str]) -> dict[str, Any]:
    return dict(yaml.safe_load(interpolate(COMPOSE.read_text(encoding="utf-8"), env)))


def test_compose_starts_the_app_on_postgres_with_every_setting_it_needs() -> None:
    services = compose(OPERATOR)["services"]
    app, db = services["clanactors"], services["postgres"]
    assert app["build"] == "."
    env = {k: str(v) for k, v in app["environment"].items()}
    assert set(env) <= {s.env for s in SETTINGS}  # nothing the app would refuse
    settings = load_settings({**image_env(), **env})
    assert not settings.demo and settings.clan_id == "3074427"
    url = make_url(settings.database_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "postgres"  # the database service's name
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.password == db["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    assert url.database == db["environment"]["POSTGRES_DB"]
    published = [str(p) for p in app["ports"]]
    assert published == [f"127.0.0.1:8000:{image_env()['CLANACTORS_PORT']}"]


def test_compose_refuses_to_start_without_the_key_the_clan_or_the_password() -> None:
    for missing in OPERATOR:
        with pytest.raises(KeyError, match=missing):
            compose({k: v for k, v in OPERATOR.items() if k != missing})


def test_compose_keeps_the_database_in_a_named_volume_and_waits_for_it_healthy() -> None:
    spec = compose(OPERATOR)
    db, app = spec["services"]["postgres"], spec["services"]["clanactors"]
    volume, _, mounted = db["volumes"][0].partition(":")
    assert volume in spec["volumes"] and mounted == "/var/lib/postgresql/data"
    test = db["healthcheck"]["test"]
    assert "pg_isready" in " ".join(test) and "-d clan" in " ".join(test)
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" not in app  # the image's own HEALTHCHECK applies
    assert "/healthz" in healthcheck_command()
