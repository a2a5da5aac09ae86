"""Alert fatigue: open alerts of one rule and cause are one group on the console (as
Alertmanager groups by labels), with a row that counts them and opens on its alerts; a whole
group is acknowledged or assigned at once, one audited action per alert, within the agency
scope of the person acting. The alert page explains EARS terms in words."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alert_console_helpers import PASSWORD, add_alert, agency_id, make_person
from helpers import csrf, login
from ioc.core import clock
from ioc.core.models import AuditLog
from ioc.engines.alerting.models import Alert, AlertEvent, AlertRule

pytestmark = pytest.mark.usefixtures("frozen_now")

SITES = ("daklak", "phuyen", "buonmathuot", "tuyhoa", "soyte", "sogd", "sotc")


def same_rule(
    session: Session, first: Alert, count: int, *, cause: str | None = None, **labels: str
) -> list[Alert]:
    """``count`` more open alerts of ``first``'s rule (another label set each)."""
    out = []
    for i in range(count):
        extra = {**dict(first.labels), "site": f"site-{i}", **labels}
        if cause is not None:
            extra["cause"] = cause
        alert = Alert(
            rule_id=first.rule_id,
            fingerprint=f"{first.fingerprint[:40]}{i:04d}{cause or ''}"[:64],
            title=first.title,
            labels=extra,
            annotations={"summary": {"vi": f"Cổng {i} không truy cập được"}},
            severity=first.severity,
            pack=first.pack,
            area_code=first.area_code,
            agency_code=first.agency_code,
            value=None,
            starts_at=first.starts_at - timedelta(minutes=i),
            status="new",
            updated_at=first.starts_at,
        )
        session.add(alert)
        session.flush()
        session.add(AlertEvent(alert_id=alert.id, at=alert.starts_at, kind="fired", actor="system"))
        out.append(alert)
    session.flush()
    return out


def arrange_outage(factory: sessionmaker[Session]) -> tuple[list[int], list[int], int]:
    """14 portals down from one cause, 2 more of the same rule from another cause, and one
    unrelated alert. Returns (ids of the 14, ids of the 2, id of the other)."""
    with factory() as s, s.begin():
        first = add_alert(
            s,
            title="Cổng thông tin không truy cập được",
            severity="high",
            pack="cybersecurity",
            area_code=None,
            agency_code="van-phong-ubnd-tinh",
            extra_labels={"cause": "mat-ket-noi-trung-tam-du-lieu"},
        )
        outage = [first, *same_rule(s, first, 13, cause="mat-ket-noi-trung-tam-du-lieu")]
        other = same_rule(s, first, 2, cause="het-han-chung-chi")
        lone = add_alert(s, title="Nhiệt độ cao", severity="warning")
        return [a.id for a in outage], [a.id for a in other], lone.id


def group_keys(html: str) -> dict[str, int]:
    """``{group key: count}`` of the console's group rows."""
    return {
        key: int(n)
        for key, n in re.findall(
            r'<tr class="alert-group[^"]*" data-group="([\w-]+)" data-count="(\d+)"', html
        )
    }


