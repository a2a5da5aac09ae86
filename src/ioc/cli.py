"""Command line ``ioc``: serve, demo, db upgrade, users, tokens, import."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth, clock
from ioc.core.db import make_engine, make_sessionmaker
from ioc.settings import Settings, get_settings

if TYPE_CHECKING:
    from ioc.engines.alerting.notify.demo_sink import MailSink

console = Console()
app = typer.Typer(
    help="IOC Đắk Lắk — Trung tâm giám sát, điều hành đô thị thông minh",
    no_args_is_help=True,
    # A real bug still shows its traceback, but never the local variables (URLs, passwords).
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Cơ sở dữ liệu / database", no_args_is_help=True)
users_app = typer.Typer(help="Người dùng / users", no_args_is_help=True)
tokens_app = typer.Typer(help="Mã truy cập API / API tokens", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


def demo_database(settings: Settings) -> Path:
    """Where ``ioc demo`` keeps its SQLite database (``IOC_DATA_DIR``/demo.db)."""
    return settings.data_dir / "demo.db"


def _fail(message: str) -> typer.Exit:
    """Print a user mistake as plain lines (never a traceback); ``raise _fail(...)``."""
    console.print(f"[red]{escape(message)}[/]", soft_wrap=True, highlight=False)
    return typer.Exit(2)


def _not_set_up(settings: Settings) -> typer.Exit:
    lines = [
        "Cơ sở dữ liệu chưa được khởi tạo: chạy `ioc db upgrade` trước "
        f"(đang dùng IOC_DATABASE_URL={_safe_url(settings.database_url)}).",
    ]
    demo = demo_database(settings)
    if settings.is_sqlite and demo.exists() and not settings.database_url.endswith(str(demo)):
        lines.append(
            f"Bản demo (`make demo`, `ioc demo`) nằm ở {demo}: dùng nó bằng "
            f"IOC_DATABASE_URL=sqlite:///{demo} ioc …"
        )
    return _fail("\n".join(lines))


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
    return _fail(
        f"Không kết nối được cơ sở dữ liệu {_safe_url(settings.database_url)}: "
        f"{reason[0] if reason else type(exc).__name__}"
    )


@contextmanager
def _factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
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


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema up to date and load units, agencies and indicator catalogs."""
    settings = get_settings()
    factory = prepare_database(settings)
    factory.kw["bind"].dispose()
    console.print(f"[green]Cơ sở dữ liệu đã cập nhật[/] ({_safe_url(settings.database_url)})")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@users_app.command("create")
def users_create(
    username: str,
    full_name: Annotated[str, typer.Option("--name", help="Họ và tên")],
    role: Annotated[
        str, typer.Option(help="admin | leader | operator | agency_staff")
    ] = "operator",
    agency: Annotated[str | None, typer.Option(help="Mã đơn vị, ví dụ so-xay-dung")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        str | None, typer.Option(help="Bỏ trống để được hỏi (không lưu trong lịch sử shell)")
    ] = None,
) -> None:
    """Create a user; the password is asked for unless given."""
    if password is None:
        password = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    try:
        with _factory(get_settings()) as factory, factory() as session, session.begin():
            auth.create_user(
                session,
                audit.Actor.system("cli"),
                username=username,
                password=password,
                full_name=full_name,
                role=role,
                agency_code=agency,
                email=email,
            )
    except auth.AuthError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"[green]Đã tạo người dùng {username}[/] ({role})")


