"""Login, sessions, CSRF, permissions and the audit trail, as a user meets them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import Mount

from helpers import csrf, login
from ioc.app import create_app
from ioc.core import audit, auth, clock
from ioc.core.auth import Permission
from ioc.core.models import ApiToken, AuditLog, User
from ioc.settings import Settings
from ioc.web.deps import Principal, require


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    r = client.get("/environment", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/environment"


def test_login_sets_secure_session_and_lands_on_next(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("lanh.dao", role="leader")
    r = login(client, "lanh.dao", password, "/environment")
    assert r.status_code == 303 and r.headers["location"] == "/environment"  # type: ignore[attr-defined]
    cookie = r.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "ioc_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_and_audited(
    client: TestClient, make_user, factory: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    make_user("van.hanh")
    r = login(client, "van.hanh", "sai-mat-khau-roi")
    assert r.status_code == 401  # type: ignore[attr-defined]
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in r.text  # type: ignore[attr-defined]
    with factory() as s:
        actions = [a for (a,) in s.execute(select(AuditLog.action)).all()]
    assert "user.login_failed" in actions


def test_login_without_csrf_token_is_refused(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("a.b")
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": "a.b", "password": password, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 400
    assert "ioc_session" not in r.headers.get("set-cookie", "")


def test_a_late_fragment_does_not_replace_the_login_forms_nonce(
    client: TestClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    """A fragment of the page just left (htmx, sent after the cookies were cleared) must not
    plant a new CSRF nonce over the one the login form on screen carries."""
    password = make_user("muon.tre")
    token = csrf(client)
    # The fragment left without cookies; the browser applies its answer's cookies on arrival.
    with TestClient(client.app) as cookieless:
        late = cookieless.get("/login", headers={"HX-Request": "true"})
    assert "ioc_csrf" not in late.headers.get("set-cookie", "")
    client.cookies.update(late.cookies)
    r = client.post(
        "/login",
        data={"username": "muon.tre", "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_open_redirect_is_blocked(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("c.d")
    r = login(client, "c.d", password, "//evil.example/steal")
    assert r.headers["location"] == "/alerts"  # type: ignore[attr-defined]  # an operator's home


def test_logout_ends_the_session(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("e.f")
    login(client, "e.f", password)
    token = csrf(client, "/")
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_passwords_hashed_with_argon2id(factory: sessionmaker[Session], make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("g.h")
    with factory() as s:
        user = s.execute(select(User).where(User.username == "g.h")).scalar_one()
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash
    assert auth.verify_password(user.password_hash, password)
    assert not auth.verify_password(user.password_hash, password + "x")


def test_weak_password_and_unknown_role_refused(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        for kwargs in (
            {"password": "ngắn", "role": "operator"},
            {"password": "đủ-dài-rồi-nhé", "role": "vua"},
        ):
            try:
                auth.create_user(s, audit.Actor.system("t"), username="x", full_name="X", **kwargs)
            except auth.AuthError:
                continue
            raise AssertionError(f"accepted {kwargs}")


@pytest.mark.parametrize(
    "weak",
    [
        "mười-một-kt",  # 11 characters
        "password12",
        "1234567890",
        "123456789012",
        "MatKhau123456",  # the list is compared without case …
        "Mật-khẩu-mới".replace("-", "") + "123456",  # … and without diacritics (matkhaumoi…)
        "Qwertyuiop12",
        "admin1234567",
    ],
)
def test_short_or_common_passwords_are_refused(factory: sessionmaker[Session], weak: str) -> None:
    with factory() as s, pytest.raises(auth.AuthError) as refused:
        auth.create_user(
            s, audit.Actor.system("t"), username="x", full_name="X", password=weak, role="operator"
        )
    assert "12" in str(refused.value) or "phổ biến" in str(refused.value)


def test_the_common_password_list_ships_with_the_package() -> None:
    common = auth.common_passwords()
    assert len(common) > 9000
    assert {"password12", "matkhau123456", "qwertyuiop12", "admin1234567"} <= common
    auth.check_password("một câu dài dễ nhớ 2026")  # a passphrase passes


def _locked(response: object) -> bool:
    return response.status_code == 429 and "tạm khóa" in response.text  # type: ignore[attr-defined]


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: TestClient, make_user: Any, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    password = make_user("bi.do")
    for attempt in range(1, 10):
        r = login(client, "bi.do", f"sai-mat-khau-{attempt}")
        assert r.status_code == 401  # type: ignore[attr-defined]
    tenth = login(client, "bi.do", "sai-mat-khau-10")
    assert _locked(tenth)  # the 10th failure locks, and says so
    right = login(client, "bi.do", password)
    assert _locked(right)  # even the right password is refused …
    assert "15 phút" in right.text  # type: ignore[attr-defined]  # … for 15 minutes
    assert right.headers["retry-after"] == "900"  # type: ignore[attr-defined]
    assert "ioc_session" not in right.headers.get("set-cookie", "")  # type: ignore[attr-defined]
    english = client.post(
        "/login?lang=en",
        data={"username": "bi.do", "password": password, "csrf_token": csrf(client)},
    )
    assert english.status_code == 429 and "locked" in english.text
    with factory() as s:
        actions = [a for (a,) in s.execute(select(AuditLog.action).order_by(AuditLog.id))]
    assert actions.count("user.locked") == 1
    # The lock ends by itself.
    clock.set_now(frozen_now + timedelta(minutes=16))
    assert login(client, "bi.do", password).status_code == 303  # type: ignore[attr-defined]


def test_an_administrator_unlocks_an_account(
    client: TestClient, make_user: Any, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    password = make_user("bi.khoa")
    for attempt in range(10):
        login(client, "bi.khoa", f"sai-{attempt}")
    assert _locked(login(client, "bi.khoa", password))
    with factory() as s, s.begin():
        assert auth.unlock(s, audit.Actor.system("admin"), username="bi.khoa") == 1
    assert login(client, "bi.khoa", password).status_code == 303  # type: ignore[attr-defined]
    with factory() as s:
        actions = [a for (a,) in s.execute(select(AuditLog.action))]
    assert "user.locked" in actions and "user.unlocked" in actions


def test_the_count_is_shared_by_every_web_process(
    settings: Settings, engine: Engine, make_user: Any, frozen_now: datetime
) -> None:
    """Two workers (two apps on one database) count the same failures."""
    password = make_user("bi.chung")
    workers = [TestClient(create_app(settings, engine)) for _ in range(2)]
    for attempt in range(10):
        login(workers[attempt % 2], "bi.chung", f"sai-{attempt}")
    assert _locked(login(workers[0], "bi.chung", password))
    assert _locked(login(workers[1], "bi.chung", password))


def test_password_guessing_across_accounts_locks_the_address(
    settings: Settings, engine: Engine, make_user: Any, frozen_now: datetime
) -> None:
    """Behind the trusted proxy, the citizen's address counts, not the proxy's."""
    password = make_user("nan.nhan")
    served = settings.model_copy(
        update={"trusted_proxies": ["10.0.0.7"], "login_max_failures_per_address": 3}
    )
    proxy = TestClient(create_app(served, engine), client=("10.0.0.7", 40000))
    attacker = {"X-Forwarded-For": "203.0.113.66"}
    for name in ("a1", "a2", "a3"):
        r = proxy.post(
            "/login",
            data={"username": name, "password": "doan-mo-1234", "csrf_token": csrf(proxy)},
            headers=attacker,
        )
    assert r.status_code == 429 and "địa chỉ này" in r.text
    r = proxy.post(
        "/login",
        data={"username": "nan.nhan", "password": password, "csrf_token": csrf(proxy)},
        headers=attacker,
        follow_redirects=False,
    )
    assert r.status_code == 429  # the address is locked, whatever the account
    r = proxy.post(
        "/login",
        data={"username": "nan.nhan", "password": password, "csrf_token": csrf(proxy)},
        headers={"X-Forwarded-For": "198.51.100.20"},
        follow_redirects=False,
    )
    assert r.status_code == 303  # another citizen behind the same proxy signs in


def test_api_token_stored_hashed_and_revocable(
    client: TestClient, factory: sessionmaker[Session], ingest_token: str, station: str
) -> None:
    with factory() as s:
        token = s.execute(select(ApiToken)).scalar_one()
        assert ingest_token not in token.token_hash and token.prefix in ingest_token
    body = {
        "observations": [
            {"indicator": "pm25", "entity": station, "time": "2026-03-10T01:00:00Z", "value": 1}
        ]
    }
    headers = {"Authorization": f"Bearer {ingest_token}"}
    assert client.post("/api/v1/observations", json=body, headers=headers).status_code == 200
    with factory() as s, s.begin():
        auth.revoke_api_token(s, audit.Actor.system("t"), prefix=token.prefix)
    assert client.post("/api/v1/observations", json=body, headers=headers).status_code == 401


def test_leader_cannot_ingest_with_session(client: TestClient, make_user, station: str) -> None:  # type: ignore[no-untyped-def]
    password = make_user("leader2", role="leader")
    login(client, "leader2", password)
    body = {
        "observations": [
            {"indicator": "pm25", "entity": station, "time": "2026-03-10T01:00:00Z", "value": 1}
        ]
    }
    assert client.post("/api/v1/observations", json=body).status_code == 403


# Routes that are not FastAPI endpoints and so cannot carry a dependency: the OpenAPI document
# (public by nature: it describes the API) and the static files.
NOT_ENDPOINTS = frozenset({"/api/openapi.json", "/static"})


def _permissions(dependant: Any) -> list[object]:
    """Permissions declared by ``require(...)`` anywhere in a dependency tree."""
    found = []
    for dep in dependant.dependencies:
        if getattr(dep.call, "permission", None) is not None:
            found.append(dep.call.permission)
        found.extend(_permissions(dep))
    return found


def route_tree(app: Any) -> list[tuple[str, str, Any]]:
    """Every route the application answers, as (methods, path, effective dependant or None).

    Walks the real tree: this FastAPI keeps included routers as ``_IncludedRouter`` entries of
    ``app.routes`` (no ``APIRoute`` at the top), so routers are expanded into the routes they
    serve, with the dependencies of the app, of each ``include_router`` and of the route itself;
    mounted sub-applications are entered too."""
    out: list[tuple[str, str, Any]] = []

    def walk(routes: Any, prefix: str) -> None:
        for context in iter_route_contexts(routes):
            route = context.original_route
            path = prefix + (context.path or "")
            methods = ",".join(sorted(context.methods or ()))
            if isinstance(route, APIRoute):
                out.append((methods, path, context.dependant))
            elif isinstance(route, Mount) and route.routes:
                walk(route.routes, path)
            else:
                out.append((methods, path, None))

    walk(app.routes, "")
    return out


def unguarded(app: Any) -> list[str]:
    """Routes without a ``require(...)`` dependency (None when the app has none at all)."""
    return [
        f"{methods} {path}"
        for methods, path, dependant in route_tree(app)
        if path not in NOT_ENDPOINTS and (dependant is None or not _permissions(dependant))
    ]


def test_every_route_declares_its_permission(client: TestClient) -> None:
    """A route without ``require(...)`` would be reachable by anyone: refuse to ship it."""
    routes = route_tree(client.app)
    assert len(routes) > 100  # the walk reached the routers' routes, not just the top level
    assert {"/login", "/api/v1/observations", "/open311/v2/requests.{fmt}"} <= {
        path for _m, path, _d in routes
    }
    assert unguarded(client.app) == []


def test_the_permission_check_finds_an_unguarded_route() -> None:
    """The check above is not vacuous: an included router's route without ``require(...)``,
    a nested one, and one added to the app directly are all reported."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    inner = APIRouter(prefix="/inner")

    @inner.get("/open")
    def open_inner() -> dict[str, str]:
        return {}

    outer = APIRouter(prefix="/outer")

    @outer.get("/guarded")
    def guarded(_p: Annotated[Principal, Depends(require(Permission.VIEW))]) -> dict[str, str]:
        return {}

    @outer.post("/open")
    def open_outer() -> dict[str, str]:
        return {}

    outer.include_router(inner)
    app.include_router(outer)

    @app.get("/direct")
    def direct() -> dict[str, str]:
        return {}

    reported = {line.split(" ", 1)[1] for line in unguarded(app)}
    assert reported == {"/direct", "/outer/open", "/outer/inner/open"}  # not /outer/guarded


def test_public_pages_need_no_login(client: TestClient) -> None:
    assert client.get("/public/air").status_code == 200
    assert client.get("/api/v1/environment/stations").status_code == 200
    assert client.get("/healthz").json()["status"] == "ok"


def test_unknown_page_is_a_friendly_404(client: TestClient) -> None:
    r = client.get("/public/air/KHONG-CO", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "<html" in r.text


def test_language_switch(client: TestClient) -> None:
    r = client.get("/public/air?lang=en")
    assert "Air quality" in r.text and 'lang="en"' in r.text
    r = client.get("/public/air")  # remembered by cookie
    assert 'lang="en"' in r.text
    assert 'lang="vi"' in client.get("/public/air?lang=vi").text
