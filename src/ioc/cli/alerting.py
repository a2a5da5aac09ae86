"""``ioc alerts load|export|evaluate``: alert rules and SOPs as YAML, one evaluation now."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ioc.cli.common import console, session_factory
from ioc.core import audit, clock
from ioc.settings import get_settings

alerts_app = typer.Typer(help="Cảnh báo / alerting", no_args_is_help=True)


@alerts_app.command("load")
def alerts_load(
    path: Annotated[Path, typer.Argument(help="Tệp YAML quy tắc (rules:, sops:)")],
    force: Annotated[bool, typer.Option(help="Ghi đè cả quy tắc đã sửa trên giao diện")] = False,
) -> None:
    """Load alert rules and SOPs from a YAML file (all or nothing)."""
    from ioc.engines.alerting.rules import RuleError, load_text

    settings = get_settings()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        console.print(f"[red]Không đọc được {path}: {exc}[/]")
        raise typer.Exit(2) from exc
    with session_factory(settings) as factory, factory() as session:
        try:
            result = load_text(session, text, audit.Actor.system("cli"), force=force)
        except RuleError as exc:
            session.rollback()
            for error in exc.errors:
                console.print(f"[red]{error}[/]", markup=True)
            raise typer.Exit(1) from exc
        session.commit()
    console.print(
        f"Thêm {len(result.created)}, sửa {len(result.updated)}, giữ nguyên "
        f"{len(result.unchanged)}, giữ bản sửa trên giao diện {len(result.kept_ui)}, "
        f"{result.sops} quy trình"
    )


@alerts_app.command("export")
def alerts_export() -> None:
    """Print every alert rule and SOP as YAML (to keep them under version control)."""
    from sqlalchemy import select

    from ioc.engines.alerting.models import AlertRule, SopTemplate
    from ioc.engines.alerting.rules import dump_yaml

    settings = get_settings()
    with session_factory(settings) as factory, factory() as session:
        rules = list(session.execute(select(AlertRule).order_by(AlertRule.uid)).scalars())
        sops = list(session.execute(select(SopTemplate).order_by(SopTemplate.key)).scalars())
    typer.echo(dump_yaml(rules, sops), nl=False)


@alerts_app.command("evaluate")
def alerts_evaluate(
    force: Annotated[bool, typer.Option(help="Đánh giá mọi quy tắc, kể cả chưa đến chu kỳ")] = True,
) -> None:
    """Evaluate the alert rules once now (what the scheduler does every few seconds)."""
    from ioc.app import boot
    from ioc.engines.alerting.evaluate import evaluate_due

    settings = get_settings()
    registry = boot(settings)
    with session_factory(settings) as factory, factory() as session, session.begin():
        stats = evaluate_due(session, clock.now(), registry, force=force)
    console.print(stats.summary())