@users_app.command("unlock")
def users_unlock(
    username: Annotated[str | None, typer.Argument(help="Tên đăng nhập bị khóa")] = None,
    address: Annotated[
        str | None, typer.Option(help="Mở khóa một địa chỉ IP (đăng nhập sai từ địa chỉ đó)")
    ] = None,
) -> None:
    """Lift the login lock of an account (or of a client address) set by repeated failed logins;
    recorded in the audit log."""
    if not username and not address:
        raise _fail("Cho biết tên đăng nhập hoặc --address / give a username or --address")
    from sqlalchemy import select

    from ioc.core.models import LoginLock, User

    with _factory(get_settings()) as factory, factory() as session, session.begin():
        if (
            username
            and not session.execute(
                select(User.id).where(User.username == username.strip())
            ).first()
        ):
            locked = session.execute(
                select(LoginLock.id).where(
                    LoginLock.kind == auth.ACCOUNT, LoginLock.subject == username.strip()
                )
            ).first()
            if not locked:
                raise _fail(f"Không có người dùng {username}")
        lifted = auth.unlock(session, audit.Actor.system("cli"), username=username, address=address)
    who = " ".join(part for part in (username, address) if part)
    if lifted:
        console.print(f"[green]Đã mở khóa đăng nhập / unlocked:[/] {escape(who)}")
    else:
        console.print(f"{escape(who)} không bị khóa / is not locked (đã xóa số lần sai)")


@tokens_app.command("create")
def tokens_create(
    owner: Annotated[str, typer.Option(help="Tên đăng nhập người chịu trách nhiệm")],
    name: Annotated[str, typer.Option(help="Mô tả, ví dụ: Trạm DL-BMT-01")],
    scope: Annotated[list[str] | None, typer.Option(help="ingest, view, manage")] = None,
    agency: Annotated[
        list[str] | None,
        typer.Option(help="Chỉ ghi dữ liệu của đơn vị này (lặp lại cho nhiều đơn vị)"),
    ] = None,
    entity: Annotated[
        list[str] | None,
        typer.Option(help="Chỉ ghi dữ liệu của trạm/đối tượng này, ví dụ DL-BMT-01"),
    ] = None,
) -> None:
    """Create an API token; it is printed once and stored only as a hash.

    ``--agency`` and ``--entity`` bind the token to its owners: it may then write only for
    them. ``manage`` lets it change an entity's name, place, commune or agency."""
    try:
        with _factory(get_settings()) as factory, factory() as session, session.begin():
            new = auth.create_api_token(
                session,
                audit.Actor.system("cli"),
                owner_username=owner,
                name=name,
                scopes=scope or ["ingest"],
                agency_codes=agency or [],
                entity_codes=entity or [],
            )
    except auth.AuthError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print("Mã truy cập (chỉ hiện một lần / shown once):")
    print(new.secret)


@tokens_app.command("revoke")
def tokens_revoke(prefix: str) -> None:
    """Revoke a token by its prefix (the part after ``ioc_``)."""
    try:
        with _factory(get_settings()) as factory, factory() as session, session.begin():
            auth.revoke_api_token(session, audit.Actor.system("cli"), prefix=prefix)
    except auth.AuthError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"[green]Đã thu hồi {prefix}[/]")


@app.command("import")
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
    with _factory(settings) as factory, _progress() as progress:
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

    with _factory(settings) as factory:
        run_pending(factory)
    if errors:
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(help="Số tiến trình web")] = 1,
) -> None:
    """Run the web server (schema is upgraded first)."""
    import uvicorn

    settings = get_settings()
    prepare_database(settings)
    uvicorn.run(
        "ioc.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # X-Forwarded-For/-Proto only from IOC_TRUSTED_PROXIES (as ioc.web.proxies reads them);
        # none trusted by default, so nobody can claim another address.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        log_level=settings.log_level.lower(),
    )


@app.command("demo")
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
    with factory() as session, session.begin():
        from sqlalchemy import select

        from ioc.core.models import User

        existing = session.execute(
            select(User).where(User.username == "admin")
        ).scalar_one_or_none()
        if existing is None:
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
    from ioc.packs.environment.demo import demo_size, load_demo

    if not keep or existing is None:
        hours = days * 24
        end = clock.now().replace(minute=0, second=0, microsecond=0)
        with _progress() as progress:
            task = progress.add_task("Sinh dữ liệu quan trắc mẫu", total=demo_size(hours))
            load_demo(
                factory,
                end=end,
                hours=hours,
                offset=clock.fixed_offset_seconds(settings.timezone),
                progress=lambda done: progress.update(task, completed=done),
            )
            progress.update(task, completed=demo_size(hours))
    if not keep or existing is None:
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
    console.print(table)
    if serve_after:
        serve(host=None, port=None, workers=1)


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
    with _progress() as progress:
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


