"""Handling actions on alerts and incidents: every legal and illegal transition, with the
timeline entry and the audit row each one leaves, and who may act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alert_console_helpers import add_alert, add_sop, agency_id, make_person
from ioc.core import clock
from ioc.core.audit import Actor
from ioc.core.models import AuditLog
from ioc.engines.alerting import actions
from ioc.engines.alerting.actions import AlertActionError, AlertForbidden, AlertNotFound
from ioc.engines.alerting.models import Alert, AlertEvent, Incident, IncidentStep

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def operator(factory: sessionmaker[Session]) -> Actor:
    return Actor(make_person(factory, "truc.ban"), "truc.ban")


def events(db: Session, alert_id: int | None = None, incident_id: int | None = None) -> list[str]:
    stmt = select(AlertEvent.kind).order_by(AlertEvent.id)
    if alert_id is not None:
        stmt = stmt.where(AlertEvent.alert_id == alert_id)
    if incident_id is not None:
        stmt = stmt.where(AlertEvent.incident_id == incident_id)
    return list(db.execute(stmt).scalars())


def audits(db: Session, action: str) -> list[AuditLog]:
    return list(db.execute(select(AuditLog).where(AuditLog.action == action)).scalars())


# ------------------------------------------------------------------ acknowledge


def test_acknowledge_new_alert(db: Session, operator: Actor, frozen_now: datetime) -> None:
    alert = add_alert(db)
    actions.acknowledge(db, operator, alert.id, note="Đã gọi trạm kiểm tra")
    assert alert.status == "acknowledged"
    assert alert.acknowledged_by == "truc.ban" and alert.acknowledged_at == frozen_now
    assert alert.updated_at == frozen_now
    assert events(db, alert.id) == ["fired", "acknowledged"]
    event = db.execute(select(AlertEvent).where(AlertEvent.kind == "acknowledged")).scalar_one()
    assert event.actor == "truc.ban" and event.text == "Đã gọi trạm kiểm tra"
    (row,) = audits(db, "alert.acknowledge")
    assert row.object_id == str(alert.id) and row.actor_user_id == operator.user_id


def test_acknowledge_twice_is_refused(db: Session, operator: Actor) -> None:
    alert = add_alert(db)
    actions.acknowledge(db, operator, alert.id)
    with pytest.raises(AlertActionError, match=r"đã được truc\.ban tiếp nhận"):
        actions.acknowledge(db, operator, alert.id)
    assert events(db, alert.id).count("acknowledged") == 1


def test_acknowledge_closed_or_escalated_is_refused(db: Session, operator: Actor) -> None:
    closed = add_alert(db)
    actions.close_alert(db, operator, closed.id, reason="Báo động giả")
    with pytest.raises(AlertActionError, match="đã đóng") as err:
        actions.acknowledge(db, operator, closed.id)
    assert err.value.en.startswith("Alert #")
    escalated = add_alert(db)
    incident = actions.escalate(db, operator, escalated.id)
    with pytest.raises(AlertActionError, match=incident.code):
        actions.acknowledge(db, operator, escalated.id)


def test_unknown_alert(db: Session, operator: Actor) -> None:
    with pytest.raises(AlertNotFound, match="Không có cảnh báo số 999999"):
        actions.acknowledge(db, operator, 999999)


# ------------------------------------------------------------------ assign


def test_assign_to_agency_and_person(
    db: Session, factory: sessionmaker[Session], operator: Actor
) -> None:
    staff = make_person(factory, "nv.moitruong", "agency_staff", "so-nong-nghiep-moi-truong")
    alert = add_alert(db)
    actions.assign(db, operator, alert.id, agency_code="so-y-te", note="Nguy cơ sức khỏe")
    assert alert.assignee_agency_id == agency_id(db, "so-y-te")
    assert alert.assignee_user_id is None
    event = db.execute(select(AlertEvent).where(AlertEvent.kind == "assigned")).scalar_one()
    assert event.data["agency"] == "so-y-te" and event.data["agency_name"] == "Sở Y tế"
    assert event.text == "Nguy cơ sức khỏe"
    # A staff member of an agency, given alone, brings their agency along.
    actions.assign(db, operator, alert.id, username="nv.moitruong")
    assert alert.assignee_user_id == staff
    assert alert.assignee_agency_id == agency_id(db, "so-nong-nghiep-moi-truong")
    assert [a.detail for a in audits(db, "alert.assign")] == [
        {"agency": "so-y-te", "user": None},
        {"agency": "so-nong-nghiep-moi-truong", "user": "nv.moitruong"},
    ]


def test_assign_refusals(db: Session, factory: sessionmaker[Session], operator: Actor) -> None:
    make_person(factory, "lanh.dao", "leader")
    make_person(factory, "nv.yte", "agency_staff", "so-y-te")
    alert = add_alert(db)
    with pytest.raises(AlertActionError, match="Chọn đơn vị hoặc người"):
        actions.assign(db, operator, alert.id)
    with pytest.raises(AlertActionError, match="Không có đơn vị mã «so-khong-co»"):
        actions.assign(db, operator, alert.id, agency_code="so-khong-co")
    with pytest.raises(AlertActionError, match=r"Không có người dùng đang hoạt động «ai\.do»"):
        actions.assign(db, operator, alert.id, username="ai.do")
    with pytest.raises(AlertActionError, match="không có quyền xử lý"):
        actions.assign(db, operator, alert.id, username="lanh.dao")
    with pytest.raises(AlertActionError, match="không thuộc"):
        actions.assign(db, operator, alert.id, agency_code="so-xay-dung", username="nv.yte")
    with pytest.raises(AlertActionError, match="không còn hoạt động"):
        actions.assign(db, operator, alert.id, agency_code="so-tai-nguyen-moi-truong")
    actions.assign(db, operator, alert.id, agency_code="so-y-te")
    with pytest.raises(AlertActionError, match="đã được giao như vậy"):
        actions.assign(db, operator, alert.id, agency_code="so-y-te")
    actions.close_alert(db, operator, alert.id, reason="Xong")
    with pytest.raises(AlertActionError, match="đã đóng"):
        actions.assign(db, operator, alert.id, agency_code="so-xay-dung")
    assert len(audits(db, "alert.assign")) == 1


def test_assigning_an_escalated_alert_moves_its_incident(db: Session, operator: Actor) -> None:
    alert = add_alert(db)
    incident = actions.escalate(db, operator, alert.id)
    assert incident.agency_id is None
    actions.assign(db, operator, alert.id, agency_code="cong-an-tinh")
    assert incident.agency_id == agency_id(db, "cong-an-tinh")


# ------------------------------------------------------------------ comment


def test_comment_needs_text_and_works_after_closing(db: Session, operator: Actor) -> None:
    alert = add_alert(db)
    with pytest.raises(AlertActionError, match="Cần nhập nội dung ghi chú"):
        actions.comment(db, operator, alert.id, body="   ")
    with pytest.raises(AlertActionError, match="dài quá 2000"):
        actions.comment(db, operator, alert.id, body="x" * 2001)
    actions.close_alert(db, operator, alert.id, reason="Đã xử lý")
    actions.comment(db, operator, alert.id, body="  Bổ sung: nguyên nhân do đốt rơm  ")
    event = db.execute(select(AlertEvent).where(AlertEvent.kind == "commented")).scalar_one()
    assert event.text == "Bổ sung: nguyên nhân do đốt rơm"
    assert len(audits(db, "alert.comment")) == 1


# ------------------------------------------------------------------ escalate


def test_escalate_copies_the_rule_sop(db: Session, operator: Actor, frozen_now: datetime) -> None:
    add_sop(db, "env.aqi", ["Kiểm tra trạm", "Thông báo UBND xã", "Khuyến cáo người dân"])
    alert = add_alert(db, sop_key="env.aqi", severity="critical", area_code="24133")
    incident = actions.escalate(db, operator, alert.id, note="Khói bụi lan rộng")
    assert incident.code == "SC-2026-0001"
    assert (incident.title, incident.severity, incident.pack) == (
        alert.title,
        "critical",
        "environment",
    )
    assert incident.area_code == "24133" and incident.sop_key == "env.aqi"
    assert incident.status == "open" and incident.opened_by == "truc.ban"
    steps = db.execute(
        select(IncidentStep.position, IncidentStep.title)
        .where(IncidentStep.incident_id == incident.id)
        .order_by(IncidentStep.position)
    ).all()
    assert [tuple(s) for s in steps] == [
        (1, "Kiểm tra trạm"),
        (2, "Thông báo UBND xã"),
        (3, "Khuyến cáo người dân"),
    ]
    # Escalating a new alert also counts as taking it in hand.
    assert alert.status == "escalated" and alert.incident_id == incident.id
    assert alert.acknowledged_by == "truc.ban" and alert.acknowledged_at == frozen_now
    event = db.execute(select(AlertEvent).where(AlertEvent.kind == "escalated")).scalar_one()
    assert (event.alert_id, event.incident_id) == (alert.id, incident.id)
    assert event.data["code"] == "SC-2026-0001" and event.text == "Khói bụi lan rộng"
    assert audits(db, "alert.escalate")[0].detail == {"incident": "SC-2026-0001"}
    assert audits(db, "incident.open")[0].object_id == str(incident.id)


def test_escalate_without_sop_uses_the_generic_steps_and_numbers_per_year(
    db: Session, operator: Actor
) -> None:
    first = actions.escalate(db, operator, add_alert(db).id, title="Sự cố đặt tên riêng")
    assert first.title == "Sự cố đặt tên riêng" and first.sop_key is None
    titles = db.execute(
        select(IncidentStep.title)
        .where(IncidentStep.incident_id == first.id)
        .order_by(IncidentStep.position)
    ).scalars()
    assert list(titles) == list(actions.DEFAULT_SOP)
    # An unknown SOP key falls back to the generic steps too.
    second = actions.escalate(db, operator, add_alert(db, sop_key="khong.co").id)
    assert second.code == "SC-2026-0002" and second.sop_key is None
    # The local new year (00:00 +07:00 on 1 January) restarts the numbering.
    clock.set_now(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    assert actions.escalate(db, operator, add_alert(db).id).code == "SC-2027-0001"


def test_escalate_twice_or_closed_is_refused(db: Session, operator: Actor) -> None:
    alert = add_alert(db)
    incident = actions.escalate(db, operator, alert.id)
    with pytest.raises(AlertActionError, match=f"đã chuyển thành sự cố {incident.code}"):
        actions.escalate(db, operator, alert.id)
    closed = add_alert(db)
    actions.close_alert(db, operator, closed.id, reason="Trùng")
    with pytest.raises(AlertActionError, match="đã đóng"):
        actions.escalate(db, operator, closed.id)
    assert db.execute(select(Incident)).scalars().all() == [incident]


# ------------------------------------------------------------------ SOP steps


def _steps(db: Session, incident: Incident) -> list[IncidentStep]:
    return list(
        db.execute(
            select(IncidentStep)
            .where(IncidentStep.incident_id == incident.id)
            .order_by(IncidentStep.position)
        ).scalars()
    )


def test_complete_and_reopen_step(db: Session, operator: Actor, frozen_now: datetime) -> None:
    incident = actions.escalate(db, operator, add_alert(db).id)
    step = _steps(db, incident)[0]
    actions.complete_step(db, operator, step.id, note="Trạm hoạt động bình thường")
    assert step.done_at == frozen_now and step.done_by == "truc.ban"
    assert step.note == "Trạm hoạt động bình thường"
    with pytest.raises(AlertActionError, match="Bước 1 đã hoàn thành"):
        actions.complete_step(db, operator, step.id)
    with pytest.raises(AlertActionError, match="Cần nhập lý do làm lại bước"):
        actions.reopen_step(db, operator, step.id, note="")
    actions.reopen_step(db, operator, step.id, note="Số liệu trạm sai, kiểm tra lại")
    assert step.done_at is None and step.done_by is None and step.note is None
    with pytest.raises(AlertActionError, match="Bước 1 chưa hoàn thành"):
        actions.reopen_step(db, operator, step.id, note="lại")
    assert events(db, incident_id=incident.id) == ["escalated", "step_done", "step_reopened"]
    done = db.execute(select(AlertEvent).where(AlertEvent.kind == "step_done")).scalar_one()
    assert done.data == {"position": 1, "title": step.title}
    assert len(audits(db, "incident.step_done")) == 1
    assert audits(db, "incident.step_reopen")[0].detail["reason"] == (
        "Số liệu trạm sai, kiểm tra lại"
    )
    with pytest.raises(AlertNotFound):
        actions.complete_step(db, operator, 999999)


def test_steps_of_a_closed_incident_are_frozen(db: Session, operator: Actor) -> None:
    incident = actions.escalate(db, operator, add_alert(db).id)
    first, second = _steps(db, incident)[:2]
    actions.complete_step(db, operator, first.id)
    actions.close_incident(db, operator, incident.id, reason="Đã xử lý")
    with pytest.raises(AlertActionError, match=f"Sự cố {incident.code} đã đóng"):
        actions.complete_step(db, operator, second.id)
    with pytest.raises(AlertActionError, match="đã đóng"):
        actions.reopen_step(db, operator, first.id, note="lại")


# ------------------------------------------------------------------ close / reopen alert


def test_close_alert_needs_a_reason(db: Session, operator: Actor, frozen_now: datetime) -> None:
    alert = add_alert(db)
    with pytest.raises(AlertActionError, match="Cần nhập lý do đóng") as err:
        actions.close_alert(db, operator, alert.id, reason="  ")
    assert err.value.en == "Closing reason is required"
    actions.close_alert(db, operator, alert.id, reason="Báo động giả do cảm biến lỗi")
    assert alert.status == "closed" and alert.closed_at == frozen_now
    assert alert.closed_by == "truc.ban" and alert.close_reason == "Báo động giả do cảm biến lỗi"
    with pytest.raises(AlertActionError, match=r"#\d+ đã đóng lúc 10/03/2026 12:00"):
        actions.close_alert(db, operator, alert.id, reason="lần nữa")
    assert events(db, alert.id) == ["fired", "closed"]
    assert audits(db, "alert.close")[0].detail == {"reason": "Báo động giả do cảm biến lỗi"}


def test_close_escalated_alert_goes_through_its_incident(db: Session, operator: Actor) -> None:
    alert = add_alert(db)
    incident = actions.escalate(db, operator, alert.id)
    with pytest.raises(AlertActionError, match=f"thuộc sự cố {incident.code} đang xử lý"):
        actions.close_alert(db, operator, alert.id, reason="Xong")
    assert alert.status == "escalated"


def test_reopen_alert_closed_by_mistake(db: Session, operator: Actor) -> None:
    alert = add_alert(db)
    actions.acknowledge(db, operator, alert.id)
    actions.close_alert(db, operator, alert.id, reason="Nhầm")
    with pytest.raises(AlertActionError, match="Cần nhập lý do mở lại"):
        actions.reopen_alert(db, operator, alert.id, reason="")
    actions.reopen_alert(db, operator, alert.id, reason="Đóng nhầm, vẫn vượt ngưỡng")
    assert alert.status == "acknowledged"
    assert (alert.closed_at, alert.closed_by, alert.close_reason) == (None, None, None)
    with pytest.raises(AlertActionError, match="chưa đóng"):
        actions.reopen_alert(db, operator, alert.id, reason="lại")
    never_acknowledged = add_alert(db)
    actions.close_alert(db, operator, never_acknowledged.id, reason="Nhầm")
    actions.reopen_alert(db, operator, never_acknowledged.id, reason="Nhầm")
    assert never_acknowledged.status == "new"
    assert len(audits(db, "alert.reopen")) == 2


def test_reopen_refused_once_the_condition_ended(db: Session, operator: Actor) -> None:
    alert = add_alert(db)
    actions.close_alert(db, operator, alert.id, reason="Xong")
    alert.ends_at = clock.now() + timedelta(minutes=5)
    with pytest.raises(AlertActionError, match="đã hết lúc 10/03/2026 12:05"):
        actions.reopen_alert(db, operator, alert.id, reason="Mở lại")
    assert alert.status == "closed"


# ------------------------------------------------------------------ close incident


def test_close_incident_closes_its_open_alerts(
    db: Session, operator: Actor, frozen_now: datetime
) -> None:
    alert = add_alert(db)
    incident = actions.escalate(db, operator, alert.id)
    actions.complete_step(db, operator, _steps(db, incident)[0].id)
    with pytest.raises(AlertActionError, match="Cần nhập lý do đóng"):
        actions.close_incident(db, operator, incident.id, reason="")
    actions.close_incident(db, operator, incident.id, reason="Chỉ số đã về mức an toàn")
    assert incident.status == "closed" and incident.closed_at == frozen_now
    assert incident.close_reason == "Chỉ số đã về mức an toàn"
    assert alert.status == "closed" and alert.close_reason == "Chỉ số đã về mức an toàn"
    closing = db.execute(
        select(AlertEvent).where(AlertEvent.kind == "incident_closed")
    ).scalar_one()
    assert closing.data == {"open_steps": len(actions.DEFAULT_SOP) - 1, "alerts": [alert.id]}
    alert_closed = db.execute(select(AlertEvent).where(AlertEvent.kind == "closed")).scalar_one()
    assert alert_closed.alert_id == alert.id and alert_closed.data == {"incident": incident.code}
    (row,) = audits(db, "incident.close")
    assert row.detail["open_steps"] == 4 and row.detail["alerts"] == [alert.id]
    with pytest.raises(AlertActionError, match=f"Sự cố {incident.code} đã đóng"):
        actions.close_incident(db, operator, incident.id, reason="lần nữa")
    with pytest.raises(AlertNotFound):
        actions.close_incident(db, operator, 999999, reason="x")


# ------------------------------------------------------------------ who may act


def test_leader_may_not_act(db: Session, factory: sessionmaker[Session]) -> None:
    leader = Actor(make_person(factory, "chu.tich", "leader"), "chu.tich")
    alert = add_alert(db)
    with pytest.raises(AlertForbidden, match="chỉ được xem"):
        actions.acknowledge(db, leader, alert.id)
    assert alert.status == "new" and audits(db, "alert.acknowledge") == []
    assert not actions.may_handle(db, leader, None)


def test_agency_staff_act_only_on_their_agency(
    db: Session, factory: sessionmaker[Session], operator: Actor
) -> None:
    staff = Actor(make_person(factory, "nv.yte", "agency_staff", "so-y-te"), "nv.yte")
    alert = add_alert(db)
    with pytest.raises(AlertForbidden, match="đơn vị của mình"):
        actions.acknowledge(db, staff, alert.id)
    actions.assign(db, operator, alert.id, agency_code="so-y-te")
    actions.acknowledge(db, staff, alert.id)
    incident = actions.escalate(db, staff, alert.id)
    assert incident.agency_id == agency_id(db, "so-y-te")
    actions.complete_step(db, staff, _steps(db, incident)[0].id)
    # Handing it to another agency ends their say over it.
    actions.assign(db, staff, alert.id, agency_code="cong-an-tinh")
    with pytest.raises(AlertForbidden):
        actions.complete_step(db, staff, _steps(db, incident)[1].id)
    with pytest.raises(AlertForbidden):
        actions.comment(db, staff, alert.id, body="Còn theo dõi")


def test_system_actor_may_act(db: Session) -> None:
    alert = add_alert(db)
    actions.close_alert(db, Actor.system("job:cleanup"), alert.id, reason="Hết hạn")
    assert alert.closed_by == "job:cleanup"
    assert db.get(Alert, alert.id) is alert
