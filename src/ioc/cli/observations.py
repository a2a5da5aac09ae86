"""``ioc import FILE`` (observations from CSV or XLSX) and ``ioc derive`` (the derived
indicators' worker)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ioc.cli.common import console, progress_bar, session_factory
from ioc.core import audit
from ioc.settings import get_settings


def import_file(
    path: Path,
    atomic: Annotated[bool, typer.Option(help="Không lưu gì nếu có dòng lỗi")] = False,
    batch: Annotated[int, typer.Option(help="Số dòng mỗi giao dịch")] = 10_000,
) -> None:
    """Import observations from a CSV or XLSX file (same columns as the API), with progress."""
    from ioc.app import boot
    from ioc.core.clock import fixed_offset_seconds
    from ioc.engines.ingestion import service
    from ioc.engines.ingestion.parse import PayloadError, RawRow, parse_csv, parse_xlsx
    from ioc.engines.ingestion.validate import RowError

    settings = get_settings()
    registry = boot(settings)
    if not path.exists():
        console.print(f"[red]Không có tệp {path}[/]")
        raise typer.Exit(2)
    try:
        if path.suffix.lower() == ".xlsx":
            rows: list[RawRow] = list(parse_xlsx(path))
        elif path.suffix.lower() in (".csv", ".txt"):
            rows = parse_csv(path.read_text(encoding="utf-8-sig"))
        else:
            console.print("[red]Chỉ nhận .csv hoặc .xlsx[/]")
            raise typer.Exit(2)
    except (PayloadError, UnicodeDecodeError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    offset = fixed_offset_seconds(settings.timezone)
    stored = 0
    errors: list[RowError] = []
    chunks = [rows] if atomic else [rows[i : i + batch] for i in range(0, len(rows), batch)]
    with session_factory(settings) as factory, progress_bar() as progress:
        task = progress.add_task("Nhập dữ liệu", total=len(rows))
        for chunk in chunks:
            with factory() as session, session.begin():
                report = service.ingest(
                    session,
                    chunk,
                    registry=registry,
                    offset=offset,
                    atomic=atomic,
                    actor=audit.Actor.system(f"cli import {path.name}"),
                    source="file",
                )
            stored += report.stored
            errors.extend(report.errors)
            progress.advance(task, len(chunk))
    for err in errors[:50]:
        console.print(f"[yellow]Dòng {err.row}[/], cột [bold]{err.field}[/]: {err.message}")
    if len(errors) > 50:
        console.print(f"… và {len(errors) - 50} lỗi khác")
    console.print(
        f"Đã lưu [green]{stored}[/] giá trị; [red]{len({e.row for e in errors})}[/] dòng lỗi."
    )
    from ioc.engines.derive import run_pending

    with session_factory(settings) as factory:
        run_pending(factory)
    if errors:
        raise typer.Exit(1)


def derive(
    once: Annotated[bool, typer.Option(help="Xử lý hàng đợi một lần rồi thoát")] = False,
) -> None:
    """Compute derived indicators (VN_AQI) from the queue, as a separate worker process.

    Use with ``IOC_DERIVE_WORKER=off`` on the web servers when ingestion and derivation should
    run on different cores or machines.
    """
    import time

    from ioc.app import boot
    from ioc.engines.derive import run_pending

    settings = get_settings()
    boot(settings)
    with session_factory(settings) as factory:
        while True:
            done = run_pending(factory)
            if done:
                console.print(f"Đã xử lý {done} việc tính chỉ số")
            if once:
                return
            time.sleep(max(settings.derive_delay_ms, 100) / 1000)
