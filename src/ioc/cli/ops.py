"""``ioc backup``, ``ioc restore`` and ``ioc check`` (operations; registered by ``ioc.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ioc.core import backup, clock, readiness
from ioc.settings import get_settings

console = Console()

_PHASES = {"database": "Cơ sở dữ liệu / database", "files": "Tệp đính kèm / files"}


def _progress_bar() -> tuple[Progress, backup.Progress]:
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    tasks: dict[str, TaskID] = {}

    def update(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=max(total, 1))
        bar.update(tasks[phase], completed=done, total=max(total, 1))

    return bar, update


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{escape(message)}[/]", soft_wrap=True, highlight=False)
    return typer.Exit(2)


def backup_command(
    output: Annotated[
        Path | None,
        typer.Argument(help="Tệp .tar đích; bỏ trống: IOC_BACKUP_DIR/ioc-<thời gian>.tar"),
    ] = None,
) -> None:
    """Sao lưu cơ sở dữ liệu và tệp đính kèm vào một tệp .tar / back up the database and files."""
    settings = get_settings()
    target = output or readiness.backup_folder(settings) / backup.default_name(clock.now())
    bar, update = _progress_bar()
    try:
        with bar:
            manifest = backup.create_backup(
                settings.database_url, Path(settings.data_dir), target, progress=update
            )
    except backup.BackupError as exc:
        raise _fail(str(exc)) from None
    rows = sum(manifest.tables.values())
    console.print(
        f"[green]Đã sao lưu[/] {escape(str(target))}: {len(manifest.tables)} bảng, "
        f"{rows:,} dòng, {len(manifest.files)} tệp / tables, rows, files"
    )


def restore_command(
    archive: Annotated[Path, typer.Argument(help="Tệp .tar do ioc backup tạo")],
    force: Annotated[
        bool, typer.Option("--force", help="Thay thế cơ sở dữ liệu đích đã có dữ liệu")
    ] = False,
) -> None:
    """Khôi phục từ bản sao lưu vào IOC_DATABASE_URL và IOC_DATA_DIR / restore a backup."""
    settings = get_settings()
    if not archive.is_file():
        raise _fail(f"Không có tệp {archive} / no such file")
    bar, update = _progress_bar()
    try:
        with bar:
            manifest = backup.restore_backup(
                archive,
                settings.database_url,
                Path(settings.data_dir),
                force=force,
                progress=update,
            )
    except backup.BackupError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"[green]Đã khôi phục[/] {len(manifest.tables)} bảng, {len(manifest.files)} tệp "
        f"(bản sao lưu lúc {manifest.created_at}, phiên bản lược đồ {manifest.revision}); "
        "số dòng mọi bảng khớp / every table's row count matches"
    )


_MARKS = {readiness.OK: "[green]ĐẠT / OK[/]", readiness.WARN: "[yellow]LƯU Ý / WARN[/]"}


def check_command() -> None:
    """Kiểm tra sẵn sàng vận hành / production readiness report (exit 1 when a check fails)."""
    settings = get_settings()
    results = readiness.run_checks(settings)
    table = Table("kiểm tra / check", "kết quả / result", "chi tiết / details")
    for result in results:
        mark = _MARKS.get(result.status, "[red]KHÔNG ĐẠT / FAIL[/]")
        table.add_row(result.name, mark, f"{escape(result.vi)}\n[dim]{escape(result.en)}[/]")
    console.print(table)
    if readiness.failed(results):
        console.print("[red]Chưa sẵn sàng vận hành / not ready for production[/]")
        raise typer.Exit(1)
    console.print("[green]Sẵn sàng vận hành / ready for production[/]")


def register(app: typer.Typer) -> None:
    """Add the commands to the ``ioc`` application."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
    app.command("check")(check_command)
