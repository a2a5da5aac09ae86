"""Demo data of the cybersecurity pack: the province's portals (Đắk Lắk and the former Phú
Yên), devices of the agencies, security events and incidents over recent weeks.

Figures are invented (a plausible day/night rhythm, scans and brute force dominating, a few
malware and web-attack bursts); the site names are the real portals, their URLs the local
portal simulator of ``demo_portals`` (loopback only, never the real ``*.gov.vn``). Idempotent.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import yaml_text
from ioc.core.audit import Actor
from ioc.core.models import Agency
from ioc.engines.sector.demo import DemoRun, pack_demo
from ioc.packs.cybersecurity import incidents
from ioc.packs.cybersecurity.demo_portals import DEFACED, DOWN, EXPIRING, SLOW, demo_url
from ioc.packs.cybersecurity.models import CyEvent, CyHost, CySite, CySiteCheck
from ioc.packs.cybersecurity.parsers import SEVERITY_RANK
from ioc.packs.cybersecurity.store import insert_rows

_DATA: dict[str, Any] = yaml_text.load(
    resources.files("ioc.packs.cybersecurity").joinpath("demo.yaml").read_text("utf-8")
)

# (code, name, agency). The names are the province's real portals, but the demo never probes
# them: every site's URL points at the local portal simulator (``demo_portals``) that
# ``ioc demo`` starts — the demo sends no traffic off the machine.
SITES: tuple[tuple[str, str, str], ...] = tuple(
    (site["code"], site["name"], site["agency"]) for site in _DATA["sites"]
)

# (category, share, severities with weights, message templates)
PATTERNS: tuple[tuple[str, float, dict[str, int], tuple[str, ...]], ...] = tuple(
    (p["category"], p["share"], p["severities"], tuple(p["messages"])) for p in _DATA["patterns"]
)

ATTACKERS: tuple[str, ...] = tuple(_DATA["attackers"])
CLOSING_NOTES: tuple[str, ...] = tuple(_DATA["closing_notes"])


def _has_sites(session: Session) -> bool:
    return bool(session.execute(select(func.count()).select_from(CySite)).scalar_one())


def _generate(run: DemoRun) -> int:
    """Create demo sites, hosts, events and incidents over the ``hours`` before ``end``;
    does nothing when sites exist. Returns the number of events stored."""
    rng = random.Random(66)  # noqa: S311 - demo figures, not secrets
    end, hours = run.end, min(run.hours, 24 * 60)
    with run.factory() as session, session.begin():
        known = set(session.execute(select(Agency.code)).scalars())
        _add_sites(session, rng, known, end, hours)
        hosts = _add_hosts(session, known)
        rows = _event_rows(rng, hosts, end, hours, run.offset)
        for start in range(0, len(rows), 5000):
            insert_rows(session, rows[start : start + 5000])
            run.report(min(start + 5000, len(rows)))
        session.flush()
        _add_incidents(session, rng)
    return len(rows)


load_demo = pack_demo(_generate, hours=24 * 30, loaded=_has_sites)


def _add_sites(
    session: Session, rng: random.Random, known: set[str], end: datetime, hours: int
) -> None:
    """The portals, in the state the simulator serves them, with a week of hourly checks."""
    sites = []
    for code, name, agency in SITES:
        site = CySite(
            code=code,
            name=name,
            url=demo_url(code),
            agency_code=agency if agency in known else None,
        )
        session.add(site)
        sites.append(site)
    session.flush()
    for site in sites:
        state = {DOWN: "down", SLOW: "slow", DEFACED: "defaced"}.get(site.code, "up")
        site.state = state
        site.http_status = None if state == "down" else 200
        site.response_ms = (
            None
            if state == "down"
            else round(rng.uniform(180, 900) * (5 if state == "slow" else 1))
        )
        expiring = site.code == EXPIRING
        site.cert_not_after = end + timedelta(days=9 if expiring else rng.randint(40, 300))
        site.last_probe_at = end - timedelta(minutes=3)
        site.down_since = end - timedelta(minutes=47) if state == "down" else None
        site.baseline_at = end - timedelta(days=20)
        site.similarity = None if state == "down" else round(rng.uniform(0.86, 0.99), 3)
        if state == "defaced":
            site.similarity = 0.08
            site.keywords_found = ["hacked by"]
        if state == "down":
            site.error = "timeout: timed out"
        for h in range(0, min(hours, 24 * 7), 1):
            at = end - timedelta(hours=h)
            session.add(CySiteCheck(site_id=site.id, at=at, state="up", http_status=200,
                                    response_ms=round(rng.uniform(150, 1200))))  # fmt: skip


def _add_hosts(session: Session, known: set[str]) -> list[tuple[str, str]]:
    """A firewall, a web and a mail server per agency of the portals: (host, agency)."""
    agencies = [a for a in {s[2] for s in SITES} if a in known]
    hosts: list[tuple[str, str]] = []
    for agency in agencies:
        for kind in ("fw", "web", "mail"):
            host = f"{kind}-{agency}.daklak.local"
            session.add(CyHost(host=host, agency_code=agency, description=kind))
            hosts.append((host, agency))
    return hosts


def _event_rows(
    rng: random.Random, hosts: list[tuple[str, str]], end: datetime, hours: int, offset: int
) -> list[dict[str, Any]]:
    """``cy_events`` rows over the ``hours`` before ``end``: more by day than by night."""
    rows: list[dict[str, Any]] = []
    weights = [p[1] for p in PATTERNS]
    for h in range(hours):
        at_hour = end - timedelta(hours=h + 1)
        local_hour = (at_hour + timedelta(seconds=offset)).hour
        n = int(rng.gauss(14 if 8 <= local_hour <= 18 else 7, 3))
        for _ in range(max(0, n)):
            cat, _, sevs, templates = rng.choices(PATTERNS, weights)[0]
            severity = rng.choices(list(sevs), list(sevs.values()))[0]
            host, agency = rng.choice(hosts)
            ip = rng.choice(ATTACKERS)
            dst = f"10.66.{rng.randint(1, 40)}.{rng.randint(2, 250)}"
            message = rng.choice(templates).format(
                ip=ip, dst=dst, host=host, hash=f"{rng.getrandbits(256):064x}"
            )
            rows.append(
                {
                    "ts": at_hour + timedelta(seconds=rng.randint(0, 3599)),
                    "received_at": at_hour + timedelta(seconds=3599),
                    "transport": "demo",
                    "format": "rfc5424",
                    "host": host,
                    "app": "firewall",
                    "agency_code": agency,
                    "category": cat,
                    "severity": severity,
                    "severity_rank": SEVERITY_RANK[severity],
                    "src_ip": ip,
                    "dst_ip": dst,
                    "message": message,
                    "indicators": [{"type": "ip", "value": ip}],
                    "extra": {},
                }
            )
    return rows


def _add_incidents(session: Session, rng: random.Random) -> None:
    """Incidents opened from the first critical events; two in three investigated and closed."""
    actor = Actor.system("demo")
    serious = list(
        session.execute(
            select(CyEvent).where(CyEvent.severity_rank == 0).order_by(CyEvent.ts).limit(24)
        ).scalars()
    )
    for i, event in enumerate(serious):
        incident = incidents.open_from_event(session, actor, event)
        incident.opened_at = event.ts + timedelta(minutes=10)
        if i % 3 != 0:
            incidents.change_status(session, actor, incident, "investigating", "Đang xác minh")
            incidents.close_incident(session, actor, incident, rng.choice(CLOSING_NOTES))
            incident.closed_at = incident.opened_at + timedelta(hours=rng.uniform(2, 72))
