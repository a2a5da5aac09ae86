"""Ingestion of dossier batches: idempotent by id, updates as a dossier moves, stale states
ignored, row-level errors, atomic batches, aggregates kept equal to a full rebuild, and the
JSON API (token scope, idempotency keys, error shapes, scores)."""

from __future__ import annotations

import gc
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ps_helpers import (
    AGENCY,
    COMMUNE,
    COMMUNE_2,
    OTHER,
    dossier,
    ingest,
    iso,
    rebuilt_snapshot,
    stats_snapshot,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core.models import AuditLog
from ioc.packs.public_services import scores
from ioc.packs.public_services.ingest import rederive_all
from ioc.packs.public_services.models import PsDossier, PsFeedback, PsProcedure

MARCH = scores.Period("month", 202603, 202603)


def card(db: Session, **scope: Any) -> Any:
    return scores.scorecard_for(db, scores.Scope(**scope), MARCH)


def n_dossiers(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(PsDossier)).scalar_one())


def test_batch_is_stored_with_derived_columns_and_aggregates(db: Session) -> None:
    report = ingest(
        db,
        [
            dossier("D1", finished_at=iso(2026, 3, 5), result="electronic", digitised=True),
            dossier("D2", finished_at=iso(2026, 3, 9), channel="direct", result="paper"),
            dossier("D3"),  # still open
        ],
    )
    assert report.ok and (report.inserted, report.updated) == (3, 0)
    d2 = db.execute(select(PsDossier).where(PsDossier.code == "D2")).scalar_one()
    assert d2.on_time is False and d2.late_reason == "time" and d2.fin_month == 202603
    assert d2.effective_due_at == datetime.fromisoformat(iso(2026, 3, 6, 16, 0))
    c = card(db, agency=AGENCY)
    assert (c.counters.received, c.counters.finished, c.counters.on_time) == (3, 2, 1)
    assert c.value("2.1") == 50 and c.value("4.2") == 50
    assert stats_snapshot(db) == rebuilt_snapshot(db)
    # The procedure named by the dossiers joined the catalogue (attributes undeclared).
    proc = db.execute(select(PsProcedure).where(PsProcedure.code == "1.009994")).scalar_one()
    assert proc.name == "Cấp giấy phép xây dựng" and proc.online is None
    audit = db.execute(select(AuditLog).where(AuditLog.action == "ps.ingest")).scalar_one()
    assert audit.detail["inserted"] == 3


def test_updating_a_dossier_changes_scores_without_duplicates(db: Session) -> None:
    ingest(db, [dossier("D1"), dossier("D2", finished_at=iso(2026, 3, 4))])
    before = card(db)
    assert before.counters.received == 2 and before.counters.finished == 1
    assert before.value("2.1") == 100
    # D1 moves: waits for a supplement, then finishes late; D2's result becomes electronic.
    moved = ingest(
        db,
        [
            dossier("D1", status="supplement", supplement_count=1, supplement_open=True),
        ],
    )
    assert moved.updated == 1 and n_dossiers(db) == 2
    ingest(
        db,
        [
            dossier("D1", finished_at=iso(2026, 3, 9, 15, 0), supplement_count=1,
                    supplement_days=1, result="paper"),
            dossier("D2", finished_at=iso(2026, 3, 4), result="electronic"),
        ],
    )  # fmt: skip
    after = card(db)
    assert n_dossiers(db) == 2
    assert after.counters.received == 2 and after.counters.finished == 2
    # D1: due 06/03 16:00 + 1 WD = Mon 09/03 16:00 → finished 15:00 is on time.
    assert after.counters.on_time == 2 and after.value("4.1") == 50
    assert stats_snapshot(db) == rebuilt_snapshot(db)
    # Moving into another month and agency moves its counts too.
    ingest(db, [dossier("D2", agency=OTHER, area=COMMUNE_2, received_at=iso(2026, 2, 27),
                        due_at=iso(2026, 3, 3), finished_at=iso(2026, 3, 4))])  # fmt: skip
    assert card(db, agency=AGENCY).counters.received == 1
    assert card(db, agency=OTHER).counters.finished == 1
    assert card(db, agency=OTHER).value("2.1") == 0
    assert stats_snapshot(db) == rebuilt_snapshot(db)


