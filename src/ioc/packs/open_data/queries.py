"""Reads shared by the open-data pages and API: who sees which datasets' quality (the IOC —
admins, operators — all of them; a leader all of them and a summary per agency; an agency's
staff only the datasets their agency owns), the datasets with their figures, and the people to
call for each owner agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency, User
from ioc.core.registry import Registry
from ioc.packs.open_data import catalogue, quality
from ioc.web.deps import Principal

IOC_ROLES = ("admin", "operator")


@dataclass(frozen=True)
class Row:
    """One dataset with its figures, for the catalogue page and the quality API."""

    entry: catalogue.Entry
    figures: quality.Figures
    owner_name: str


def scope(db: Session, principal: Principal) -> tuple[str, str | None]:
    """``(mode, agency code)``: mode ``ioc``, ``leader``, ``agency`` or ``public``."""
    user = principal.user
    if user is None:
        return "public", None
    if user.role in IOC_ROLES:
        return "ioc", None
    if user.role == "leader":
        return "leader", None
    agency = db.get(Agency, user.agency_id) if user.agency_id else None
    return "agency", agency.code if agency else None


def visible(
    db: Session, registry: Registry, principal: Principal
) -> tuple[str, str | None, list[catalogue.Entry]]:
    """The datasets ``principal`` may see the quality of."""
    mode, agency = scope(db, principal)
    entries = catalogue.entries(registry)
    if mode == "agency":
        entries = [e for e in entries if e.spec.owner_agency == agency]
    elif mode == "public":
        entries = [e for e in entries if e.spec.public]
    return mode, agency, entries


def rows(db: Session, entries: list[catalogue.Entry], now: datetime) -> list[Row]:
    """The datasets with their figures, worst first."""
    names = {a.code: a.name for a in db.execute(select(Agency)).scalars()}
    out = [
        Row(e, e.figures(db, now), names.get(e.spec.owner_agency, e.spec.owner_agency))
        for e in entries
    ]
    out.sort(key=lambda r: (r.figures.score, r.entry.spec.code))
    return out


def contacts(db: Session, agency_codes: set[str]) -> dict[str, list[dict[str, str]]]:
    """The people to call for each owner agency (its active staff accounts)."""
    found: dict[str, list[dict[str, str]]] = {}
    if not agency_codes:
        return found
    stmt = (
        select(Agency.code, User.full_name, User.email)
        .join(User, User.agency_id == Agency.id)
        .where(Agency.code.in_(agency_codes), User.is_active.is_(True))
        .order_by(User.full_name)
    )
    for code, name, email in db.execute(stmt):
        found.setdefault(code, []).append({"name": name, "email": email or ""})
    return found


def summary(items: list[Row]) -> list[dict[str, Any]]:
    """Per owner agency: datasets, how many are good/warn/bad, mean figures, worst score."""
    groups: dict[str, list[Row]] = {}
    for r in items:
        groups.setdefault(r.entry.spec.owner_agency, []).append(r)
    out = []
    for code, group in groups.items():
        means: dict[str, float | None] = {}
        for name in quality.FIGURES:
            values = [
                getattr(r.figures, name) for r in group if getattr(r.figures, name) is not None
            ]
            means[name] = sum(values) / len(values) if values else None
        levels = [r.figures.overall for r in group]
        out.append(
            {
                "code": code,
                "name": group[0].owner_name,
                "datasets": len(group),
                "good": levels.count("good"),
                "warn": levels.count("warn"),
                "bad": levels.count("bad"),
                "means": means,
                "worst": min(r.figures.score for r in group),
            }
        )
    out.sort(key=lambda s: (s["worst"], s["code"]))
    return out
