"""``ioc demo``: a demo database (SQLite) with a year of data in every pack, then the server
with a local mail sink and simulated portals."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from ioc.cli.common import console, prepare_database, progress_bar
from ioc.cli.server import serve
from ioc.core import audit, auth, clock
from ioc.settings import Settings, get_settings

if TYPE_CHECKING:
    from ioc.engines.alerting.notify.demo_sink import MailSink


def demo(
    days: Annotated[int, typer.Option(help="Số ngày dữ liệu mẫu")] = 365,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    keep: Annotated[bool, typer.Option(help="Giữ CSDL mẫu nếu đã có")] = False,
) -> None:
    """Build a demo database (SQLite) with a year of air data, then serve it."""
    data_dir = Path(os.environ.get("IOC_DATA_DIR", "var"))
    db_path = data_dir / "demo.db"
    os.environ.setdefault("IOC_DATABASE_URL", f"sqlite:///{db_path}")
    get_settings.cache_clear()
    settings = get_settings()
    if settings.is_sqlite and not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    factory = prepare_database(settings)
    password_file = data_dir / "demo-admin.txt"
    created = _demo_admin(factory, data_dir, password_file)
    if not keep or created:
        _demo_air(factory, settings, days)
        _demo_other_packs(factory, settings, days)
    creds = (
        password_file.read_text(encoding="utf-8").split()
        if password_file.exists()
        else ["admin", "?"]
    )
    table = Table(show_header=False, title="IOC Đắk Lắk — bản demo")
    table.add_row("Địa chỉ / URL", f"http://{settings.host}:{settings.port}/")
    table.add_row("Trang công khai", f"http://{settings.host}:{settings.port}/public/air")
    table.add_row("Đăng nhập", f"{creds[0]} / {creds[1]}  ({password_file})")
    if serve_after:
        _start_demo_neighbours(factory, data_dir, table)
    console.print(table)
    if serve_after:
        serve(host=None, port=None, workers=1)


def _demo_admin(factory: sessionmaker[Session], data_dir: Path, password_file: Path) -> bool:
    """Create the demo's ``admin`` with a random password written to ``password_file``
    (readable by its owner only); False when the account already exists."""
    from sqlalchemy import select

    from ioc.core.models import User

    with factory() as session, session.begin():
        existing = session.execute(
            select(User).where(User.username == "admin")
        ).scalar_one_or_none()
        if existing is not None:
            return False
        password = secrets.token_urlsafe(12)  # 16 characters (at least 12 are required)
        auth.create_user(
            session,
            audit.Actor.system("demo"),
            username="admin",
            password=password,
            full_name="Quản trị viên (demo)",
            role="admin",
            agency_code="trung-tam-ioc",
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        password_file.write_text(f"admin\n{password}\n", encoding="utf-8")
        password_file.chmod(0o600)
    return True


def _demo_air(factory: sessionmaker[Session], settings: Settings, days: int) -> None:
    """The environment pack's demo observations, with their own progress bar (the longest)."""
    from ioc.packs.environment.demo import demo_size, load_demo

    hours = days * 24
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    with progress_bar() as progress:
        task = progress.add_task("Sinh dữ liệu quan trắc mẫu", total=demo_size(hours))
        load_demo(
            factory,
            end=end,
            hours=hours,
            offset=clock.fixed_offset_seconds(settings.timezone),
            progress=lambda done: progress.update(task, completed=done),
        )
        progress.update(task, completed=demo_size(hours))


def _start_demo_neighbours(factory: sessionmaker[Session], data_dir: Path, table: Table) -> None:
    """What the served demo talks to instead of the outside world: a local mail sink,
    simulated portals and an SMS sender that only logs; each listed in ``table``."""
    sink = start_demo_mail(data_dir)
    if sink is not None:
        table.add_row("Thư gửi đi / mail", f"{sink.folder} (SMTP 127.0.0.1:{sink.port})")
    # The website probes check local simulated portals, never the real *.gov.vn ones; the
    # simulator's loopback address goes on IOC_OUTBOUND_ALLOW for this process only.
    from ioc.packs.cybersecurity.demo_portals import start_demo_portals

    portals = start_demo_portals(factory)
    get_settings.cache_clear()
    table.add_row("Cổng TTĐT mô phỏng / portals", f"http://{portals.host}:{portals.http_port}/")
    from ioc.engines.alerting import notify

    # SMS to reporters go through the outbox to a sender that only logs (no gateway here).
    notify.register_text_sender("sms", notify.LoggingTextSender("sms"))


def start_demo_mail(data_dir: Path) -> MailSink | None:
    """Start the demo's local SMTP sink (mail kept as files in ``data_dir/demo-mail``) and
    point ``IOC_SMTP_*`` at it for this process; ``None`` when ``IOC_SMTP_HOST`` names a real
    server (then the demo sends through it)."""
    from ioc.engines.alerting.notify.demo_sink import MailSink

    if os.environ.get("IOC_SMTP_HOST"):
        return None
    sink = MailSink(data_dir / "demo-mail")
    port = sink.start()
    os.environ["IOC_SMTP_HOST"] = "127.0.0.1"
    os.environ["IOC_SMTP_PORT"] = str(port)
    os.environ.pop("IOC_SMTP_STARTTLS", None)
    os.environ.pop("IOC_SMTP_USERNAME", None)
    get_settings.cache_clear()
    return sink


def _demo_other_packs(factory: sessionmaker[Session], settings: Settings, days: int) -> None:
    """Every pack's demo hook but the environment's (done above with its own progress bar),
    then one alert evaluation so the console opens on the alerts the demo data raises."""
    from ioc.app import load_registry
    from ioc.engines.alerting.evaluate import evaluate_due

    registry = load_registry()
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    offset = clock.fixed_offset_seconds(settings.timezone)
    packs = [p for p in registry.packs if p.demo is not None and p.name != "environment"]
    with progress_bar() as progress:
        task = progress.add_task("Sinh dữ liệu mẫu các lĩnh vực", total=len(packs) + 1)
        for pack in packs:
            assert pack.demo is not None
            progress.update(task, description=f"Dữ liệu mẫu: {pack.name}")
            pack.demo(factory, end=end, hours=days * 24, offset=offset)
            progress.advance(task)
        progress.update(task, description="Đánh giá quy tắc cảnh báo")
        with factory() as session, session.begin():
            stats = evaluate_due(session, clock.now(), registry, force=True)
        progress.advance(task)
    console.print(f"Cảnh báo: {stats.summary()}")
