"""``ioc backup`` and ``ioc restore``: the database and the files rows point to, in one archive.

An archive is an uncompressed tar (the database dump and photos are compressed already):

* ``manifest.json`` — format, IOC version, time, database kind, migration revision, the row
  count of every table, and every file with its size and SHA-256;
* ``database.sqlite`` — SQLite, copied with the online backup API (``sqlite3.Connection.backup``:
  a consistent copy while the IOC keeps writing), or ``database.pgdump`` — PostgreSQL,
  ``pg_dump --format=custom`` (consistent: one snapshot);
* ``files/…`` — everything under ``IOC_DATA_DIR`` (field-report photos, evidence, report
  attachments …) except SQLite database files and the backups folder.

Restore checks every file's checksum and, after loading the database, every table's row count
against the manifest. It refuses a target database that already has tables unless told to
replace it (``force``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, func, inspect, select, text
from sqlalchemy.engine import URL, Engine, make_url

from ioc import __version__
from ioc.core import clock

FORMAT = "ioc-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
FILES_PREFIX = "files/"
SKIP_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite", ".sqlite-wal", ".tmp")

Progress = Callable[[str, int, int], None]
"""``(phase, done, total)``: ``phase`` is ``database`` or ``files``."""


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (Vietnamese / English)."""