def test_one_batch_moving_many_dossiers_of_the_same_rows_keeps_exact_aggregates(
    db: Session,
) -> None:
    # Five dossiers of one agency × commune × procedure × month row, then one batch that
    # finishes two, swaps the verdicts of two others (their on-time/late counts cancel out),
    # moves one to another commune and adds a new one: the batch's changes to a row are
    # summed before they are written, and must equal a full rebuild.
    ingest(
        db,
        [
            dossier("R1"),
            dossier("R2"),
            dossier("R3", finished_at=iso(2026, 3, 5)),  # on time
            dossier("R4", finished_at=iso(2026, 3, 10)),  # late
            dossier("R5", finished_at=iso(2026, 3, 5), result="paper"),
        ],
    )
    report = ingest(
        db,
        [
            dossier("R1", finished_at=iso(2026, 3, 4), result="electronic"),
            dossier("R2", finished_at=iso(2026, 3, 11), result="paper"),
            dossier("R3", finished_at=iso(2026, 3, 10)),  # now late
            dossier("R4", finished_at=iso(2026, 3, 5)),  # now on time
            dossier("R5", area=COMMUNE_2, finished_at=iso(2026, 3, 5), result="paper"),
            dossier("R6", channel="direct"),
        ],
    )
    assert (report.inserted, report.updated) == (1, 5)
    assert stats_snapshot(db) == rebuilt_snapshot(db)
    here = card(db, area=COMMUNE)
    assert (here.counters.received, here.counters.finished) == (5, 4)
    assert (here.counters.on_time, here.counters.late, here.counters.e_result) == (2, 2, 1)
    assert card(db, area=COMMUNE_2).counters.finished == 1
    assert gc.isenabled()  # the batch paused the collector and left it on again


def test_same_state_again_is_unchanged_and_older_states_are_stale(db: Session) -> None:
    rows = [dossier("D1", finished_at=iso(2026, 3, 4), updated_at=iso(2026, 3, 4, 10))]
    ingest(db, rows)
    again = ingest(db, rows)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    old = ingest(db, [dossier("D1", updated_at=iso(2026, 3, 3, 10))])  # an earlier snapshot
    assert old.stale == 1 and old.updated == 0
    stored = db.execute(select(PsDossier).where(PsDossier.code == "D1")).scalar_one()
    assert stored.finished_at is not None
    # Within one batch the later state wins, whatever the order.
    both = ingest(
        db,
        [
            dossier("D2", finished_at=iso(2026, 3, 5), updated_at=iso(2026, 3, 5, 10)),
            dossier("D2", updated_at=iso(2026, 3, 3, 10)),
        ],
    )
    assert both.inserted == 1 and both.stale == 1
    assert db.execute(select(PsDossier.fin_month).where(PsDossier.code == "D2")).scalar_one()


def test_supplement_periods_are_measured_in_working_days(db: Session) -> None:
    # Requested Fri 13/02/2026 09:00, supplied Mon 23/02 10:00: Tết in between → 1 WD.
    ingest(
        db,
        [
            dossier("T1", received_at=iso(2026, 2, 11), due_at=iso(2026, 2, 24),
                    supplements=[{"requested_at": iso(2026, 2, 13),
                                  "supplied_at": iso(2026, 2, 23, 10)}],
                    finished_at=iso(2026, 2, 25, 8, 0)),
        ],
    )  # fmt: skip
    d = db.execute(select(PsDossier).where(PsDossier.code == "T1")).scalar_one()
    assert (d.supplement_count, d.supplement_days) == (1, 1)
    assert d.effective_due_at == datetime.fromisoformat(iso(2026, 2, 25))
    assert d.on_time is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"agency": "so-khong-co"}, "agency"),
        ({"area": "99999"}, "area"),
        ({"received_at": "hôm qua"}, "received_at"),
        ({"due_at": iso(2026, 3, 1)}, "due_at"),
        ({"finished_at": iso(2026, 3, 1)}, "finished_at"),
        ({"status": "finished"}, "finished_at"),
        ({"finished_at": iso(2026, 3, 4), "status": "processing"}, "status"),
        ({"paid_online": "maybe"}, "paid_online"),
        ({"supplement_count": -1}, "supplement_count"),
        ({"supplements": [{"requested_at": iso(2026, 3, 1)}]}, "supplements[1].requested_at"),
        ({"procedure_code": "9.999", "procedure_name": None}, "procedure_name"),
        ({"id": None}, "id"),
    ],
)
def test_invalid_rows_are_named(db: Session, change: dict[str, Any], field: str) -> None:
    row = dossier("BAD", **{k: v for k, v in change.items() if v is not None})
    for k, v in change.items():
        if v is None:
            row.pop(k, None)
    report = ingest(db, [dossier("OK"), row])
    assert report.inserted == 1
    assert len(report.errors) == 1
    err = report.errors[0]
    assert (err.section, err.row, err.field) == ("dossiers", 2, field)
    assert err.message and err.message_en


def test_atomic_batch_stores_nothing_when_a_row_is_invalid(db: Session) -> None:
    report = ingest(
        db,
        [dossier("A1", procedure_code="NEW.1", procedure_name="Thủ tục mới"),
         dossier("A2", channel="fax")],
        procedures=[{"code": "P.1", "name": "Thủ tục P"}],
        atomic=True,
    )  # fmt: skip
    assert not report.ok and report.stored == 0
    assert n_dossiers(db) == 0
    assert db.execute(select(func.count()).select_from(PsProcedure)).scalar_one() == 0


