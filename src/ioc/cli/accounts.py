"""``ioc db upgrade|partition``, ``ioc users create|unlock`` and ``ioc tokens create|revoke``:
the schema, the accounts and the API tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ioc.cli.common import console, fail, prepare_database, safe_url, session_factory
from ioc.core import audit, auth
from ioc.settings import get_settings

db_app = typer.Typer(help="Cơ sở dữ liệu / database", no_args_is_help=True)
users_app = typer.Typer(help="Người dùng / users", no_args_is_help=True)
tokens_app = typer.Typer(help="Mã truy cập API / API tokens", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema up to date and load units, agencies and indicator catalogs."""
    settings = get_settings()
    factory = prepare_database(settings)
    factory.kw["bind"].dispose()
    console.print(f"[green]Cơ sở dữ liệu đã cập nhật[/] ({safe_url(settings.database_url)})")


@db_app.command("partition")
def db_partition(
    undo: Annotated[bool, typer.Option(help="Trở lại bảng thường / back to plain tables")] = False,
) -> None:
    """PostgreSQL: partition observations and the hour/day rollups by month (needed for
    IOC_RAW_RETENTION_MONTHS), or undo it; every row is kept. Locks the tables while it copies
    them: run it in a quiet hour, after a backup."""
    from ioc.core import clock, partitions

    settings = get_settings()
    factory = prepare_database(settings)
    engine = factory.kw["bind"]
    try:
        with engine.begin() as conn:
            if not partitions.is_postgres(conn):
                raise fail("Chỉ dùng với PostgreSQL / PostgreSQL only")
            done = (
                partitions.unconvert(conn)
                if undo
                else partitions.convert(conn, clock.now(), ahead=settings.partitions_ahead_months)
            )
    finally:
        engine.dispose()
    if not done:
        console.print("Không có gì thay đổi / nothing to change")
        return
    what = "bảng thường" if undo else "phân vùng theo tháng"
    console.print(f"[green]Đã chuyển sang {what}:[/] {', '.join(done)}")


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
        with session_factory(get_settings()) as factory, factory() as session, session.begin():
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
        raise fail("Cho biết tên đăng nhập hoặc --address / give a username or --address")
    from sqlalchemy import select

    from ioc.core.models import LoginLock, User

    with session_factory(get_settings()) as factory, factory() as session, session.begin():
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
                raise fail(f"Không có người dùng {username}")
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
        with session_factory(get_settings()) as factory, factory() as session, session.begin():
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
        with session_factory(get_settings()) as factory, factory() as session, session.begin():
            auth.revoke_api_token(session, audit.Actor.system("cli"), prefix=prefix)
    except auth.AuthError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"[green]Đã thu hồi {prefix}[/]")
