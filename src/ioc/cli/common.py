"""What every ``ioc`` command shares: the console, user-facing failures (never a traceback),
the session factory of one command and the progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.db import make_engine, make_sessionmaker
from ioc.settings import Settings

console = Console()


def demo_database(settings: Settings) -> Path:
    """Where ``ioc demo`` keeps its SQLite database (``IOC_DATA_DIR``/demo.db)."""
    return settings.data_dir / "demo.db"


def fail(message: str) -> typer.Exit:
    """Print a user mistake as plain lines (never a traceback); ``raise fail(...)``."""
    console.print(f"[red]{escape(message)}[/]", soft_wrap=True, highlight=False)
    return typer.Exit(2)


def _not_set_up(settings: Settings) -> typer.Exit:
    lines = [
        "Cơ sở dữ liệu chưa được khởi tạo: chạy `ioc db upgrade` trước "
        f"(đang dùng IOC_DATABASE_URL={safe_url(settings.database_url)}).",
    ]
    demo = demo_database(settings)
    if settings.is_sqlite and demo.exists() and not settings.database_url.endswith(str(demo)):
        lines.append(
            f"Bản demo (`make demo`, `ioc demo`) nằm ở {demo}: dùng nó bằng "
            f"IOC_DATABASE_URL=sqlite:///{demo} ioc …"
        )
    return fail("\n".join(lines))


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite") or "///" not in url:
        return None
    path = url.split("///", 1)[1].split("?", 1)[0]
    return None if not path or path == ":memory:" else Path(path)


def _require_schema(settings: Settings) -> None:
    """Refuse, with what to do, a database that does not exist or has no schema yet. A
    missing SQLite file is not created (connecting would leave an empty one behind)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ioc.core import migrate

    path = _sqlite_file(settings.database_url)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        raise _not_set_up(settings)
    engine = make_engine(settings.database_url)
    try:
        revision = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        raise _unreachable(settings, exc) from None
    finally:
        engine.dispose()
    if revision is None:
        raise _not_set_up(settings)


def _unreachable(settings: Settings, exc: Exception) -> typer.Exit:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return fail(
        f"Không kết nối được cơ sở dữ liệu {safe_url(settings.database_url)}: "
        f"{reason[0] if reason else type(exc).__name__}"
    )


@contextmanager
def session_factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory for one command; its connections are closed when the command ends.
    A database without schema, or one that cannot be reached, ends the command with a
    message that says which database and what to do (exit code 2), never a traceback."""
    from sqlalchemy.exc import OperationalError

    _require_schema(settings)
    engine = make_engine(settings.database_url)
    try:
        yield make_sessionmaker(engine)
    except OperationalError as exc:
        raise _unreachable(settings, exc) from None
    finally:
        engine.dispose()


def prepare_database(settings: Settings) -> sessionmaker[Session]:
    """Migrate and load reference data for ``IOC_DATABASE_URL``; returns a session factory."""
    from ioc.app import prepare

    return prepare(settings, make_engine(settings.database_url))


def safe_url(url: str) -> str:
    """A database URL as it may be shown: its password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def progress_bar() -> Progress:
    """The progress bar of a long command (import, demo data, boundaries)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
