"""``ioc backup`` / ``ioc restore``: a round trip into a new database on SQLite and PostgreSQL
gives back every table (row counts and a checksum of every row) and every attached file."""

from __future__ import annotations

import contextlib
import os
import shutil
import tarfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ioc.app import prepare
from ioc.cli import app
from ioc.core import audit, auth, backup
from ioc.core.db import make_engine, make_sessionmaker
from ioc.engines.alerting.notify.models import Outbox
from ioc.settings import Settings, get_settings

runner = CliRunner()
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "IOC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
T0 = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


def _fill(url: str, data_dir: Path) -> None:
    """A migrated database with reference data, a user, some outbox rows, and files."""
    settings = Settings(env="test", database_url=url, data_dir=data_dir, scheduler="off")
    engine = make_engine(url)
    try:
        prepare(settings, engine)
        factory = make_sessionmaker(engine)
        with factory() as session, session.begin():
            auth.create_user(
                session,
                audit.Actor.system("test"),
                username="quantri",
                password="mật-khẩu-đủ-dài-123",
                full_name="Quản trị viên",
                role="admin",
            )
            for i in range(25):
                session.add(
                    Outbox(
                        contact_point="ops",
                        kind="inapp",
                        payload={"title": f"Thông báo {i}", "body": "Hồ Ea Kao"},
                        status="sent",
                        attempts=1,
                        next_attempt_at=T0,
                        created_at=T0,
                    )
                )
    finally:
        engine.dispose()
    (data_dir / "fr-photos" / "2026").mkdir(parents=True)
    (data_dir / "fr-photos" / "2026" / "anh-1.jpg").write_bytes(os.urandom(5000))
    (data_dir / "evidence").mkdir()
    (data_dir / "evidence" / "bien-ban.pdf").write_bytes(b"%PDF-1.4 minh chung")


@contextlib.contextmanager
def _env(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path) -> Iterator[None]:
    monkeypatch.setenv("IOC_DATABASE_URL", url)
    monkeypatch.setenv("IOC_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()


def _round_trip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str, target: str) -> None:
    src_dir, dst_dir = tmp_path / "src-data", tmp_path / "dst-data"
    src_dir.mkdir()
    _fill(source, src_dir)
    archive = tmp_path / "backups" / "ioc.tar"
    with _env(monkeypatch, source, src_dir):
        done = runner.invoke(app, ["backup", str(archive)])
    assert done.exit_code == 0, done.output
    assert "Đã sao lưu" in done.output
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "files/fr-photos/2026/anh-1.jpg", "files/evidence/bien-ban.pdf"} <= (
        names
    )
    manifest = backup.read_manifest(archive)
    assert manifest.tables["notify_outbox"] == 25
    assert manifest.files["evidence/bien-ban.pdf"]["size"] == len(b"%PDF-1.4 minh chung")

    with _env(monkeypatch, target, dst_dir):
        done = runner.invoke(app, ["restore", str(archive)])
        assert done.exit_code == 0, done.output
        assert "số dòng mọi bảng khớp" in done.output
        # A database that has tables is not overwritten by accident.
        again = runner.invoke(app, ["restore", str(archive)])
        assert again.exit_code == 2
        assert "--force" in again.output
        assert runner.invoke(app, ["restore", "--force", str(archive)]).exit_code == 0

    src_engine, dst_engine = create_engine(source), create_engine(target)
    try:
        before, after = backup.table_checksums(src_engine), backup.table_checksums(dst_engine)
    finally:
        src_engine.dispose()
        dst_engine.dispose()
    assert set(before) == set(after)
    assert before == after  # every table: same rows, same checksum
    assert before["notify_outbox"][0] == 25 and before["users"][0] == 1
    assert before["areas"][0] > 100  # reference data came along
    for name in ("fr-photos/2026/anh-1.jpg", "evidence/bien-ban.pdf"):
        assert (dst_dir / name).read_bytes() == (src_dir / name).read_bytes()


def test_sqlite_round_trip_into_a_new_database(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _round_trip(
        monkeypatch,
        tmp_path,
        f"sqlite:///{tmp_path / 'source.db'}",
        f"sqlite:///{tmp_path / 'restored' / 'ioc.db'}",
    )


@contextlib.contextmanager
def _pg_databases(count: int) -> Iterator[list[str]]:
    names = [f"ioc_backup_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield [PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}" for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_postgresql_round_trip_into_a_new_database(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            if IN_CI:
                raise AssertionError(f"{tool} missing: install postgresql-client")
            pytest.skip(f"{tool} not installed")
    with _pg_databases(2) as (source, target):
        _round_trip(monkeypatch, tmp_path, source, target)


def test_restore_refuses_another_kind_of_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{tmp_path / 'a.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    archive = tmp_path / "a.tar"
    backup.create_backup(url, data, archive)
    with pytest.raises(backup.BackupError, match="the backup is sqlite, the target is postgresql"):
        backup.restore_backup(archive, "postgresql+psycopg://postgres@127.0.0.1/none", data)
