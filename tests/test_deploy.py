"""deploy/: the conventions of the Dockerfile, compose file and systemd unit.

There is no container engine here, so nothing is built: these tests read the files (a non-root
user, a health check without curl, a volume, no secret in the image), check that the health
check's command answers as Docker expects (exit 0 healthy, 1 not), and run
``systemd-analyze verify`` on the unit where the tool exists.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestServer

from bot.web import make_web_app
from tests.fakes.core import make_core

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SECRET = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|PASSWD", re.I)


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def env_keys(args: str) -> list[str]:
    return [pair.split("=", 1)[0] for pair in args.split() if "=" in pair]


def test_dockerfile_runs_as_a_user_with_a_health_check_and_a_volume() -> None:
    steps = instructions()
    kinds = [kind for kind, _ in steps]
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0"), "the bot must not run as root"
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN")
    (check,) = [args for kind, args in steps if kind == "HEALTHCHECK"]
    assert '"dailypapers", "health"' in check and "curl" not in check and "wget" not in check
    assert "--interval=" in check and "--timeout=" in check
    assert ("VOLUME", '["/data"]') in steps
    env = " ".join(args for kind, args in steps if kind == "ENV")
    assert "DATABASE_URL=sqlite:////data/" in env and "HTTP_HOST=0.0.0.0" in env
    assert kinds[-1] == "CMD" and steps[-1][1] == '["dailypapers", "run"]'


def test_dockerfile_bakes_in_no_secret() -> None:
    steps = instructions()
    for kind, args in steps:
        if kind == "ENV":
            assert not [k for k in env_keys(args) if SECRET.search(k)], args
        if kind == "ARG":
            assert not SECRET.search(args), args
        if kind in ("COPY", "ADD"):
            assert ".env" not in args.split() and not args.startswith(". "), args
    pip = " ".join(args for kind, args in steps if kind == "RUN")
    assert "pip install ." in pip  # psycopg comes with the default install


def test_compose_uses_the_same_health_check_and_no_literal_secret() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    bot = compose["services"]["bot"]
    assert bot["healthcheck"]["test"][:3] == ["CMD", "dailypapers", "health"]
    assert bot["environment"]["HTTP_HOST"] == "0.0.0.0"
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"])  # not on the internet
    assert bot["env_file"] == "../.env"
    assert "pgdata" in compose["volumes"]
    for service in compose["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if SECRET.search(key):
                assert str(value).startswith("${"), f"{key} is written in the compose file"
            if "://" in str(value) and "@" in str(value):
                assert "${" in str(value), f"{key} carries a password"


def test_systemd_unit_restarts_on_failure_and_stops_quickly() -> None:
    unit = (DEPLOY / "dailypapers.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and line[0] != "#"
    )
    assert settings["Restart"] == "on-failure"
    assert int(settings["RestartSec"]) > 0
    assert int(settings["TimeoutStopSec"]) <= 10
    assert "WatchdogSec" not in settings
    assert settings["User"] != "root"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    """The unit as installed: its paths pointed at a scratch directory with the executable."""
    home = tmp_path / "opt"
    (home / ".venv" / "bin").mkdir(parents=True)
    exe = home / ".venv" / "bin" / "dailypapers"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    unit = (DEPLOY / "dailypapers.service").read_text().replace("/opt/dailypapers", str(home))
    path = tmp_path / "dailypapers.service"
    path.write_text(unit)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [line for line in result.stderr.splitlines() if "dailypapers.service" in line]
    assert result.returncode == 0 and not problems, result.stderr


async def test_the_health_check_command_exits_0_when_healthy_and_1_when_not(db) -> None:
    now = datetime(2025, 1, 11, 9, 30, tzinfo=UTC)
    app, _, clock = make_core(db, now=now)
    app.runtime.started_at = clock()
    await app.runtime.tick()
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}

    async def health(url: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "health",
            "--url",
            url,
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        return process.returncode or 0, (out + err).decode()

    async with TestServer(make_web_app(app.runtime)) as server:
        url = str(server.make_url("/healthz"))
        code, text = await health(url)
        assert code == 0 and text.startswith("healthy: "), text
        clock.advance(minutes=6)  # no tick for 6 minutes
        code, text = await health(url)
        assert code == 1 and "unhealthy (HTTP 503)" in text and "no tick for 6 min" in text
    code, text = await health(url)  # nobody listening
    assert code == 1 and text.startswith("error: no answer from "), text