def test_feedback_and_procedures_sections(db: Session, frozen_now: datetime) -> None:
    report = ingest(
        db,
        [dossier("D1", procedure_code="P.1", finished_at=iso(2026, 3, 4))],
        procedures=[{"code": "P.1", "name": "Cấp phép", "online": "full", "has_fee": True,
                     "payment_integrated": True, "time_limit_days": 5}],
        feedback=[
            {"id": "F1", "agency": AGENCY, "received_at": iso(2026, 3, 2),
             "handled_at": iso(2026, 3, 5)},
            {"id": "F2", "agency": AGENCY, "received_at": iso(2026, 2, 2), "disliked": True},
        ],
    )  # fmt: skip
    assert report.ok and report.procedures == 1 and report.feedback == 2
    assert db.execute(select(func.count()).select_from(PsFeedback)).scalar_one() == 2
    c = scores.scorecard_for(
        db, scores.Scope(agency=AGENCY), scores.Period("range", 202602, 202603)
    )
    # F1 handled in 3 WD: on time; F2 unhandled since 02/02: past 15 WD by 10/03 → overdue.
    assert c.feedback.handled_on_time == 1 and c.feedback.open_overdue == 1
    assert c.value("5.2") == 50 and c.value("5.3") == 0  # (2 − 1 disliked − 1 overdue) / 2
    assert c.value("3.1") == 100 and c.value("3.5") == 100


def test_rederive_after_a_calendar_change_keeps_aggregates_consistent(db: Session) -> None:
    ingest(db, [dossier("D1", finished_at=iso(2026, 3, 6, 17, 0))])
    assert card(db).counters.late == 1
    changed = rederive_all(db)
    db.commit()
    assert changed == 0 and stats_snapshot(db) == rebuilt_snapshot(db)


# --- API ---------------------------------------------------------------------------------------


def post(client: TestClient, token: str, body: Any, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
    return client.post("/api/v1/public-services/dossiers", json=body, headers=headers, **kw)


def test_api_requires_an_ingest_token(client: TestClient) -> None:
    r = client.post("/api/v1/public-services/dossiers", json={"dossiers": []})
    assert r.status_code == 401


def test_api_stores_and_reports_row_errors(
    client: TestClient, ingest_token: str, db: Session
) -> None:
    r = post(client, ingest_token, {"dossiers": [dossier("A1"), dossier("A2", channel="fax")]})
    assert r.status_code == 422
    body = r.json()
    assert body["stored"] == 1 and body["rejected"] == 1 and body["mode"] == "partial"
    assert body["errors"][0] | {"message": "", "message_en": ""} == {
        "section": "dossiers", "row": 2, "id": "A2", "field": "channel",
        "message": "", "message_en": "",
    }  # fmt: skip
    assert n_dossiers(db) == 1
    ok = post(client, ingest_token, {"dossiers": [dossier("A1", finished_at=iso(2026, 3, 4))]})
    assert ok.status_code == 200 and ok.json()["updated"] == 1
    db.expire_all()
    assert n_dossiers(db) == 1


def test_api_idempotency_key_replays_and_refuses_another_body(
    client: TestClient, ingest_token: str, db: Session
) -> None:
    body = {"dossiers": [dossier("K1")]}
    first = post(client, ingest_token, body, headers={"Idempotency-Key": "lo-1"})
    again = post(client, ingest_token, body, headers={"Idempotency-Key": "lo-1"})
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    other = post(client, ingest_token, {"dossiers": [dossier("K2")]},
                 headers={"Idempotency-Key": "lo-1"})  # fmt: skip
    assert other.status_code == 409
    assert n_dossiers(db) == 1


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b"{not json", 400), (b'{"rows": []}', 400), (b'{"dossiers": {}}', 400), (b"[]", 400)],
)
def test_api_unreadable_bodies(client: TestClient, ingest_token: str, raw: bytes, status: int
                               ) -> None:  # fmt: skip
    r = client.post(
        "/api/v1/public-services/dossiers",
        content=raw,
        headers={"Authorization": f"Bearer {ingest_token}", "Content-Type": "application/json"},
    )
    assert r.status_code == status and "detail" in r.json()


def test_api_scores_and_ranking(client: TestClient, ingest_token: str, make_user: Any) -> None:
    post(client, ingest_token, {"dossiers": [
        dossier("S1", finished_at=iso(2026, 3, 4)),
        dossier("S2", finished_at=iso(2026, 3, 9)),
        dossier("S3", agency=OTHER, area=COMMUNE, finished_at=iso(2026, 3, 4)),
    ]})  # fmt: skip
    pw = make_user("lanhdao", role="leader")
    from helpers import login

    login(client, "lanhdao", pw)
    r = client.get("/api/v1/public-services/scores",
                   params={"period": "month", "month": "2026-03", "agency": AGENCY})  # fmt: skip
    assert r.status_code == 200
    ind = r.json()["scorecard"]["indicators"]
    assert ind["2.1"]["value"] == 50.0 and ind["2.1"]["denominator"] == 2
    assert ind["1.1"]["value"] is None
    ranking = client.get(
        "/api/v1/public-services/scores",
        params={"period": "month", "month": "2026-03", "by": "agency"},
    ).json()
    assert [x["code"] for x in ranking["ranking"]][:2] == [OTHER, AGENCY]
    assert ranking["ranking"][0]["rank"] == 1
    bad = client.get("/api/v1/public-services/scores", params={"period": "month", "month": "x"})
    assert bad.status_code == 422 and bad.json()["field"] == "month"
