"""Pydantic models of the public-services API's answers, for the OpenAPI document only (the
routes build their answers themselves; see ``ioc.web.api_models``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["DossiersReport", "ScoresAnswer"]


class DossierRowError(BaseModel):
    """Why one row of a batch was refused."""

    section: str = Field(description="procedures | dossiers | feedback")
    row: int = Field(description="position of the row in its section")
    id: str | None = Field(description="the row's id or code, when it has one")
    field: str
    message: str = Field(description="Vietnamese")
    message_en: str = Field(description="English")


class DossiersReport(BaseModel):
    """What a batch did: 200 when every row was valid, 422 listing the invalid rows (in partial
    mode the valid ones are stored all the same)."""

    received: dict[str, int] = Field(description="rows received per section")
    stored: int = Field(description="dossiers inserted or updated")
    inserted: int
    updated: int
    unchanged: int
    stale: int = Field(description="states older than the stored one, ignored")
    procedures: int
    feedback: int
    rejected: int
    mode: str = Field(description="partial | atomic")
    errors: list[DossierRowError] = Field(description="the first 1000")
    errors_truncated: bool


class IndicatorScore(BaseModel):
    """One QĐ 766 indicator of a scorecard (``null`` where there is no value)."""

    value: float | None = Field(description="rate in % (working days for 2.2)")
    igate_value: float | None
    numerator: int | None
    denominator: int | None
    points: float | None
    max_points: float | None
    full_at: float | None
    note: str | None


class DossierCounts(BaseModel):
    """Dossiers counted in the scorecard."""

    received: int
    finished: int
    on_time: int
    late: int
    undetermined: int


class Scorecard(BaseModel):
    """Points of the QĐ 766 index set for a scope and period."""

    score: float | None
    score_100: float | None = Field(description="the score on a 100-point scale")
    max_available: float | None
    indicators: dict[str, IndicatorScore] = Field(description="by indicator key, e.g. 1.1")
    counts: DossierCounts


class RankedScorecard(Scorecard):
    """A unit's scorecard with its rank (``null``: not ranked, e.g. no dossier)."""

    rank: int | None
    code: str
    name: str


class ScoresAnswer(BaseModel):
    """The scorecard of a scope, or (with ``by``) the ranking of agencies or communes."""

    period: dict[str, str] = Field(description="query parameters selecting the period again")
    scorecard: Scorecard | None = None
    ranking: list[RankedScorecard] | None = None
