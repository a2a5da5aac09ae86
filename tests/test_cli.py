"""The ``ioc`` command: import files, create users and tokens."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from helpers import sent_count
from ioc import cli
from ioc.cli import app
from ioc.core.models import ApiToken, User
from ioc.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: object) -> Iterator[None]:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_import_csv_reports_rows_and_keeps_good_ones(
    tmp_path: Path, station: str, factory: sessionmaker[Session]
) -> None:
    path = tmp_path / "so-lieu.csv"
    path.write_text(
        "\ufeffindicator;entity;time;value\n"
        f"pm25;{station};2026-03-10T01:00:00+07:00;12,5\n"
        f"pm25;{station};2026-03-10T02:00:00+07:00;abc\n"
        f"pm10;{station};2026-03-10T01:00:00+07:00;30\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 1, result.output
    assert "Dòng 3" in result.output and "value" in result.output
    assert sent_count(factory) == 2


def test_import_xlsx(tmp_path: Path, station: str, factory: sessionmaker[Session]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["indicator", "entity", "time", "value", "unit"])
    for hour in range(1, 5):
        ws.append(["no2", station, f"2026-03-10T{hour:02d}:00:00+07:00", 40 + hour, "µg/m³"])
    path = tmp_path / "mau.xlsx"
    wb.save(path)
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã lưu" in result.output
    assert sent_count(factory) == 4


def test_import_refuses_unknown_file(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    assert runner.invoke(app, ["import", str(path)]).exit_code == 2
    assert runner.invoke(app, ["import", str(tmp_path / "none.csv")]).exit_code == 2


def test_users_and_tokens(factory: sessionmaker[Session]) -> None:
    result = runner.invoke(
        app,
        [
            "users",
            "create",
            "can.bo",
            "--name",
            "Cán bộ Sở",
            "--role",
            "agency_staff",
            "--agency",
            "so-nong-nghiep-moi-truong",
            "--password",
            "một-mật-khẩu-dài",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["tokens", "create", "--owner", "can.bo", "--name", "Trạm 1"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("ioc_")
    with factory() as s:
        user = s.execute(select(User).where(User.username == "can.bo")).scalar_one()
        token = s.execute(select(ApiToken)).scalar_one()
        assert user.role == "agency_staff" and user.agency_id is not None
        assert secret not in token.token_hash
    bad = runner.invoke(
        app,
        ["users", "create", "x", "--name", "X", "--role", "vua", "--password", "đủ-dài-rồi-nhé"],
    )
    assert bad.exit_code == 2 and "Vai trò" in bad.output


def test_alert_rules_load_export_and_evaluate(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    from ioc.engines.alerting.models import AlertRule

    good = tmp_path / "rules.yaml"
    good.write_text(
        "rules:\n  - {uid: environment.cli_test, title: Thử, kind: threshold,"
        ' query: {indicator: pm25}, params: {op: ">", threshold: 1}}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["alerts", "load", str(good)])
    assert result.exit_code == 0, result.output
    assert "Thêm 1" in result.output
    exported = runner.invoke(app, ["alerts", "export"])
    assert "environment.cli_test" in exported.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {uid: x}\n", encoding="utf-8")
    refused = runner.invoke(app, ["alerts", "load", str(bad)])
    assert refused.exit_code == 1 and "rules[1]" in refused.output
    evaluated = runner.invoke(app, ["alerts", "evaluate"])
    assert evaluated.exit_code == 0 and "1 quy tắc" in evaluated.output
    with factory() as s:
        assert [r.uid for r in s.execute(select(AlertRule)).scalars()] == ["environment.cli_test"]


def _fresh_env(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", url)
    monkeypatch.setenv("IOC_DATA_DIR", str(data_dir))
    get_settings.cache_clear()


def test_a_command_on_a_database_never_set_up_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's `ioc users create …` right after `make demo`: the CLI points at
    var/ioc.db, the demo at var/demo.db. One clear line, no traceback, no empty file left."""
    data = tmp_path / "var"
    data.mkdir()
    (data / "demo.db").write_bytes(b"SQLite format 3\x00")  # what `ioc demo` leaves
    missing = data / "ioc.db"
    _fresh_env(monkeypatch, f"sqlite:///{missing}", data)
    args = ["users", "create", "a", "--name", "A", "--password", "mật-khẩu-đủ-dài-1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    out = " ".join(result.output.split())
    assert "Cơ sở dữ liệu chưa được khởi tạo" in out and "ioc db upgrade" in out
    assert str(missing) in out  # which database it tried
    assert f"IOC_DATABASE_URL=sqlite:///{data / 'demo.db'}" in out  # and how to use the demo's
    assert "Traceback" not in result.output
    assert not missing.exists()  # no empty file left behind
    for other in (["tokens", "revoke", "abc"], ["alerts", "export"]):
        again = runner.invoke(app, other)
        assert again.exit_code == 2 and "ioc db upgrade" in again.output, again.output
    assert not missing.exists()


def test_an_empty_database_file_is_not_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "ioc.db"
    empty.write_bytes(b"")  # left by an earlier version of this command
    _fresh_env(monkeypatch, f"sqlite:///{empty}", tmp_path)
    result = runner.invoke(app, ["tokens", "revoke", "abc"])
    assert result.exit_code == 2, result.output
    assert "Cơ sở dữ liệu chưa được khởi tạo" in result.output
    assert "demo.db" not in result.output  # no demo here: no hint about it
    assert "Traceback" not in result.output


def test_an_unreachable_database_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fresh_env(monkeypatch, "postgresql+psycopg://ioc:bí-mật@127.0.0.1:9/ioc", tmp_path)
    result = runner.invoke(app, ["alerts", "export"])
    assert result.exit_code == 2, result.output
    assert "Không kết nối được cơ sở dữ liệu" in result.output
    assert "bí-mật" not in result.output  # the password is never printed
    assert "Traceback" not in result.output


def test_settings_never_prints_a_password_or_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ioc settings` is pasted into tickets: passwords, secrets and the password inside the
    database URL are masked; everything else is shown."""
    monkeypatch.setenv("IOC_SMTP_PASSWORD", "smtp-pw-7Q2")
    monkeypatch.setenv("IOC_MQTT_PASSWORD", "mqtt-pw-8R3")
    monkeypatch.setenv("IOC_SECRET_KEY", "sk-9S4-not-for-printing")
    monkeypatch.setenv("IOC_DATABASE_URL", "postgresql+psycopg://ioc:db-pw-6P1@db.local:5432/ioc")
    monkeypatch.setenv("IOC_SMTP_USERNAME", "ioc-mailer")
    monkeypatch.setattr(cli.console, "_width", 400)  # one line per setting: nothing wraps
    get_settings.cache_clear()
    result = runner.invoke(app, ["settings"])
    assert result.exit_code == 0, result.output
    for secret in ("smtp-pw-7Q2", "mqtt-pw-8R3", "sk-9S4", "db-pw-6P1"):
        assert secret not in result.output, secret
    assert "postgresql+psycopg://ioc:***@db.local:5432/ioc" in result.output
    assert "ioc-mailer" in result.output  # not a secret: still shown


def test_users_unlock(factory: sessionmaker[Session]) -> None:
    from ioc.core import auth
    from ioc.core.models import AuditLog

    created = runner.invoke(
        app, ["users", "create", "bi.khoa", "--name", "B", "--password", "một-mật-khẩu-dài"]
    )
    assert created.exit_code == 0, created.output
    with factory() as s, s.begin():
        for _ in range(10):
            with contextlib.suppress(auth.LoginLocked):  # the 10th failure locks
                auth.login(s, username="bi.khoa", password="sai-mat-khau", session_hours=1)
    with factory() as s, pytest.raises(auth.LoginLocked):
        auth.login(s, username="bi.khoa", password="một-mật-khẩu-dài", session_hours=1)
    result = runner.invoke(app, ["users", "unlock", "bi.khoa"])
    assert result.exit_code == 0, result.output
    assert "Đã mở khóa" in result.output
    with factory() as s, s.begin():
        opened = auth.login(s, username="bi.khoa", password="một-mật-khẩu-dài", session_hours=1)
        assert opened is not None
        unlocked = s.execute(
            select(AuditLog).where(AuditLog.action == "user.unlocked")
        ).scalar_one()
        assert unlocked.actor == "cli"
    # An address, and a name that is not locked (nothing to do, said so).
    assert runner.invoke(app, ["users", "unlock", "--address", "203.0.113.5"]).exit_code == 0
    idle = runner.invoke(app, ["users", "unlock", "bi.khoa"])
    assert idle.exit_code == 0 and "không bị khóa" in idle.output
    missing = runner.invoke(app, ["users", "unlock", "khong.co"])
    assert missing.exit_code == 2
    assert runner.invoke(app, ["users", "unlock"]).exit_code == 2
