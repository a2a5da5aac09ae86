"""Actions and figures of the guides pack: the first-login tour, page-view counters and the
adoption statistics (who uses the IOC, how much, and whether data arrives on time).

Sources, all read-only except the pack's own tables:

* active users — ``users.last_login_at``, ``user_sessions.created_at`` and ``audit_log`` rows
  with an ``actor_user_id`` inside the window;
* citizens' field reports per commune — ``audit_log`` rows ``fr.submit`` (their ``area`` detail),
  because the field-reports pack exports no statistics function;
* data submissions on time — ``sub_submissions`` with the deadline rule of
  :mod:`ioc.engines.submissions` (first accepted file by the period's deadline);
* pages used — the pack's ``gd_page_views`` counters (see :func:`record_view`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock, i18n
from ioc.core.calendar import load_calendar
from ioc.core.models import Agency, Area, AuditLog, User, UserSession
from ioc.engines.submissions.models import SubSubmission
from ioc.engines.submissions.periods import PeriodError, parse_period
from ioc.packs.guides.models import GdPageView, GdTourState

# Paths never counted as page views (assets, partial refreshes, machine APIs).
_SKIPPED_PREFIXES = frozenset({"static", "api", "partials", "favicon.ico", "healthz"})


# ------------------------------------------------------------------ first-login tour


def tour_dismissed(session: Session, user_id: int) -> bool:
    """Whether the user has already dismissed the first-login tour."""
    return session.get(GdTourState, user_id) is not None


def dismiss_tour(session: Session, actor: audit.Actor) -> bool:
    """Đóng hướng dẫn lần đầu: remember that ``actor`` dismissed the tour (audited).

    Returns False (and changes nothing) when it was already dismissed or the actor is not a
    signed-in user.
    """
    if actor.user_id is None or tour_dismissed(session, actor.user_id):
        return False
    session.add(GdTourState(user_id=actor.user_id, dismissed_at=clock.now()))
    audit.record(session, actor, "gd.tour.dismiss", "user", actor.user_id)
    return True


# ------------------------------------------------------------------ page views


def page_prefix(path: str) -> str | None:
    """The counted part of a request path: its first segment (``/alerts/3`` -> ``alerts``,
    ``/`` -> ``/``), or None for assets, partials and APIs."""
    first = path.strip("/").split("/", 1)[0]
    if not first:
        return "/"
    if first in _SKIPPED_PREFIXES or len(first) > 64:
        return None
    return first


def record_view(session: Session, path: str, role: str | None) -> bool:
    """Count one page view of ``path`` by a user of ``role`` (``anonymous`` when signed out)
    on today's local date. Returns whether the view was counted. Meant to be called by the
    app's request middleware for successful HTML GETs; it does not commit."""
    prefix = page_prefix(path)
    if prefix is None:
        return False
    day = i18n.to_local(clock.now()).date()
    role_key = (role or "anonymous")[:32]
    row = session.get(GdPageView, (day, prefix, role_key))
    if row is None:
        session.add(GdPageView(day=day, prefix=prefix, role=role_key, count=1))
    else:
        row.count += 1
    return True


# ------------------------------------------------------------------ adoption statistics


@dataclass
class AgencyUse:
    """Accounts and active accounts of one agency (``code`` None: IOC staff without agency)."""

    code: str | None
    name: str
    users: int = 0
    active: int = 0

    @property
    def pct(self) -> float | None:
        """Share of the agency's accounts that were active, in percent."""
        return None if self.users == 0 else 100.0 * self.active / self.users


@dataclass
class Adoption:
    """Adoption figures for one window ``[start, end)``."""

    start: datetime
    end: datetime
    agencies: list[AgencyUse] = field(default_factory=list)
    communes: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, reports
    reports_total: int = 0
    sub_on_time: int = 0
    sub_late: int = 0
    pages: list[tuple[str, int]] = field(default_factory=list)  # prefix, views
    pages_by_role: dict[str, int] = field(default_factory=dict)

    @property
    def active_users(self) -> int:
        """Active accounts over all agencies."""
        return sum(a.active for a in self.agencies)

    @property
    def users(self) -> int:
        """Active (enabled) accounts over all agencies."""
        return sum(a.users for a in self.agencies)

    @property
    def sub_pct(self) -> float | None:
        """Share of accepted submissions that arrived on time, in percent."""
        total = self.sub_on_time + self.sub_late
        return None if total == 0 else 100.0 * self.sub_on_time / total


def _active_user_ids(session: Session, start: datetime, end: datetime) -> set[int]:
    ids: set[int] = set(
        session.execute(
            select(User.id).where(User.last_login_at >= start, User.last_login_at < end)
        ).scalars()
    )
    ids.update(
        session.execute(
            select(UserSession.user_id).where(
                UserSession.created_at >= start, UserSession.created_at < end
            )
        ).scalars()
    )
    ids.update(
        uid
        for uid in session.execute(
            select(AuditLog.actor_user_id)
            .where(AuditLog.at >= start, AuditLog.at < end, AuditLog.actor_user_id.is_not(None))
            .distinct()
        ).scalars()
        if uid is not None
    )
    return ids


