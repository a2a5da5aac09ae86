"""QĐ 766 ranking: a unit without dossiers in the period is "no data" (shown "chưa có hồ sơ"),
never ranked — even when its feedback (PAKN) alone would give it 100 points."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from ps_helpers import AGENCY, OTHER, dossier, ingest, iso
from sqlalchemy.orm import Session

from helpers import login
from ioc.packs.public_services import scores

MARCH = scores.Period("month", 202603, 202603)


def _data(db: Session) -> None:
    report = ingest(
        db,
        [
            dossier("A1", finished_at=iso(2026, 3, 9)),  # late
            dossier("A2", finished_at=iso(2026, 3, 5)),  # on time
            # OTHER's only dossier is of February: nothing in March.
            dossier("B0", agency=OTHER, received_at=iso(2026, 2, 2), due_at=iso(2026, 2, 6),
                    finished_at=iso(2026, 2, 4)),
        ],
        feedback=[  # OTHER handled its March feedback on time: 5.2 = 5.3 = 100 %
            {"id": "F1", "agency": OTHER, "received_at": iso(2026, 3, 2),
             "handled_at": iso(2026, 3, 3)},
        ],
    )  # fmt: skip
    assert report.ok, report.errors


def test_a_unit_without_dossiers_is_never_ranked(db: Session, frozen_now: datetime) -> None:
    _data(db)
    rows = {r.code: r for r in scores.ranking(db, "agency_code", MARCH, now=frozen_now)}
    assert rows[AGENCY].rank == 1 and rows[AGENCY].card.score_100 is not None
    other = rows[OTHER]
    assert other.card.counters.received == 0 and other.card.counters.finished == 0
    assert other.rank is None
    assert other.card.score_100 is None and not other.card.has_dossiers
    ranked = [r for r in scores.ranking(db, "agency_code", MARCH, now=frozen_now) if r.rank]
    assert [r.code for r in ranked] == [AGENCY]


def test_the_page_says_no_dossiers_instead_of_a_score(
    client: TestClient, make_user: Any, db: Session, frozen_now: datetime
) -> None:
    _data(db)
    login(client, "lanhdao", make_user("lanhdao", role="leader"))
    html = client.get("/public-services?period=month&month=2026-03").text
    row = re.search(rf'<tr data-code="{OTHER}">.*?</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert cells[0].strip() == "—"  # no rank
    assert "chưa có hồ sơ" in cells[2]  # the score column
    assert "100,00" not in row.group(0)
