"""Pydantic models of the documents API's answers, for the OpenAPI document only (the routes
build their answers themselves; see ``ioc.web.api_models``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["DocumentRowError", "DocumentsReport", "FiguresAnswer", "TasksAnswer"]


class DocumentRowError(BaseModel):
    """Why one document of a batch was refused."""

    row: int = Field(description="0-based index of the document in the batch")
    field: str = Field(description="the document's field at fault (empty: the whole item)")
    message: str = Field(description="Vietnamese")
    en: str = Field(description="English")


class DocumentsReport(BaseModel):
    """What a batch of documents did (upserted by ``id``)."""

    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[DocumentRowError]


class AgencyFigures(BaseModel):
    """One agency's figures; rates are percentages, ``null`` without a denominator."""

    rank: int
    agency: str = Field(description="agency code")
    name: str
    incoming: int
    outgoing: int
    with_deadline: int
    on_time: int
    late: int
    overdue: int
    pending: int
    signed: int
    via_axis: int
    on_time_rate: float | None
    signature_rate: float | None
    electronic_rate: float | None


class FiguresAnswer(BaseModel):
    """Per-agency figures of documents registered in a period (local dates), at ``as_of``."""

    from_: str = Field(alias="from", description="first local date")
    to: str = Field(description="last local date")
    as_of: str
    agencies: list[AgencyFigures]


class TaskItem(BaseModel):
    """A task assigned by a directive, where it stands now."""

    id: int
    directive: str = Field(description="the directive's number")
    ref: str
    title: str
    agency: str = Field(description="agency code")
    due_at: str
    progress: int = Field(description="0–100 (%)")
    status: str
    state: str = Field(
        description="overdue | due_soon | in_progress | assigned | done | done_late | cancelled"
    )
    working_days_left: int = Field(description="negative: overdue")


class TasksAnswer(BaseModel):
    """Directive tasks with their state at ``as_of``."""

    as_of: str
    tasks: list[TaskItem]
