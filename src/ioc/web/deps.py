"""Request dependencies: database session per request, current user, permission checks.

Every route declares who may call it with ``Depends(require(Permission.X))``; a test walks the
application's routes and fails when one does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from ioc.core import auth, ownership
from ioc.core.audit import Actor
from ioc.core.models import ApiToken, User
from ioc.core.registry import Registry
from ioc.settings import Settings

SESSION_COOKIE = "ioc_session"
LANG_COOKIE = "ioc_lang"


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; committed when the handler returns, rolled back on error."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit happens before the answer is sent. With FastAPI's default
# ("request") it ran after, so a client could be told "stored" (or follow a redirect and read
# the old state) before the commit, and a commit that failed was never reported.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


async def get_settings_dep(request: Request) -> Settings:
    """The application's settings (``async``: no work, so no hop to the thread pool)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_registry(request: Request) -> Registry:
    """The pack registry (``async``: no work, so no hop to the thread pool)."""
    registry: Registry = request.app.state.registry
    return registry


AppSettings = Annotated[Settings, Depends(get_settings_dep)]
AppRegistry = Annotated[Registry, Depends(get_registry)]


@dataclass(frozen=True)
class UserInfo:
    """The signed-in user as plain values: safe to use after the request's session is gone
    (an error page rendered after a rollback must not touch expired ORM objects)."""

    id: int
    username: str
    full_name: str
    role: str
    agency_id: int | None

    @classmethod
    def of(cls, user: User) -> UserInfo:
        """Copy the fields a request needs from a ``User`` row."""
        return cls(user.id, user.username, user.full_name, user.role, user.agency_id)


@dataclass(frozen=True)
class TokenInfo:
    """The API token of a machine caller, as plain values."""

    id: int
    prefix: str
    scopes: tuple[str, ...]
    agency_codes: tuple[str, ...] = ()
    entity_codes: tuple[str, ...] = ()

    @classmethod
    def of(cls, token: ApiToken) -> TokenInfo:
        """Copy the fields a request needs from an ``ApiToken`` row."""
        return cls(
            token.id,
            token.prefix,
            tuple(token.scopes),
            tuple(token.agency_codes or ()),
            tuple(token.entity_codes or ()),
        )


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in person, a machine token, or nobody."""

    user: UserInfo | None
    token: TokenInfo | None = None

    @property
    def actor(self) -> Actor:
        """The audit actor for this caller."""
        if self.user is None:
            return Actor(None, "anonymous")
        label = (
            self.user.username
            if self.token is None
            else f"{self.user.username} (token {self.token.prefix})"
        )
        return Actor(self.user.id, label)

    def can(self, permission: auth.Permission) -> bool:
        """Whether the caller holds ``permission``."""
        if permission is auth.Permission.PUBLIC:
            return True
        if self.user is None:
            return False
        if not auth.has_permission(self.user.role, permission):
            return False
        return self.token is None or permission.value in self.token.scopes


async def refuse_nul(request: Request) -> None:
    """Refuse a URL whose path or a query parameter holds U+0000, naming it (400). No IOC
    parameter may contain one, and PostgreSQL cannot hold it in text: it would otherwise fail
    deep inside a query. Installed for every route by the app."""
    if "\x00" in request.scope.get("path", ""):
        raise HTTPException(
            400, "path: không được chứa ký tự NUL (\\x00) / must not contain a NUL character"
        )
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\x00")
            raise HTTPException(
                400,
                f"{shown}: không được chứa ký tự NUL (\\x00) / must not contain a NUL character",
            )


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in user; the app redirects to the login page."""


