"""Settings of the process itself: deployment kind, database, address, logs, language, map tiles,
files and backups."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ioc.settings.secret_key import DEV_SECRET


class ProcessSettings(BaseModel):
    """The process: deployment kind, database, address, time zone, logs, language, map tiles,
    files and backups."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    env: Literal["development", "production", "test"] = "development"
    """Deployment kind. ``production`` refuses the default secret and forces secure cookies."""

    database_url: str = "sqlite:///var/ioc.db"
    """SQLAlchemy URL: a SQLite file by default, or ``postgresql+psycopg://user@host/db``."""

    secret_key: str = DEV_SECRET
    """Secret for signing; when ``IOC_ENV=production`` at least 32 random characters (not the
    default, not a placeholder), e.g. from
    ``python -c "import secrets; print(secrets.token_urlsafe(48))"``."""

    host: str = "127.0.0.1"
    """Address ``ioc serve`` listens on."""

    port: int = 8000
    """Port ``ioc serve`` and ``ioc demo`` listen on."""

    timezone: str = "Asia/Ho_Chi_Minh"
    """Local time zone for display, day/month rollups and deadlines (UTC+07:00, no DST)."""

    log_level: str = "INFO"
    """Log level (DEBUG, INFO, WARNING, ERROR)."""

    log_json: bool = False
    """Write logs as JSON lines (for a log collector) instead of console text."""

    default_language: Literal["vi", "en"] = "vi"
    """Language of pages when the visitor has not chosen one."""

    map_tile_url: str = ""
    """Leaflet tile URL template, e.g. ``https://tile.openstreetmap.org/{z}/{x}/{y}.png`` or a
    provincial tile server. Empty (the default) draws maps without tiles, for closed networks."""

    map_tile_attribution: str = ""
    """Attribution text shown with the map tiles."""

    data_dir: Path = Path("var")
    """Folder for the SQLite file, backups and uploads."""

    public_url: str = ""
    """Address of the IOC as users reach it (``https://ioc.daklak.gov.vn``); links in e-mails,
    webhooks and Open311 discovery start with it. Empty: ``http://<host>:<port>`` of this
    process (127.0.0.1 when listening on every address)."""

    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    """SQLite ``PRAGMA synchronous``: ``NORMAL`` (default, with WAL) survives a killed process
    but may lose the last transactions on a power cut or OS crash; ``FULL`` syncs every commit
    (slower writes, safe against power loss). Production runs PostgreSQL."""

    backup_dir: Path | None = None
    """Folder ``ioc backup`` writes to when no file is named; empty = ``IOC_DATA_DIR``/backups.
    ``ioc check`` looks there for a recent backup."""

    backup_max_age_hours: float = Field(default=26.0, gt=0)
    """``ioc check`` fails when the newest backup is older than this (a daily timer plus slack)."""

    raw_retention_months: int = Field(default=0, ge=0, le=1200)
    """PostgreSQL, after ``ioc db partition``: months of raw readings kept in ``observations``;
    older monthly partitions are dropped by the ``storage.partitions`` job (after one more month
    of margin) while the hour, day and month rollups stay, and ingestion refuses readings older
    than the horizon. 0 (default) keeps every reading. No effect on SQLite or on plain tables."""

    raw_archive_dir: Path | None = None
    """PostgreSQL: folder where a raw partition is written as gzip CSV before retention drops
    it; empty = drop without an archive (take backups)."""

    partitions_ahead_months: int = Field(default=3, ge=1, le=24)
    """PostgreSQL, after ``ioc db partition``: monthly partitions kept ready ahead of the
    current month."""
