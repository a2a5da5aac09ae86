"""Pydantic models of the cybersecurity API's answers, for the OpenAPI document only (the routes
build their answers themselves; see ``ioc.web.api_models``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["AgenciesAnswer", "SitesAnswer"]


class SiteStatus(BaseModel):
    """A monitored website and its last probe (times ISO 8601, UTC)."""

    code: str
    name: str
    url: str
    agency: str | None
    state: str = Field(description="up | down | degraded | defaced | unknown …")
    http_status: int | None
    response_ms: float | None
    cert_not_after: str | None
    cert_error: str | None
    similarity: float | None = Field(description="to the baseline page, 0–1")
    last_probe_at: str | None


class SitesAnswer(BaseModel):
    items: list[SiteStatus]


class AgencySecurity(BaseModel):
    """One agency's security figures over the last ``days``."""

    agency: str | None = Field(description="agency code (null: events naming no agency)")
    name: str
    open_incidents: int
    mttr_hours: float | None = Field(description="mean time to resolve, hours")
    events: dict[str, int] = Field(description="events per severity")
    sites: int
    sites_down: int


class AgenciesAnswer(BaseModel):
    days: int
    items: list[AgencySecurity]
