"""Each role lands on its own work and sees only the menus it may use.

A commune officer signs in to their commune's scorecard (``/xa/{code}``), not the province
overview; an operator to the alerts console; a leader to the commune board (``/xa``). The IOC's own operation pages
(alert rules, notification settings, scheduled jobs) are neither shown to agency staff nor
readable by them (403), while their own in-app inbox stays theirs.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from helpers import login

MENU_ADMIN = ("/alerts/rules", "/alerts/notifications", "/admin/jobs")


def _nav(html: str) -> str:
    match = re.search(r'<nav class="nav".*?</nav>', html, re.S)
    assert match, "the page has the main menu"
    return match.group(0)


@pytest.mark.parametrize(
    ("role", "agency", "home"),
    [
        ("agency_staff", "ubnd-24133", "/xa/24133"),  # UBND phường Buôn Ma Thuột
        ("agency_staff", "so-y-te", "/alerts?agency=so-y-te"),
        ("operator", "trung-tam-ioc", "/alerts"),
        ("leader", None, "/xa"),
        ("admin", None, "/"),
    ],
)
def test_each_role_lands_on_its_own_work(
    client: TestClient, make_user, role: str, agency: str | None, home: str
) -> None:  # type: ignore[no-untyped-def]
    password = make_user("nguoi.dung", role=role, agency=agency)
    r = login(client, "nguoi.dung", password)  # the login form's default next: "/"
    assert r.status_code == 303  # type: ignore[attr-defined]
    assert r.headers["location"] == home  # type: ignore[attr-defined]
    assert client.get(home).status_code == 200


def test_a_page_asked_for_is_kept(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("can.bo.xa", role="agency_staff", agency="ubnd-24133")
    r = login(client, "can.bo.xa", password, "/traffic")
    assert r.headers["location"] == "/traffic"  # type: ignore[attr-defined]


def test_agency_staff_neither_see_nor_read_the_admin_pages(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(client, "can.bo.xa", make_user("can.bo.xa", role="agency_staff", agency="ubnd-24133"))
    menu = _nav(client.get("/field-reports").text)
    for href in MENU_ADMIN:
        assert f'href="{href}"' not in menu, href
    assert 'href="/field-reports"' in menu and 'href="/alerts"' in menu
    console = client.get("/alerts").text
    for href in MENU_ADMIN:
        assert f'href="{href}"' not in console, href
    for path in (
        "/alerts/rules",
        "/alerts/rules.yaml",
        "/admin/jobs",
        "/alerts/notifications?tab=contacts",
        "/alerts/notifications?tab=outbox",
        "/alerts/notifications?tab=policies",
    ):
        assert client.get(path, follow_redirects=False).status_code == 403, path
    # Their own in-app notifications stay readable (the bare address opens them).
    for path in ("/alerts/notifications?tab=inbox", "/alerts/notifications"):
        inbox = client.get(path)
        assert inbox.status_code == 200, path
        assert "?tab=contacts" not in inbox.text and "?tab=outbox" not in inbox.text
        assert "Thông báo của tôi" in inbox.text


@pytest.mark.parametrize("role", ["operator", "leader", "admin"])
def test_ioc_roles_keep_the_admin_menu(client: TestClient, make_user, role: str) -> None:  # type: ignore[no-untyped-def]
    login(client, "ioc", make_user("ioc", role=role, agency="trung-tam-ioc"))
    menu = _nav(client.get("/").text)
    for href in MENU_ADMIN:
        assert f'href="{href}"' in menu, href
        assert client.get(href).status_code == 200, href
