"""A deadline that is a date reads as a date: "30/04/2026", never "30/04/2026 00:00"
(issue 16, point 7)."""

from __future__ import annotations

import re

from doc_helpers import SKHCN
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login


def test_extended_task_deadline_shows_the_day_only(
    client: TestClient, make_user, factory: sessionmaker[Session], directive_tasks: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    login(client, "ld", make_user("ld", role="leader"))
    url = f"/documents/tasks/{directive_tasks[SKHCN]}"
    token = csrf(client, url)
    r = client.post(
        f"{url}/extend",
        data={"csrf_token": token, "new_due_on": "2026-04-30", "reason": "Chờ kinh phí"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(url).text
    due = re.search(r'id="task-due">([^<]*)<', page)
    assert due is not None
    assert due.group(1).strip() == "30/04/2026"
    listing = client.get("/documents/tasks").text
    assert "30/04/2026" in listing
    assert "30/04/2026 00:00" not in listing and "30/04/2026 00:00" not in page
