"""Maturity self-assessment: a score per criterion with evidence, the average and the level
reached (thresholds in the criteria set's YAML), and the change from the previous year."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.packs.reporting.models import MaturityAssessment, MaturityScore
from ioc.packs.reporting.service import Doer, ReportingError, parse_number
from ioc.packs.reporting.templates_data import DEFAULT_CRITERIA, criteria_sets


def level_for(criteria_set: dict[str, Any], average: float) -> int:
    """The highest level whose ``min_avg`` the average reaches."""
    reached = [lv["level"] for lv in criteria_set["levels"] if average >= lv["min_avg"]]
    return max(reached) if reached else 0


def parse_scores(
    criteria_set: dict[str, Any], form: dict[str, str]
) -> dict[str, tuple[float, str]]:
    """Scores from form fields ``score.<code>`` / ``evidence.<code>`` (blank score: skipped)."""
    out: dict[str, tuple[float, str]] = {}
    top = float(criteria_set["max_score"])
    for c in criteria_set["criteria"]:
        raw = form.get(f"score.{c['code']}", "")
        try:
            value = parse_number(raw)
        except ValueError:
            value = -1.0
        if value is None:
            continue
        if not 0 <= value <= top:
            raise ReportingError(
                f"Tiêu chí «{c['name_vi']}»: điểm phải từ 0 đến {top:g}.",
                f"Criterion {c['code']}: score must be 0-{top:g}.",
                f"score.{c['code']}",
            )
        out[c["code"]] = (value, form.get(f"evidence.{c['code']}", "").strip()[:4000])
    return out


def save_assessment(
    session: Session,
    doer: Doer,
    year: int,
    scores: dict[str, tuple[float, str]],
    set_key: str = DEFAULT_CRITERIA,
) -> MaturityAssessment:
    """Lưu tự đánh giá of ``year`` (replacing that year's scores); administrators and the
    recipient agency's staff only (checked by the caller through ``may_create``)."""
    cs = criteria_sets()[set_key]
    if not 2000 <= year <= 2100:
        raise ReportingError("Năm không hợp lệ.", "Invalid year.", "year")
    now = clock.now()
    a = session.execute(
        select(MaturityAssessment).where(
            MaturityAssessment.year == year, MaturityAssessment.criteria_set == set_key
        )
    ).scalar_one_or_none()
    if a is None:
        a = MaturityAssessment(year=year, criteria_set=set_key, updated_at=now, updated_by="")
        session.add(a)
        session.flush()
    existing = {
        s.criterion: s
        for s in session.execute(
            select(MaturityScore).where(MaturityScore.assessment_id == a.id)
        ).scalars()
    }
    for code, (score, evidence) in scores.items():
        row = existing.get(code)
        if row is None:
            session.add(
                MaturityScore(assessment_id=a.id, criterion=code, score=score, evidence=evidence)
            )
        else:
            row.score, row.evidence = score, evidence
    for code in set(existing) - set(scores):
        session.delete(existing[code])
    values = [v for v, _e in scores.values()]
    # Unscored criteria count as 0: the level must reflect the whole set.
    average = sum(values) / len(cs["criteria"]) if values else None
    a.overall_score = None if average is None else round(average, 2)
    a.level = None if average is None else level_for(cs, average)
    a.updated_at, a.updated_by = now, doer.actor.label
    session.flush()
    audit.record(
        session, doer.actor, "rp.maturity.save", "rp_maturity", a.id, year=year, level=a.level
    )
    return a


def overview(session: Session, set_key: str = DEFAULT_CRITERIA) -> list[dict[str, Any]]:
    """Assessments by year with their scores and the change from the year before."""
    rows = list(
        session.execute(
            select(MaturityAssessment)
            .where(MaturityAssessment.criteria_set == set_key)
            .order_by(MaturityAssessment.year)
        ).scalars()
    )
    out: list[dict[str, Any]] = []
    prev: MaturityAssessment | None = None
    for a in rows:
        scores = {
            s.criterion: s
            for s in session.execute(
                select(MaturityScore).where(MaturityScore.assessment_id == a.id)
            ).scalars()
        }
        change = (
            round(a.overall_score - prev.overall_score, 2)
            if prev and a.overall_score is not None and prev.overall_score is not None
            else None
        )
        out.append({"a": a, "scores": scores, "change": change})
        prev = a
    return out
