"""Directive tasks: one action per state change, who may act, deadlines, lists, alerts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from doc_helpers import BMT, SKHCN, SXD, agency_id
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.models import AuditLog
from ioc.packs.documents import tasks
from ioc.packs.documents.models import Task, TaskEvent

LINK = "https://vanban.example.vn/bao-cao/ket-qua.pdf"


def staff(db: Session, code: str, user_id: int | None = None) -> tasks.Doer:
    return tasks.Doer(audit.Actor(user_id, f"cb-{code}"), "agency_staff", agency_id(db, code))


def leader() -> tasks.Doer:
    return tasks.Doer(audit.Actor(None, "lanh-dao"), "leader")


def test_progress_then_done_with_evidence_by_the_agency(
    db: Session, directive_tasks: dict[str, int]
) -> None:
    task = db.get(Task, directive_tasks[SXD])
    assert task is not None and task.status == tasks.ASSIGNED
    who = staff(db, SXD)
    tasks.post_progress(db, who, task, percent=40, note="Đã tổng hợp số liệu 5/10 địa phương")
    assert (task.status, task.progress) == (tasks.IN_PROGRESS, 40)
    with pytest.raises(tasks.TaskError) as err:
        tasks.mark_done(db, who, task, evidence=tasks.Evidence())
    assert err.value.field == "evidence"
    tasks.mark_done(db, who, task, evidence=tasks.Evidence(link=LINK), note="Đã gửi báo cáo")
    assert (task.status, task.progress, task.done_at) == (tasks.DONE, 100, clock.now())
    kinds = (
        db.execute(
            select(TaskEvent.kind).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)
        )
        .scalars()
        .all()
    )
    assert kinds == ["assign", "progress", "done"]
    actions = (
        db.execute(select(AuditLog.action).where(AuditLog.object_id == str(task.id)))
        .scalars()
        .all()
    )
    assert {"doc.task.assign", "doc.task.progress", "doc.task.done"} <= set(actions)
    # Done: no more progress reports until it is reopened.
    with pytest.raises(tasks.TaskError) as err:
        tasks.post_progress(db, who, task, percent=50, note="thêm")
    assert err.value.field == "status"


def test_agency_staff_act_only_on_their_own_agency_tasks(
    db: Session, directive_tasks: dict[str, int]
) -> None:
    task = db.get(Task, directive_tasks[SXD])
    assert task is not None
    other = staff(db, SKHCN)
    for act in (
        lambda: tasks.post_progress(db, other, task, percent=10, note="không phải việc của tôi"),
        lambda: tasks.mark_done(db, other, task, evidence=tasks.Evidence(link=LINK)),
        lambda: tasks.extend_deadline(
            db, staff(db, SXD), task, new_due_on=date(2026, 12, 31), reason="xin thêm thời gian"
        ),
        lambda: tasks.cancel(db, staff(db, SXD), task, reason="không cần"),
    ):
        with pytest.raises(tasks.TaskError) as err:
            act()
        assert err.value.field == "permission"
    # Leaders direct (extend, cancel, reopen) but do not report progress for an agency.
    with pytest.raises(tasks.TaskError):
        tasks.post_progress(db, leader(), task, percent=10, note="x")
    assert task.status == tasks.ASSIGNED and task.progress == 0
    no_agency = tasks.Doer(audit.Actor(None, "x"), "agency_staff", None)
    assert not tasks.may(no_agency, "progress", task.agency_id)


def test_progress_values_are_checked(db: Session, directive_tasks: dict[str, int]) -> None:
    task = db.get(Task, directive_tasks[SXD])
    assert task is not None
    who = staff(db, SXD)
    for percent in (-1, 100, 150):
        with pytest.raises(tasks.TaskError) as err:
            tasks.post_progress(db, who, task, percent=percent, note="ghi chú")
        assert err.value.field == "percent"
    with pytest.raises(tasks.TaskError) as err:
        tasks.post_progress(db, who, task, percent=20, note="   ")
    assert err.value.field == "note"
    with pytest.raises(tasks.TaskError) as err:
        tasks.post_progress(
            db, who, task, percent=20, note="x", evidence=tasks.Evidence(link="javascript:alert(1)")
        )
    assert err.value.field == "evidence_link"


def test_evidence_files_are_stored_checked_and_limited(
    db: Session, directive_tasks: dict[str, int], doc_policy: tasks.Policy
) -> None:
    task = db.get(Task, directive_tasks[SXD])
    assert task is not None
    who = staff(db, SXD)
    event = tasks.post_progress(
        db,
        who,
        task,
        percent=30,
        note="Biên bản họp",
        evidence=tasks.Evidence(filename="../../bien-ban.pdf", data=b"%PDF-1.4 test"),
    )
    assert event.evidence_name == "bien-ban.pdf"
    path = tasks.evidence_path(event.evidence_file)
    assert path is not None and path.read_bytes() == b"%PDF-1.4 test"
    assert path.parent == doc_policy.data_dir / "documents" / "evidence"
    assert tasks.evidence_path("../../etc/passwd") is None
    with pytest.raises(tasks.TaskError) as err:
        tasks.post_progress(
            db,
            who,
            task,
            percent=31,
            note="x",
            evidence=tasks.Evidence(filename="virus.exe", data=b"MZ"),
        )
    assert err.value.field == "evidence_file"
    with pytest.raises(tasks.TaskError) as err:
        tasks.post_progress(
            db,
            who,
            task,
            percent=31,
            note="x",
            evidence=tasks.Evidence(filename="to.pdf", data=b"x" * 4096),
        )
    assert err.value.field == "evidence_file"


def test_extend_keeps_history_and_reopen_restores_progress(
    db: Session, directive_tasks: dict[str, int]
) -> None:
    task = db.get(Task, directive_tasks[SKHCN])
    assert task is not None
    first_due = task.due_at
    with pytest.raises(tasks.TaskError) as err:
        tasks.extend_deadline(db, leader(), task, new_due_on=date(2026, 3, 12), reason="lý do")
    assert err.value.field == "new_due_on"
    with pytest.raises(tasks.TaskError) as err:
        tasks.extend_deadline(db, leader(), task, new_due_on=date(2026, 4, 30), reason=" ")
    assert err.value.field == "reason"
    tasks.extend_deadline(
        db, leader(), task, new_due_on=date(2026, 4, 30), reason="Chờ kinh phí tập huấn"
    )
    tasks.extend_deadline(
        db, leader(), task, new_due_on=date(2026, 5, 29), reason="Lùi lịch theo kế hoạch của tỉnh"
    )
    assert task.extensions == 2 and task.original_due_at == first_due
    assert task.due_at.astimezone(clock.local_zone()).date() == date(2026, 5, 29)
    history = db.execute(
        select(TaskEvent.old_due_at, TaskEvent.new_due_at)
        .where(TaskEvent.task_id == task.id, TaskEvent.kind == "extend")
        .order_by(TaskEvent.id)
    ).all()
    assert [h[0] for h in history] == [first_due, history[0][1]]
    who = staff(db, SKHCN)
    tasks.post_progress(db, who, task, percent=60, note="Tập huấn 4/7 lớp")
    tasks.mark_done(db, who, task, evidence=tasks.Evidence(link=LINK))
    with pytest.raises(tasks.TaskError):
        tasks.reopen(db, leader(), task, reason="")
    tasks.reopen(db, leader(), task, reason="Minh chứng chưa đủ, thiếu danh sách học viên")
    assert (task.status, task.progress, task.done_at) == (tasks.IN_PROGRESS, 60, None)


def test_cancel_and_reopen_a_cancelled_task(db: Session, directive_tasks: dict[str, int]) -> None:
    task = db.get(Task, directive_tasks[BMT])
    assert task is not None
    tasks.cancel(db, leader(), task, reason="Nhiệm vụ đã được giao cho đơn vị khác")
    assert task.status == tasks.CANCELLED
    with pytest.raises(tasks.TaskError):
        tasks.cancel(db, leader(), task, reason="lần nữa")
    tasks.reopen(db, leader(), task, reason="Giao lại")
    assert task.status == tasks.ASSIGNED and task.progress == 0


def test_due_soon_and_overdue_lists_use_working_days(
    db: Session, directive_tasks: dict[str, int], frozen_now: datetime
) -> None:
    # Tuesday 10/03/2026 12:00: SKHCN due Friday 13/03 23:59 (3 working days: due soon),
    # BMT due Friday 20/03 (8 working days: not yet), SXD 31/10.
    soon = tasks.due_soon_tasks(db, clock.now())
    assert [r.agency_code for r in soon] == [SKHCN]
    assert tasks.overdue_tasks(db, clock.now()) == []
    later = clock.now() + timedelta(days=4)  # Saturday 14/03: SKHCN overdue
    overdue = tasks.overdue_tasks(db, later)
    assert [r.agency_code for r in overdue] == [SKHCN]
    assert [r.agency_code for r in tasks.due_soon_tasks(db, later)] == [BMT]
    records = tasks.overdue_task_records(db, later)
    assert len(records) == 1
    assert records[0].labels == {
        "task": str(directive_tasks[SKHCN]),
        "directive": "125/UBND-CN",
        "agency": SKHCN,
    }
    assert records[0].value == pytest.approx(0.5, abs=0.01)  # Sat 12:00 − Fri 23:59:59
    # Done tasks are never overdue; done after the deadline is "done late".
    task = db.get(Task, directive_tasks[SKHCN])
    assert task is not None
    tasks.mark_done(db, tasks.Doer.system(), task, evidence=tasks.Evidence(link=LINK), at=later)
    assert tasks.overdue_tasks(db, later) == []
    (row,) = tasks.task_rows(db, later, task_ids=[task.id])
    assert row.state == "done_late"
    # Only the agency's own tasks when asked for one agency.
    assert [r.agency_code for r in tasks.task_rows(db, later, agency_id=agency_id(db, BMT))] == [
        BMT
    ]


def test_directive_and_assignment_are_validated(db: Session, frozen_now: datetime) -> None:
    who = tasks.Doer.system()
    with pytest.raises(tasks.TaskError) as err:
        tasks.create_directive(
            db, who, number="", issued_on=date(2026, 3, 1), issuer="UBND tỉnh", summary="x"
        )
    assert err.value.field == "number"
    with pytest.raises(tasks.TaskError) as err:
        tasks.create_directive(
            db, who, number="1/UBND", issued_on=date(2026, 4, 1), issuer="UBND tỉnh", summary="x"
        )
    assert err.value.field == "issued_on"
    staff_doer = tasks.Doer(audit.Actor(None, "cb"), "agency_staff", 1)
    with pytest.raises(tasks.TaskError) as err:
        tasks.create_directive(
            db,
            staff_doer,
            number="1/UBND",
            issued_on=date(2026, 3, 1),
            issuer="UBND tỉnh",
            summary="x",
        )
    assert err.value.field == "permission"
    directive = tasks.create_directive(
        db,
        leader(),
        number="1/UBND",
        issued_on=date(2026, 3, 1),
        issuer="UBND tỉnh",
        summary="Chỉ đạo",
    )
    with pytest.raises(tasks.TaskError) as err:
        tasks.assign_task(
            db, leader(), directive, agency_code="khong-co", title="x", due_on=date(2026, 4, 1)
        )
    assert err.value.field == "agency"
    with pytest.raises(tasks.TaskError) as err:
        tasks.assign_task(
            db, leader(), directive, agency_code=SXD, title="x", due_on=date(2026, 3, 9)
        )
    assert err.value.field == "due_on"