@app.command("worker")
def worker() -> None:
    """Run the periodic jobs (alert evaluation, notifications …) without a web server.

    Start it on one or more machines with ``IOC_SCHEDULER=off`` on the web servers: the
    workers elect one runner through a database lease and take over if it stops.
    """
    import signal
    import threading

    from ioc.app import boot
    from ioc.background import make_scheduler

    settings = get_settings()
    registry = boot(settings)
    with _factory(settings) as factory:
        scheduler = make_scheduler(settings, factory, registry)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        scheduler.start()
        console.print(f"Tác vụ định kỳ đang chạy ({scheduler.holder}); Ctrl+C để dừng")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.stop()


alerts_app = typer.Typer(help="Cảnh báo / alerting", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


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
    with _factory(settings) as factory, factory() as session:
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
    with _factory(settings) as factory, factory() as session:
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
    with _factory(settings) as factory, factory() as session, session.begin():
        stats = evaluate_due(session, clock.now(), registry, force=force)
    console.print(stats.summary())


@app.command("derive")
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
    with _factory(settings) as factory:
        while True:
            done = run_pending(factory)
            if done:
                console.print(f"Đã xử lý {done} việc tính chỉ số")
            if once:
                return
            time.sleep(max(settings.derive_delay_ms, 100) / 1000)


ingest_app = typer.Typer(
    help="Tiếp nhận dữ liệu liên tục / streaming ingestion", no_args_is_help=True
)
app.add_typer(ingest_app, name="ingest")


@ingest_app.command("syslog")
def ingest_syslog() -> None:
    """Receive security events over syslog (RFC 5424/3164, CEF; UDP and TCP, IOC_SYSLOG_*)
    until Ctrl+C, printing the counters every 10 seconds."""
    import signal
    import threading

    from ioc.app import boot
    from ioc.packs.cybersecurity.listener import serve as serve_syslog

    settings = get_settings()
    boot(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    console.print(
        f"Nhận syslog tại {settings.syslog_host} UDP {settings.syslog_udp_port} / TCP "
        f"{settings.syslog_tcp_port}; Ctrl+C để dừng"
    )
    with _factory(settings) as factory:
        stats = serve_syslog(settings, factory, stop, report=lambda c: console.print(c))
    console.print(stats.as_dict())


@ingest_app.command("mqtt")
def ingest_mqtt(
    every: Annotated[int, typer.Option(help="In một dòng sau mỗi N tin nhắn")] = 10_000,
    share_group: Annotated[
        str | None,
        typer.Option(
            help="Nhóm đăng ký chung MQTT 5 ($share/<nhóm>/…); mặc định IOC_MQTT_SHARE_GROUP"
        ),
    ] = None,
    instance: Annotated[
        str,
        typer.Option(
            help="Số/tên tiến trình trong nhóm: client id = IOC_MQTT_CLIENT_ID-<instance>"
        ),
    ] = "",
    leave: Annotated[
        bool,
        typer.Option(
            "--leave",
            help="Rời nhóm hẳn (bớt một tiến trình): lưu nốt tin của phiên này rồi xóa phiên",
        ),
    ] = False,
) -> None:
    """Run the MQTT connector in the foreground until Ctrl-C (IOC_MQTT_* settings).

    Several processes share the stream through an MQTT 5 shared subscription: give each the
    same ``--share-group`` (or IOC_MQTT_SHARE_GROUP) and its own ``--instance`` (a fixed client
    id, so that a process restarted after a crash gets back the messages it had not
    acknowledged). To remove a process for good, run it once more with ``--leave``: it
    stores what its session still holds, then ends the session (the broker would otherwise
    keep handing it a share). Derived indicators are computed by a thread of this process
    unless IOC_DERIVE_WORKER=off (then a separate ``ioc derive`` does it).
    """
    import signal
    import threading
    import time

    from ioc.engines.derive import DeriveWorker
    from ioc.engines.mqtt import MqttConnector

    settings = get_settings()
    update: dict[str, str] = {}
    if share_group is not None:
        update["mqtt_share_group"] = share_group
    if instance:
        update["mqtt_client_id"] = f"{settings.mqtt_client_id}-{instance}"
    settings = settings.model_copy(update=update)
    factory = prepare_database(settings)
    from ioc.app import boot

    registry = boot(settings)
    worker = None
    if settings.derive_worker == "thread":
        worker = DeriveWorker(factory, delay_ms=settings.derive_delay_ms)
        worker.start()
    connector = MqttConnector(
        settings, factory, registry, derive=worker.notify if worker else (lambda: None)
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    connector.start()
    if leave:  # scaling down: drain this member's session, then end it
        left = connector.leave()
        if worker is not None:
            worker.stop()
        factory.kw["bind"].dispose()
        stats = connector.stats
        console.print(
            f"{'Đã rời nhóm' if left else '[red]Chưa rời nhóm (còn tin chưa lưu)[/]'}: "
            f"{stats.messages} tin nhắn, {stats.readings} giá trị."
        )
        if not left:
            raise typer.Exit(1)
        return
    for _ in range(100):  # the first line says whether the broker answered (up to 10 s)
        if connector.connected:
            break
        time.sleep(0.1)
    console.print(
        f"{'Đã kết nối' if connector.connected else '[red]Chưa kết nối[/]'} "
        f"MQTT {settings.mqtt_host}:{settings.mqtt_port} · {settings.mqtt_topics} · "
        f"client id {settings.mqtt_client_id}"
        + (f" · $share/{settings.mqtt_share_group}" if settings.mqtt_share_group else "")
        + " — Ctrl-C để dừng / to stop"
    )
    printed = 0
    try:
        while not done.wait(1.0):
            stats = connector.stats
            if stats.messages - printed >= max(every, 1):
                printed = stats.messages
                console.print(
                    f"{stats.messages} tin nhắn · {stats.readings} giá trị · "
                    f"{stats.dead_letters} thư lỗi · "
                    f"{'đã kết nối' if connector.connected else '[red]mất kết nối[/]'}"
                )
    except KeyboardInterrupt:
        pass
    finally:
        connector.stop()
        if worker is not None:
            worker.stop()
        factory.kw["bind"].dispose()
    stats = connector.stats
    console.print(
        f"Đã dừng: {stats.messages} tin nhắn, {stats.readings} giá trị, "
        f"{stats.dead_letters} thư lỗi."
    )


geo_app = typer.Typer(help="Bản đồ, ranh giới xã/phường / maps, boundaries", no_args_is_help=True)
geo_import_app = typer.Typer(help="Nhập lớp bản đồ / import map layers", no_args_is_help=True)
app.add_typer(geo_app, name="geo")
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
    with _factory(settings) as factory, factory() as session, _progress() as progress:
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


@app.command("settings")
def show_settings() -> None:
    """List every IOC_* setting with its current value and meaning."""
    settings = get_settings()
    table = Table("IOC_*", "giá trị / value", "ý nghĩa / meaning")
    for name, field in Settings.model_fields.items():
        shown = escape(shown_setting(name, getattr(settings, name)))
        table.add_row(f"IOC_{name.upper()}", shown, field.description or "")
    console.print(table)


_SECRET_WORDS = frozenset({"password", "secret", "token", "key"})


def shown_setting(name: str, value: object) -> str:
    """A setting's value as ``ioc settings`` prints it: a setting named for a password, secret,
    token or key is masked, and so is the password inside any URL (``user:***@host``)."""
    if _SECRET_WORDS & set(name.lower().split("_")):
        return "••••" if value else ""
    return mask_url_passwords(str(value))


def mask_url_passwords(text: str) -> str:
    """``scheme://user:password@host`` → ``scheme://user:***@host`` wherever it occurs."""
    return re.sub(r"(\w[\w+.-]*://[^\s:/@]*:)[^\s@/]+(@)", r"\1***\2", text)


def _register_ops() -> None:
    from ioc.cli_ops import register

    register(app)  # ioc backup, ioc restore, ioc check (issue 19)


_register_ops()


def _register_planning() -> None:
    from ioc.cli_planning import register

    register(app)  # ioc planning zones|assets FILE (issue 21)


_register_planning()


def main() -> None:
    """Entry point of the ``ioc`` command."""
    app()