def signed_in(
    client: TestClient, factory: sessionmaker[Session], role: str, agency: str | None = None
) -> TestClient:
    make_person(factory, f"u.{role}", role, agency)
    assert login(client, f"u.{role}", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    return client


def test_one_rule_and_cause_is_one_group_row_that_opens_on_its_alerts(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    outage, _other, lone = arrange_outage(factory)
    page = signed_in(client, factory, "operator").get("/alerts").text
    groups = group_keys(page)
    assert sorted(groups.values()) == [2, 14], groups
    key14 = next(k for k, n in groups.items() if n == 14)
    head = re.search(rf'<tr class="alert-group[^"]*" data-group="{key14}".*?</tr>', page, re.S)
    assert head and "14 cảnh báo" in head.group(0)
    assert "Cổng thông tin không truy cập được" in head.group(0)
    assert "mat-ket-noi-trung-tam-du-lieu" in head.group(0)  # the cause it groups by
    assert f'href="/alerts/groups/{key14}"' in head.group(0)
    # Its alerts are there, in rows of the group, to open in place.
    members = re.findall(rf'<tr class="alert-row[^"]*" data-id="(\d+)" data-group="{key14}"', page)
    assert sorted(int(i) for i in members) == sorted(outage)
    # An alert alone in its group is an ordinary row.
    assert re.search(rf'<tr class="alert-row[^"]*" data-id="{lone}"', page)
    # The refreshed list groups the same way.
    assert group_keys(client.get("/alerts/partials/list").text) == groups


def _act(client: TestClient, key: str, action: str, ids: list[int], **data: str):  # type: ignore[no-untyped-def]
    token = csrf(client, f"/alerts/groups/{key}")
    return client.post(
        f"/alerts/groups/{key}/{action}",
        data={"csrf_token": token, "alert_id": [str(i) for i in ids], **data},
        follow_redirects=False,
    )


def _audits(factory: sessionmaker[Session], action: str) -> int:
    with factory() as s:
        return s.execute(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == action)
        ).scalar_one()


def test_acknowledge_a_whole_group_one_audited_action_per_alert(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    outage, other, _lone = arrange_outage(factory)
    client = signed_in(client, factory, "operator")
    key = next(k for k, n in group_keys(client.get("/alerts").text).items() if n == 14)
    group_page = client.get(f"/alerts/groups/{key}")
    assert group_page.status_code == 200 and "14 cảnh báo" in group_page.text
    # Someone took one of them in hand meanwhile: it is skipped with the reason, not a 409.
    with factory() as s, s.begin():
        s.get(Alert, outage[3]).status = "acknowledged"  # type: ignore[union-attr]
    r = _act(client, key, "acknowledge", outage, note="Mất kết nối trung tâm dữ liệu")
    assert r.status_code == 200, r.text
    assert "Đã tiếp nhận 13 cảnh báo" in r.text and "bỏ qua 1" in r.text
    assert f"#{outage[3]}" in r.text
    with factory() as s:
        statuses = dict(s.execute(select(Alert.id, Alert.status)).all())
        assert all(statuses[i] == "acknowledged" for i in outage)
        assert all(statuses[i] == "new" for i in other)  # another cause: untouched
        events = s.execute(
            select(func.count()).select_from(AlertEvent).where(AlertEvent.kind == "acknowledged")
        ).scalar_one()
    assert events == 13 and _audits(factory, "alert.acknowledge") == 13


def test_assign_a_whole_group(client: TestClient, factory: sessionmaker[Session]) -> None:
    outage, _other, _lone = arrange_outage(factory)
    client = signed_in(client, factory, "operator")
    key = next(k for k, n in group_keys(client.get("/alerts").text).items() if n == 14)
    r = _act(client, key, "assign", outage, agency="van-phong-ubnd-tinh")
    assert r.status_code == 200 and "Đã giao 14 cảnh báo" in r.text
    with factory() as s:
        office = agency_id(s, "van-phong-ubnd-tinh")
        assignees = {
            a for (a,) in s.execute(select(Alert.assignee_agency_id).where(Alert.id.in_(outage)))
        }
    assert assignees == {office} and _audits(factory, "alert.assign") == 14


def test_group_actions_keep_the_agency_scope(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    outage, _other, _lone = arrange_outage(factory)
    with factory() as s, s.begin():
        health = agency_id(s, "so-y-te")
        for alert_id in outage[:5]:
            s.get(Alert, alert_id).assignee_agency_id = health  # type: ignore[union-attr]
    client = signed_in(client, factory, "agency_staff", "so-y-te")
    key = next(k for k, n in group_keys(client.get("/alerts").text).items() if n == 14)
    r = _act(client, key, "acknowledge", outage)
    assert r.status_code == 200
    assert "Đã tiếp nhận 5 cảnh báo" in r.text and "bỏ qua 9" in r.text
    assert "đơn vị của mình" in r.text
    with factory() as s:
        done = set(s.execute(select(Alert.id).where(Alert.status == "acknowledged")).scalars())
    assert done == set(outage[:5]) and _audits(factory, "alert.acknowledge") == 5


def test_leaders_and_forged_forms_change_nothing(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    outage, _other, _lone = arrange_outage(factory)
    client = signed_in(client, factory, "leader")
    key = next(k for k, n in group_keys(client.get("/alerts").text).items() if n == 14)
    page = client.get(f"/alerts/groups/{key}").text
    assert 'action="/alerts/groups/' not in page  # no forms for those who only watch
    r = client.post(
        f"/alerts/groups/{key}/acknowledge",
        data={"csrf_token": csrf(client, "/alerts"), "alert_id": [str(outage[0])]},
        follow_redirects=False,
    )
    assert r.status_code == 403
    with factory() as s:
        assert s.execute(select(func.count()).where(Alert.status != "new")).scalar_one() == 0


def test_an_alert_of_another_group_is_never_touched_by_a_group_action(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    outage, other, lone = arrange_outage(factory)
    client = signed_in(client, factory, "operator")
    key = next(k for k, n in group_keys(client.get("/alerts").text).items() if n == 14)
    r = _act(client, key, "acknowledge", [outage[0], lone, other[0]])
    assert r.status_code == 200 and "Đã tiếp nhận 1 cảnh báo" in r.text
    with factory() as s:
        assert s.get(Alert, lone).status == "new" and s.get(Alert, other[0]).status == "new"  # type: ignore[union-attr]


def test_ears_terms_are_explained_in_words_on_the_alert_page(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    with factory() as s, s.begin():
        alert = add_alert(
            s,
            title="Cúm tăng bất thường",
            pack="health",
            severity="warning",
            value=4.54,
            agency_code=None,
        )
        rule = s.get(AlertRule, alert.rule_id)
        assert rule is not None
        rule.kind = "anomaly"
        rule.query = {"indicator": "hl_cases_influenza", "subject_kind": "area"}
        rule.params = {
            "method": "c2",
            "bucket": "week",
            "agg": "sum",
            "threshold": 3,
            "min_sigma": 1,
        }
        alert_id = alert.id
    page = signed_in(client, factory, "operator").get(f"/alerts/{alert_id}").text
    box = re.search(r'<section class="card ears-explain".*?</section>', page, re.S)
    assert box, "an EARS alert explains its terms"
    text = " ".join(re.sub(r"<[^>]+>", " ", box.group(0)).split())
    assert "C2" in text and "4,5" in text and "ngưỡng 3" in text
    assert "Mức nền" in text and "7 tuần" in text and "bỏ qua 2 tuần gần nhất" in text
    assert "độ lệch chuẩn" in text
    for other in ("C1", "C3"):
        assert other in text  # the neighbouring statistics are named too
    # A threshold alert has no such box.
    with factory() as s, s.begin():
        plain = add_alert(s).id
    assert "ears-explain" not in client.get(f"/alerts/{plain}").text
    assert clock.now() is not None
