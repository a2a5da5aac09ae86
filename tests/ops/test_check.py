"""``ioc check``: the production readiness report and its exit code."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from ioc.cli import app
from ioc.core import clock, readiness
from ioc.settings import Settings, get_settings, new_secret

runner = CliRunner()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Sink:
    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        return "250 OK"


@pytest.fixture
def smtp_port() -> Iterator[int]:
    port = _closed_port()
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def broker_port() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def _production(
    db_url: str, data_dir: Path, smtp_port: int, broker_port: int, **more: object
) -> dict[str, str]:
    env = {
        "IOC_ENV": "production",
        "IOC_SECRET_KEY": new_secret(),
        "IOC_DATABASE_URL": db_url,
        "IOC_DATA_DIR": str(data_dir),
        "IOC_PUBLIC_URL": "https://ioc.daklak.gov.vn",
        "IOC_TRUSTED_PROXIES": "127.0.0.1",
        "IOC_SMTP_HOST": "127.0.0.1",
        "IOC_SMTP_PORT": str(smtp_port),
        "IOC_MQTT_HOST": "127.0.0.1",
        "IOC_MQTT_PORT": str(broker_port),
    }
    env.update({k: str(v) for k, v in more.items()})
    return env


def _backup_now(data_dir: Path) -> Path:
    folder = data_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "ioc-20260310-050000.tar"
    archive.write_bytes(b"")
    return archive


def _run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> tuple[int, str]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["check"], env={"COLUMNS": "200"})
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


def test_a_ready_installation_passes(
    monkeypatch, db_url, engine, tmp_path, smtp_port, broker_port
) -> None:  # type: ignore[no-untyped-def]
    _backup_now(tmp_path)
    code, output = _run(monkeypatch, _production(db_url, tmp_path, smtp_port, broker_port))
    results = {r.name: r.status for r in readiness.run_checks(get_settings())}
    assert "Sẵn sàng vận hành / ready for production" in output, output
    assert code == 0
    expected_db = "warn" if db_url.startswith("sqlite") else "ok"  # SQLite: one process only
    assert results["database"] == expected_db
    for name in ("secret_key", "env", "https", "smtp", "broker", "disk", "backups"):
        assert results[name] == "ok", name


def test_each_problem_fails_the_check_and_names_it(
    monkeypatch, db_url, engine, tmp_path, broker_port
) -> None:  # type: ignore[no-untyped-def]
    env = _production(db_url, tmp_path, _closed_port(), broker_port)
    env.update(
        {"IOC_ENV": "development", "IOC_SECRET_KEY": "changeme", "IOC_PUBLIC_URL": "http://x.vn"}
    )
    code, output = _run(monkeypatch, env)
    assert code == 1
    assert "Chưa sẵn sàng vận hành / not ready for production" in output
    settings = Settings(**{k.removeprefix("IOC_").lower(): v for k, v in env.items()})
    results = {r.name: r for r in readiness.run_checks(settings)}
    assert results["secret_key"].status == "fail"
    assert results["env"].status == "fail" and "IOC_ENV=development" in results["env"].vi
    assert results["https"].status == "fail" and "https" in results["https"].en
    assert (
        results["smtp"].status == "fail" and "Không kết nối được máy chủ thư" in results["smtp"].vi
    )
    assert results["backups"].status == "fail" and "Chưa có bản sao lưu" in results["backups"].vi
    assert "IOC_ENV=development" in output and "KHÔNG ĐẠT / FAIL" in output


def test_old_backup_full_disk_and_wrong_clock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(env="test", data_dir=tmp_path, backup_max_age_hours=26)
    archive = _backup_now(tmp_path)
    old = (datetime.now(UTC) - timedelta(hours=30)).timestamp()
    os.utime(archive, (old, old))
    result = readiness.check_backups(settings)
    assert result.status == "fail" and "30 giờ" in result.vi
    full = readiness.check_disk(settings, usage=lambda _p: (100 * 1024**3, 99 * 1024**3, 1024**3))
    assert full.status == "fail" and "1.0 GB" in full.en
    roomy = readiness.check_disk(
        settings, usage=lambda _p: (100 * 1024**3, 50 * 1024**3, 50 * 1024**3)
    )
    assert roomy.status == "ok"
    clock.set_now(datetime(2001, 1, 1, tzinfo=UTC))
    try:
        assert readiness.check_clock(settings, ntp=lambda: True).status == "fail"
    finally:
        clock.set_now(None)
    assert readiness.check_clock(settings, ntp=lambda: False).status == "warn"
    assert readiness.check_clock(settings, ntp=lambda: True).status == "ok"
