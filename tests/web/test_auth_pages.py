"""Login, sessions, CSRF, permissions and the audit trail, as a user meets them."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core import audit, auth
from ioc.core.models import ApiToken, AuditLog, User


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


def test_every_route_declares_its_permission(client: TestClient) -> None:
    """A route without ``require(...)`` would be reachable by anyone: refuse to ship it."""
    missing = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute):
            continue
        declared = [
            d.call
            for d in route.dependant.dependencies
            if getattr(d.call, "permission", None) is not None
        ]
        if not declared:
            missing.append(route.path)
    assert missing == []


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
