"""``ioc geo import communes FILE``: the commune boundaries from GeoJSON (all or nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ioc.cli.common import console, progress_bar, session_factory
from ioc.core import audit
from ioc.settings import get_settings

geo_app = typer.Typer(help="Bản đồ, ranh giới xã/phường / maps, boundaries", no_args_is_help=True)
geo_import_app = typer.Typer(help="Nhập lớp bản đồ / import map layers", no_args_is_help=True)
geo_app.add_typer(geo_import_app, name="import")


@geo_import_app.command("communes")
def geo_import_communes(
    path: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection, WGS84, mã xã 5 số")],
    valid_from: Annotated[
        str | None, typer.Option(help="Ngày hiệu lực YYYY-MM-DD (mặc định: hôm nay)")
    ] = None,
    approximate: Annotated[
        bool, typer.Option(help="Đánh dấu là ranh giới gần đúng (bản nháp)")
    ] = False,
) -> None:
    """Import the commune boundaries (all or nothing) and make them current.

    Each feature carries its 5-digit commune code in ``code``, ``ma_xa``, ``ma`` or ``MA_XA``.
    The file is refused on any error (unknown code, invalid polygon, overlap); gaps and
    communes without a boundary are warnings."""
    from datetime import date

    from rich.markup import escape
    from rich.progress import TaskID

    from ioc.engines import geo

    settings = get_settings()
    try:
        start = date.fromisoformat(valid_from) if valid_from else None
    except ValueError as exc:
        console.print(f"[red]--valid-from phải là YYYY-MM-DD: {valid_from}[/]")
        raise typer.Exit(2) from exc
    try:
        data = path.read_bytes()
    except OSError as exc:
        console.print(f"[red]Không đọc được {path}: {exc}[/]")
        raise typer.Exit(2) from exc
    labels = {"check": "Kiểm tra", "overlap": "Chồng lấn", "save": "Lưu"}
    with session_factory(settings) as factory, factory() as session, progress_bar() as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(labels.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done)

        try:
            summary = geo.import_boundaries(
                session,
                audit.Actor.system(f"cli geo import {path.name}"),
                data,
                valid_from=start,
                source="approximate" if approximate else "imported",
                progress=report if len(data) > 1_000_000 else None,
            )
        except geo.BoundaryImportError as exc:
            session.rollback()
            progress.stop()
            console.print(f"[red]Không nhập tệp {path.name}: {len(exc.problems)} lỗi[/]")
            for problem in exc.problems:
                console.print(f"[red]•[/] {escape(problem)}", highlight=False)
            raise typer.Exit(1) from exc
        session.commit()
    table = Table(show_header=False, title=f"Ranh giới xã/phường — {path.name}")
    table.add_row("Đã nhập / imported", str(summary.imported))
    table.add_row("Thay bản trước / replaced", str(summary.replaced))
    table.add_row("Hiệu lực từ / valid from", summary.valid_from.isoformat())
    table.add_row("Nguồn / source", summary.source)
    table.add_row("Diện tích / area", f"{summary.total_km2:,.1f} km²")
    table.add_row("Khoảng trống / gaps", f"{summary.gap_km2:,.2f} km² ({summary.gap_share:.2%})")
    console.print(table)
    for warning in summary.warnings:
        console.print(f"[yellow]![/] {escape(warning)}", highlight=False)
