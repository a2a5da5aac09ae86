"""Realistic demo field reports for Đắk Lắk communes over the past months.

Potholes, flooding, rubbish, street lights, noise, trees, encroachment, pollution and traffic
signs in Buôn Ma Thuột, Buôn Hồ, Tuy Hòa and nearby communes, taken through the real workflow
actions (with past times), so timelines, deadlines, ratings and overdue reports look as they
would in production. Reporters are fictitious; the places, texts and names are in
``demo.yaml``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import yaml_text
from ioc.core.audit import Actor
from ioc.engines.geo import current_locator
from ioc.packs.field_reports import routing, service
from ioc.packs.field_reports.models import Report

__all__ = ["demo_communes", "load_demo"]


@dataclass(frozen=True)
class DemoCommune:
    """A commune with an approximate reference point for demo reports."""

    code: str
    name: str
    lat: float
    lon: float
    streets: tuple[str, ...]
    weight: int


@cache
def demo_data() -> dict[str, Any]:
    """The packaged ``demo.yaml``: communes, report texts, answers, reporters' names."""
    text = files("ioc.packs.field_reports").joinpath("demo.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml_text.load(text)
    return data


def demo_communes() -> tuple[DemoCommune, ...]:
    """The communes demo reports fall in, with their streets and weights."""
    return tuple(
        DemoCommune(str(c["code"]), c["name"], c["lat"], c["lon"], tuple(c["streets"]), c["weight"])
        for c in demo_data()["communes"]
    )


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _agency_name(session: Session, report: Report) -> str:
    from ioc.core.models import Agency

    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    return agency.short_name if agency else str(demo_data()["workflow"]["no_agency"])


def _submit(session: Session, rng: random.Random, received: datetime) -> service.Submission:
    """A citizen's report received at ``received``, in a weighted commune and category."""
    data = demo_data()
    communes = demo_communes()
    commune = rng.choices(communes, weights=[c.weight for c in communes])[0]
    category = _pick(rng, {code: c["weight"] for code, c in data["categories"].items()})
    street = rng.choice(commune.streets)
    text = rng.choice(data["categories"][category]["texts"]).format(street=street)
    # The point stays inside the demo commune, whatever boundaries are loaded.
    lat, lon = current_locator(session).point_in(
        commune.code,
        commune.lat + rng.uniform(-0.008, 0.008),
        commune.lon + rng.uniform(-0.008, 0.008),
    )
    names = data["reporters"]
    return service.submit_report(
        session,
        service.citizen_actor(),
        category_code=category,
        description=text,
        lat=lat,
        lon=lon,
        area_code=commune.code,
        address=f"Đường {street}, {commune.name}",
        reporter_name=f"{rng.choice(names['family'])} {rng.choice(names['given'])}",
        reporter_phone=f"09{rng.randrange(10**7, 10**8)}",
        share_identity_with_agency=rng.random() < 0.3,
        channel=rng.choice(("web", "app", "app", "hotline")),
        at=received,
    )


@dataclass(frozen=True)
class _Story:
    """One demo report taken through the workflow: the next step comes some hours after the
    previous one, unless that is after ``end`` (the report then stays where it is)."""

    session: Session
    rng: random.Random
    actor: Actor
    submission: service.Submission
    end: datetime

    def step(self, after: datetime, lo_h: float, hi_h: float) -> datetime | None:
        moment = after + timedelta(hours=self.rng.uniform(lo_h, hi_h))
        return moment if moment < self.end else None


def _one(
    session: Session, rng: random.Random, actor: Actor, received: datetime, end: datetime
) -> Report:
    story = _Story(session, rng, actor, _submit(session, rng, received), end)
    t = _intake(story, received)
    if t is not None:
        _handle(story, t)
    return story.submission.report


def _intake(story: _Story, received: datetime) -> datetime | None:
    """Reject, or ask for information and then assign: the time of the assignment, or None
    when the report stops before it."""
    session, actor, report = story.session, story.actor, story.submission.report
    texts = demo_data()["workflow"]
    roll = story.rng.random()
    t = story.step(received, 1, 20)
    if t is None:
        return None
    if roll < 0.05:
        service.reject(session, actor, report, texts["reject_reason"], at=t)
        return None
    if roll < 0.09:
        service.request_info(session, actor, report, texts["info_question"], at=t)
        t2 = story.step(t, 4, 72)
        if t2 is None:
            return None
        secret = story.submission.secret
        service.provide_info(session, actor, report, texts["info_answer"], secret=secret, at=t2)
        t = story.step(t2, 1, 8)
        if t is None:
            return None
    service.assign(session, actor, report, at=t)
    return t


def _handle(story: _Story, assigned: datetime) -> None:
    """Start, answer (late for some), publish, and the reporter's rating and reopening."""
    session, actor, rng, report = story.session, story.actor, story.rng, story.submission.report
    t = story.step(assigned, 4, 60)
    if t is None:
        return
    service.start_progress(session, actor, report, at=t)
    late = rng.random() < 0.12
    t = story.step(t, 24 * (15 if late else 1), 24 * (30 if late else 14))
    if t is None:
        return
    resolution = rng.choices(("fixed", "scheduled", "explained"), weights=(75, 15, 10))[0]
    answer = demo_data()["answers"][resolution].format(
        agency=_agency_name(session, report), day=t.strftime("%d/%m/%Y")
    )
    service.answer(session, actor, report, answer, resolution=resolution, at=t)
    t = story.step(t, 2, 60)
    if t is None:
        return
    service.publish(session, actor, report, at=t)
    t = story.step(t, 12, 24 * 6)
    if t is None or rng.random() < 0.35:
        return
    really_fixed = resolution == "fixed" and rng.random() < 0.85
    service.rate(
        session,
        service.citizen_actor(),
        report,
        satisfied=really_fixed or rng.random() < 0.3,
        really_fixed=really_fixed,
        secret=story.submission.secret,
        at=t,
    )
    if not really_fixed and rng.random() < 0.4:
        t2 = story.step(t, 2, 48)
        if t2 is not None:
            service.reopen(
                session,
                service.citizen_actor(),
                report,
                demo_data()["workflow"]["reopen_reason"],
                secret=story.submission.secret,
                at=t2,
            )


def _setup(session: Session, actor: Actor) -> None:
    """The demo's routing rules and answer templates."""
    data = demo_data()
    for rule in data["routing_rules"]:
        routing.set_rule(
            session,
            actor,
            category_code=rule["category"],
            area_code=rule["area"],
            agency_code=rule["agency"],
        )
    for template in data["templates"]:
        service.save_template(session, actor, **template)


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 24 * 180,
    seed: int = 66,
    per_day: float = 1.5,
    **_: Any,
) -> int:
    """Create categories, a few routing rules, response templates and about ``per_day``
    reports a day over the last ``hours`` (at most 180 days) before ``end``. Idempotent in
    effect: does nothing when field reports already exist. Returns the reports created."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    actor = Actor.system("demo")
    days = max(1, min(hours // 24, 180))
    with factory() as session, session.begin():
        service.sync_categories(session, actor)
        if session.execute(select(Report.id).limit(1)).first() is not None:
            return 0
        _setup(session, actor)
        start = end - timedelta(days=days)
        count = int(days * per_day)
        moments = sorted(
            start + timedelta(seconds=rng.uniform(0, days * 86400)) for _ in range(count)
        )
        created: list[Report] = []
        for received in moments:
            # Reports arrive mostly in the day; a few at night.
            local_hour = (received.hour + 7) % 24
            if local_hour < 6 and rng.random() < 0.7:
                received += timedelta(hours=8)
            if received >= end:
                continue
            created.append(_one(session, rng, actor, received, end))
        # A few just in, waiting at the IOC's intake.
        for _i in range(4):
            fresh = end - timedelta(minutes=rng.uniform(5, 50))
            created.append(_one(session, rng, actor, fresh, end))
        created += _duplicates(session, actor, created, end)
        return len(created)


def _duplicates(
    session: Session, actor: Actor, created: list[Report], end: datetime
) -> list[Report]:
    """A few duplicates of recent open reports, merged by the IOC."""
    again = demo_data()["duplicates"]
    open_ones = [
        r
        for r in created
        if r.status in ("received", "assigned", "in_progress")
        and r.received_at < end - timedelta(hours=2)
    ]
    out = []
    for original in open_ones[:3]:
        dup = service.submit_report(
            session,
            service.citizen_actor(),
            category_code=_category_code(session, original),
            description=original.description + again["suffix"],
            lat=original.lat + 0.0001,
            lon=original.lon,
            area_code=original.area_code,
            address=original.address,
            reporter_name=again["reporter_name"],
            reporter_email=again["reporter_email"],
            at=end - timedelta(hours=1),
        ).report
        service.merge_duplicate(session, actor, dup, original, at=end - timedelta(minutes=30))
        out.append(dup)
    return out


def _category_code(session: Session, report: Report) -> str:
    from ioc.packs.field_reports.models import Category

    category = session.get(Category, report.category_id)
    assert category is not None
    return category.code