def get_principal(request: Request, db: DbSession, settings: AppSettings) -> Principal:
    """Resolve the caller from a Bearer token or the session cookie (cached per request)."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = Principal(None)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = auth.token_user(db, header[7:].strip())
        if found is None:
            raise HTTPException(
                status_code=401,
                detail="Mã truy cập không hợp lệ hoặc đã thu hồi / invalid or revoked token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        principal = Principal(UserInfo.of(found[0]), TokenInfo.of(found[1]))
    else:
        session_found = auth.session_user(
            db, request.cookies.get(SESSION_COOKIE), settings.session_hours
        )
        if session_found is not None:
            principal = Principal(UserInfo.of(session_found[0]))
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def principal_outside_route(request: Request) -> Principal:
    """The caller for pages rendered outside a route (error pages), from the session cookie."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    settings: Settings = request.app.state.settings
    with request.app.state.sessionmaker() as session:
        found = auth.session_user(
            session, request.cookies.get(SESSION_COOKIE), settings.session_hours
        )
        principal = Principal(UserInfo.of(found[0])) if found else Principal(None)
    request.state.principal = principal
    return principal


def require(permission: auth.Permission, *, page: bool = False) -> Callable[..., Any]:
    """Dependency that admits only callers holding ``permission``.

    ``page=True`` sends anonymous visitors to the login page instead of answering 401.
    """

    # async: an in-memory check on the event loop (a sync one would cost a thread-pool hop on
    # every request).
    async def check(request: Request, principal: CurrentPrincipal) -> Principal:
        if principal.can(permission):
            return principal
        if principal.user is None:
            if page:
                raise LoginRequired()
            raise HTTPException(
                status_code=401,
                detail="Cần đăng nhập hoặc mã truy cập / authentication required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raise HTTPException(status_code=403, detail="Không đủ quyền / permission denied")

    check.permission = permission  # type: ignore[attr-defined]  # read by the route audit test
    return check


def write_scope(db: Session, principal: Principal) -> ownership.WriteScope:
    """The owners ``principal`` may write for (see :mod:`ioc.core.ownership`)."""
    if principal.user is None:
        return ownership.WriteScope.nothing()
    base = ownership.user_scope(db, principal.user.role, principal.user.agency_id)
    if principal.token is None:
        return base
    return ownership.narrow_to_token(
        base, principal.token.agency_codes, principal.token.entity_codes
    )


def forbid(
    db: Session, principal: Principal, door: str, error: ownership.NotYourData, **detail: object
) -> HTTPException:
    """Undo the request's pending writes, keep an audit row of the refusal, and return the 403
    to raise. Call as ``raise forbid(...)``."""
    db.rollback()
    ownership.record_denied(db, principal.actor, door, error, **detail)
    db.commit()
    return HTTPException(status_code=403, detail=error.text)


def request_language(request: Request) -> str:
    """The page language: ``?lang=``, then the cookie, then the setting's default."""
    from ioc.web.templating import request_lang

    return request_lang(request, request.app.state.settings.default_language)


# Shared dependency aliases: a route says who may call it by naming one of these (the route
# audit test reads the permission behind each). ``…Page`` sends an anonymous visitor to the
# login page; the others answer 401 (JSON doors).
Public = Annotated[Principal, Depends(require(auth.Permission.PUBLIC))]
PublicPage = Annotated[Principal, Depends(require(auth.Permission.PUBLIC, page=True))]
Viewer = Annotated[Principal, Depends(require(auth.Permission.VIEW, page=True))]
ViewerApi = Annotated[Principal, Depends(require(auth.Permission.VIEW))]
Ingestor = Annotated[Principal, Depends(require(auth.Permission.INGEST))]
IngestorPage = Annotated[Principal, Depends(require(auth.Permission.INGEST, page=True))]
Manager = Annotated[Principal, Depends(require(auth.Permission.MANAGE))]
ManagerPage = Annotated[Principal, Depends(require(auth.Permission.MANAGE, page=True))]
Handler = Annotated[Principal, Depends(require(auth.Permission.HANDLE_ALERTS, page=True))]
Operations = Annotated[Principal, Depends(require(auth.Permission.OPERATIONS, page=True))]
Admin = Annotated[Principal, Depends(require(auth.Permission.ADMIN, page=True))]
AdminApi = Annotated[Principal, Depends(require(auth.Permission.ADMIN))]
# The page language (``vi`` or ``en``) as a parameter: ``lang: Lang``.
Lang = Annotated[str, Depends(request_language)]