@dataclass
class Manifest:
    """What an archive holds."""

    database: str  # sqlite | postgresql
    revision: str | None
    tables: dict[str, int]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: str = ""
    version: str = __version__
    format: str = FORMAT

    def as_json(self) -> bytes:
        """The manifest as UTF-8 JSON."""
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Read a manifest; refuses another format."""
        raw = json.loads(data)
        if raw.get("format") != FORMAT:
            raise BackupError(
                f"Không phải bản sao lưu IOC / not an IOC backup (format {raw.get('format')!r})"
            )
        return cls(**raw)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(
            "Cơ sở dữ liệu SQLite trong bộ nhớ / in-memory SQLite cannot be backed up"
        )
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"Không tìm thấy {name}: cài gói postgresql-client / {name} not found: "
            "install postgresql-client (the same major version as the server)"
        )
    return found


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows of every table of the database."""
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            table = Table(name, MetaData())
            counts[name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return counts


def table_checksums(engine: Engine) -> dict[str, tuple[int, str]]:
    """``{table: (rows, sha256)}`` of every table: its rows in primary-key order, each as the
    text of its values. Compare two databases of the same kind (round-trip tests, ``--verify``)."""
    result: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            table = Table(name, MetaData(), autoload_with=conn)
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            rows = 0
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                digest.update(b"\n")
                rows += 1
            result[name] = (rows, digest.hexdigest())
    return result


def _revision(engine: Engine) -> str | None:
    from ioc.core import migrate

    return migrate.current_revision(engine)


def _data_files(data_dir: Path, skip: set[Path]) -> Iterator[Path]:
    if not data_dir.is_dir():
        return
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.name.endswith(SKIP_SUFFIXES) or path.name.startswith("."):
            continue
        resolved = path.resolve()
        if any(resolved == s or s in resolved.parents for s in skip):
            continue
        yield path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def create_backup(
    database_url: str,
    data_dir: Path,
    target: Path,
    *,
    skip: tuple[Path, ...] = (),
    progress: Progress | None = None,
) -> Manifest:
    """Write an archive of the database and the files under ``data_dir`` to ``target``."""
    url = make_url(database_url)
    engine = create_engine(url)
    try:
        tables = row_counts(engine)
        revision = _revision(engine)
    finally:
        engine.dispose()
    target.parent.mkdir(parents=True, exist_ok=True)
    skip_dirs = {target.parent.resolve(), *(s.resolve() for s in skip)}
    with tempfile.TemporaryDirectory(prefix="ioc-backup-") as tmp:
        dump = Path(tmp) / "dump"
        if url.get_backend_name() == "sqlite":
            kind, member = "sqlite", SQLITE_MEMBER
            _sqlite_copy(_sqlite_path(url), dump, progress)
        elif url.get_backend_name() == "postgresql":
            kind, member = "postgresql", PG_MEMBER
            _pg_dump(url, dump, progress)
        else:
            raise BackupError(f"Không hỗ trợ / unsupported database {url.get_backend_name()}")
        files = list(_data_files(data_dir, skip_dirs))
        manifest = Manifest(kind, revision, tables, created_at=clock.now().isoformat())
        partial = target.with_name(f".{target.name}.partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, member)
            for done, path in enumerate(files, start=1):
                name = path.relative_to(data_dir).as_posix()
                manifest.files[name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
                archive.add(path, FILES_PREFIX + name)
                if progress:
                    progress("files", done, len(files))
            info = tarfile.TarInfo(MANIFEST)
            data = manifest.as_json()
            info.size, info.mtime = len(data), int(clock.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
        partial.replace(target)
    return manifest


def _sqlite_backup(source: Path, dest: Path, progress: Progress | None) -> None:
    """Copy one SQLite database file into another with SQLite's online backup (a consistent
    copy while the application writes), reporting the pages copied."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(dest)
    try:

        def step(_status: int, remaining: int, total: int) -> None:
            if progress:
                progress("database", total - remaining, total)

        src.backup(dst, pages=4096, progress=step)
    finally:
        dst.close()
        src.close()


def _sqlite_copy(source: Path, dest: Path, progress: Progress | None) -> None:
    if not source.exists():
        raise BackupError(f"Không có tệp cơ sở dữ liệu / no database file {source}")
    _sqlite_backup(source, dest, progress)


def _run_pg_tool(
    name: str, args: list[str], env: dict[str, str], progress: Progress | None
) -> None:
    """Run the PostgreSQL client tool ``name`` with ``args``; :class:`BackupError` with the
    start of its error output when it fails, else the database step reported done."""
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments not from a shell
        [_tool(name), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"{name} thất bại / failed: {done.stderr.strip()[:500]}")
    if progress:
        progress("database", 1, 1)


def _pg_dump(url: URL, dest: Path, progress: Progress | None) -> None:
    conninfo, env = _libpq(url)
    if progress:
        progress("database", 0, 1)
    _run_pg_tool(
        "pg_dump", ["--format=custom", "--no-owner", "--file", str(dest), conninfo], env, progress
    )


def read_manifest(archive_path: Path) -> Manifest:
    """The manifest of an archive."""
    with tarfile.open(archive_path, "r") as archive:
        member = archive.extractfile(MANIFEST)
        if member is None:
            raise BackupError("Thiếu manifest.json / manifest missing")
        return Manifest.from_json(member.read())


def restore_backup(
    archive_path: Path,
    database_url: str,
    data_dir: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> Manifest:
    """Load an archive into ``database_url`` (same kind as the backup) and ``data_dir``."""
    manifest = read_manifest(archive_path)
    url = make_url(database_url)
    kind = url.get_backend_name()
    if kind != manifest.database:
        raise BackupError(
            f"Bản sao lưu là {manifest.database}, đích là {kind} / "
            f"the backup is {manifest.database}, the target is {kind}"
        )
    engine = create_engine(url)
    try:
        existing = inspect(engine).get_table_names() if _exists(url) else []
    finally:
        engine.dispose()
    if existing and not force:
        raise BackupError(
            f"Cơ sở dữ liệu đích đã có {len(existing)} bảng: dùng --force để thay thế / "
            f"the target database has {len(existing)} tables: --force replaces it"
        )
    with (
        tempfile.TemporaryDirectory(prefix="ioc-restore-") as tmp,
        tarfile.open(archive_path, "r") as archive,
    ):
        member = SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER
        archive.extract(member, tmp, filter="data")
        dump = Path(tmp) / member
        if kind == "sqlite":
            _sqlite_restore(dump, _sqlite_path(url), progress)
        else:
            _pg_restore(url, dump, force, progress)
        _restore_files(archive, manifest, data_dir, progress)
    engine = create_engine(url)
    try:
        counts = row_counts(engine)
    finally:
        engine.dispose()
    wrong = {t: (n, counts.get(t)) for t, n in manifest.tables.items() if counts.get(t) != n}
    if wrong:
        raise BackupError(f"Số dòng khác bản sao lưu / row counts differ: {wrong}")
    return manifest


def _exists(url: URL) -> bool:
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        return path.exists() and path.stat().st_size > 0
    return True


def _sqlite_restore(dump: Path, target: Path, progress: Progress | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_backup(dump, target, progress)


def _pg_restore(url: URL, dump: Path, force: bool, progress: Progress | None) -> None:
    conninfo, env = _libpq(url)
    if progress:
        progress("database", 0, 1)
    if force:
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    _run_pg_tool(
        "pg_restore",
        ["--no-owner", "--exit-on-error", "--single-transaction", "--dbname", conninfo, str(dump)],
        env,
        progress,
    )


def _restore_files(
    archive: tarfile.TarFile, manifest: Manifest, data_dir: Path, progress: Progress | None
) -> None:
    names = sorted(manifest.files)
    for done, name in enumerate(names, start=1):
        member = archive.extractfile(FILES_PREFIX + name)
        if member is None:
            raise BackupError(f"Thiếu tệp trong bản sao lưu / file missing: {name}")
        data = member.read()
        if hashlib.sha256(data).hexdigest() != manifest.files[name]["sha256"]:
            raise BackupError(f"Tệp hỏng / checksum mismatch: {name}")
        target = (data_dir / name).resolve()
        if data_dir.resolve() not in target.parents:
            raise BackupError(f"Đường dẫn không hợp lệ / unsafe path: {name}")
        from ioc.core.files import write_durably

        write_durably(target, data)
        if progress:
            progress("files", done, len(names))


def newest_backup(folder: Path) -> tuple[Path, datetime] | None:
    """The newest ``*.tar`` archive in ``folder`` and its time (file modification time)."""
    if not folder.is_dir():
        return None
    found = sorted(
        (p for p in folder.glob("*.tar") if p.is_file()), key=lambda p: p.stat().st_mtime
    )
    if not found:
        return None
    from datetime import UTC

    newest = found[-1]
    return newest, datetime.fromtimestamp(newest.stat().st_mtime, tz=UTC)


def default_name(now: datetime) -> str:
    """``ioc-YYYYmmdd-HHMMSS.tar`` (UTC)."""
    return f"ioc-{now.strftime('%Y%m%d-%H%M%S')}.tar"
