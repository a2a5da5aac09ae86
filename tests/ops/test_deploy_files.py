"""The files docs/deploy.md ships (deploy/): systemd units, nginx, Mosquitto. They parse, every
process restarts on failure, and each runs an ``ioc`` command that exists."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ioc.cli import app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
TIMERS = sorted((DEPLOY / "systemd").glob("*.timer"))
PROCESSES = {"ioc-web", "ioc-derive@", "ioc-worker@", "ioc-mqtt@", "ioc-syslog"}


def _unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def test_every_process_has_a_unit_that_restarts_it() -> None:
    assert {p.stem for p in UNITS} >= PROCESSES | {"ioc-backup"}
    for path in UNITS:
        unit = _unit(path)
        assert unit.get("Unit", "Description"), path.name
        service = unit["Service"]
        assert service["Restart"] == "on-failure", path.name
        assert service["User"] == "ioc" and service["EnvironmentFile"] == "/etc/ioc/ioc.env"
        assert service["ExecStart"].startswith("/opt/ioc/.venv/bin/ioc "), path.name
        if path.stem in PROCESSES:
            assert unit["Install"]["WantedBy"] == "multi-user.target", path.name


def test_units_run_ioc_commands_that_exist() -> None:
    runner = CliRunner()
    for path in UNITS:
        argv = _unit(path)["Service"]["ExecStart"].split()[1:]
        command = [a for a in argv if not a.startswith("-") and not a.isdigit()]
        command = [a for a in command if not re.match(r"^[\d.]+$", a)]
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, f"{path.name}: ioc {' '.join(command)}: {result.output}"


def test_the_backup_timer_starts_the_backup() -> None:
    (timer,) = TIMERS
    unit = _unit(timer)
    assert unit["Timer"]["OnCalendar"] and unit["Timer"]["Persistent"] == "true"
    assert (timer.with_suffix(".service")).exists()
    assert _unit(timer.with_suffix(".service"))["Service"]["Type"] == "oneshot"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    # Installed paths replaced by this checkout's, so the executables exist.
    venv = str(Path(sys.prefix))
    names = []
    for path in [*UNITS, *TIMERS]:
        text = path.read_text(encoding="utf-8")
        text = text.replace("/opt/ioc/.venv", venv).replace("/opt/ioc", str(ROOT))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
        names.append(path.name.replace("@.service", "@1.service"))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if any(name.split("@")[0] in line for name in names)
    ]
    assert done.returncode == 0 and complaints == [], done.stdout + done.stderr


def test_nginx_proxies_to_the_web_unit_with_forwarded_headers() -> None:
    text = (DEPLOY / "nginx" / "ioc.conf").read_text(encoding="utf-8")
    assert text.count("{") == text.count("}")
    assert "server 127.0.0.1:8000;" in text
    assert "--port 8000" in (DEPLOY / "systemd" / "ioc-web.service").read_text()
    for line in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme"):
        assert line in text
    assert "listen 443 ssl" in text and "ssl_certificate " in text
    assert re.search(r"location = /metrics \{ return 404; \}", text)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed")
def test_nginx_t(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl missing")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=ioc.test", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "nginx" / "ioc.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/ioc/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/ioc/privkey.pem", str(key))
    (tmp_path / "ioc.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include {tmp_path}/ioc.conf;\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_mosquitto_keeps_messages_across_restarts() -> None:
    lines = (DEPLOY / "mosquitto" / "ioc.conf").read_text(encoding="utf-8").splitlines()
    settings = dict(line.split(None, 1) for line in lines if line and not line.startswith("#"))
    assert settings["persistence"] == "true"
    assert settings["autosave_interval"] == "60"
    assert settings["max_queued_messages"] == "0"
