"""``ioc planning zones FILE`` and ``ioc planning assets FILE``: import planning zones or
infrastructure assets from a GeoJSON file, as the import API does (issue 21). A refused file
prints one line per bad feature (number, code, field, reason) and exits with code 1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import select

from ioc.core import audit
from ioc.core.db import make_engine, make_sessionmaker
from ioc.core.models import Agency
from ioc.core.ownership import WriteScope
from ioc.settings import get_settings

console = Console()
planning_app = typer.Typer(help="Quy hoạch, hạ tầng / planning and assets", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="Tệp GeoJSON (FeatureCollection)")]
AgencyOpt = Annotated[str, typer.Option(help="Mã cơ quan quản lý / owner agency code")]


def _run(kind: str, path: Path, agency: str) -> None:
    from ioc.packs.planning import service

    try:
        data = path.read_bytes()
    except OSError as exc:
        console.print(f"[red]Không đọc được {escape(str(path))}: {escape(str(exc))}[/]")
        raise typer.Exit(2) from exc
    settings = get_settings()
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    actor = audit.Actor.system("cli")
    try:
        with factory() as session:
            if session.execute(select(Agency.id).where(Agency.code == agency)).first() is None:
                console.print(f"[red]Không có cơ quan {escape(agency)} / unknown agency[/]")
                raise typer.Exit(2)
            try:
                if kind == "zones":
                    result = service.import_zones(
                        session, actor, WriteScope.province(), data, agency
                    )
                else:
                    result = service.import_assets(
                        session, actor, WriteScope.province(), data, agency
                    )
            except service.PlanningImportError as err:
                session.rollback()
                console.print(f"[red]Tệp bị từ chối: {len(err.errors)} lỗi / file refused[/]")
                for e in err.errors:
                    console.print(
                        f"  đối tượng {e.feature} ({escape(e.code or '—')}), "
                        f"{escape(e.field)}: {escape(e.vi)}"
                    )
                raise typer.Exit(1) from err
            session.commit()
    finally:
        engine.dispose()
    if kind == "zones":
        console.print(f"Đã nhập {result.zones} khu của {', '.join(result.plans)}")
    else:
        console.print(f"Đã nhập {result.assets} tài sản hạ tầng")


@planning_app.command("zones")
def zones_command(path: FileArg, agency: AgencyOpt = "so-xay-dung") -> None:
    """Import planning zones (polygons with plan, decision, zone code, land use, limits)."""
    _run("zones", path, agency)


@planning_app.command("assets")
def assets_command(path: FileArg, agency: AgencyOpt = "so-xay-dung") -> None:
    """Import infrastructure assets (points or lines with code, kind, name, status)."""
    _run("assets", path, agency)


def register(app: typer.Typer) -> None:
    """Add ``ioc planning`` to the ``ioc`` application."""
    app.add_typer(planning_app, name="planning")