def _agency_use(session: Session, start: datetime, end: datetime, lang: str) -> list[AgencyUse]:
    active = _active_user_ids(session, start, end)
    agencies = {a.id: a for a in session.execute(select(Agency)).scalars()}
    rows: dict[int | None, AgencyUse] = {}
    for user_id, agency_id in session.execute(
        select(User.id, User.agency_id).where(User.is_active.is_(True))
    ):
        use = rows.get(agency_id)
        if use is None:
            agency = agencies.get(agency_id) if agency_id is not None else None
            use = AgencyUse(
                agency.code if agency else None,
                agency.short_name if agency else i18n.translate("gd.adopt.no_agency", lang),
            )
            rows[agency_id] = use
        use.users += 1
        use.active += user_id in active
    return sorted(rows.values(), key=lambda u: (-u.active, -u.users, i18n.fold(u.name)))


def _communes(session: Session, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
    counts: Counter[str] = Counter()
    for detail in session.execute(
        select(AuditLog.detail).where(
            AuditLog.action == "fr.submit", AuditLog.at >= start, AuditLog.at < end
        )
    ).scalars():
        area = (detail or {}).get("area")
        counts[str(area) if area else ""] += 1
    names: dict[str, str] = {
        row.code: row.name
        for row in session.execute(
            select(Area.code, Area.name).where(Area.code.in_([c for c in counts if c]))
        )
    }
    out = [(code, names.get(code, code or "—"), n) for code, n in counts.items()]
    return sorted(out, key=lambda r: (-r[2], i18n.fold(r[1])))


def _submissions(
    session: Session, start: datetime, end: datetime, deadline_days: int
) -> tuple[int, int]:
    """(on time, late) first-accepted submissions whose period's deadline falls in the window."""
    calendar = load_calendar(session)
    first: dict[tuple[str, str], SubSubmission] = {}
    for sub in session.execute(
        select(SubSubmission)
        .where(SubSubmission.status == "accepted")
        .order_by(SubSubmission.decided_at, SubSubmission.id)
    ).scalars():
        first.setdefault((sub.agency_code, sub.period), sub)
    on_time = late = 0
    for (_, key), sub in first.items():
        try:
            deadline = parse_period(key).deadline(calendar, deadline_days)
        except PeriodError:
            continue
        if not start <= deadline < end:
            continue
        if sub.decided_at is not None and sub.decided_at <= deadline:
            on_time += 1
        else:
            late += 1
    return on_time, late


def _pages(
    session: Session, first: date, last: date
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    by_prefix: dict[str, int] = defaultdict(int)
    by_role: dict[str, int] = defaultdict(int)
    for prefix, role, count in session.execute(
        select(GdPageView.prefix, GdPageView.role, GdPageView.count).where(
            GdPageView.day >= first, GdPageView.day <= last
        )
    ):
        by_prefix[prefix] += count
        by_role[role] += count
    pages = sorted(by_prefix.items(), key=lambda p: (-p[1], p[0]))
    return pages, dict(by_role)


def adoption(
    session: Session, start: datetime, end: datetime, *, deadline_days: int = 5, lang: str = "vi"
) -> Adoption:
    """Adoption figures for the window ``[start, end)`` (aware datetimes)."""
    pages, by_role = _pages(
        session, i18n.to_local(start).date(), i18n.to_local(end - timedelta(seconds=1)).date()
    )
    communes = _communes(session, start, end)
    on_time, late = _submissions(session, start, end, deadline_days)
    return Adoption(
        start=start,
        end=end,
        agencies=_agency_use(session, start, end, lang),
        communes=communes,
        reports_total=sum(n for _, _, n in communes),
        sub_on_time=on_time,
        sub_late=late,
        pages=pages,
        pages_by_role=by_role,
    )


def last_days(session: Session, days: int, **kwargs: Any) -> Adoption:
    """Adoption over the last ``days`` days up to now."""
    end = clock.now()
    return adoption(session, end - timedelta(days=days), end, **kwargs)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of calendar ``year`` in local time, as aware datetimes."""
    zone = i18n.display_zone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def adoption_summary(session: Session, year: int, *, deadline_days: int = 5) -> dict[str, Any]:
    """Adoption figures of calendar ``year`` as plain data for the yearly report.

    Keys: ``year``, ``users``, ``active_users``, ``agencies`` (``code``, ``name``, ``users``,
    ``active``), ``reports_total``, ``reports_by_commune`` (``code``, ``name``, ``reports``),
    ``submissions`` (``on_time``, ``late``, ``on_time_pct``), ``pages`` (``prefix``, ``views``)
    and ``views_by_role``.
    """
    start, end = year_bounds(year)
    figures = adoption(session, start, end, deadline_days=deadline_days)
    return {
        "year": year,
        "users": figures.users,
        "active_users": figures.active_users,
        "agencies": [
            {"code": a.code, "name": a.name, "users": a.users, "active": a.active}
            for a in figures.agencies
        ],
        "reports_total": figures.reports_total,
        "reports_by_commune": [
            {"code": c, "name": n, "reports": r} for c, n, r in figures.communes
        ],
        "submissions": {
            "on_time": figures.sub_on_time,
            "late": figures.sub_late,
            "on_time_pct": figures.sub_pct,
        },
        "pages": [{"prefix": p, "views": v} for p, v in figures.pages],
        "views_by_role": figures.pages_by_role,
    }
