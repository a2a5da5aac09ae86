"""Demo data of the cybersecurity pack: the province's portals (Đắk Lắk and the former Phú
Yên), devices of the agencies, security events and incidents over recent weeks.

Figures are invented (a plausible day/night rhythm, scans and brute force dominating, a few
malware and web-attack bursts); the site names are the real portals, their URLs the local
portal simulator of ``demo_portals`` (loopback only, never the real ``*.gov.vn``). Idempotent.
"""

# ruff: noqa: E501 - data tables read best one record per line
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.audit import Actor
from ioc.core.models import Agency
from ioc.packs.cybersecurity import incidents
from ioc.packs.cybersecurity.demo_portals import DEFACED, DOWN, EXPIRING, SLOW, demo_url
from ioc.packs.cybersecurity.models import CyEvent, CyHost, CySite, CySiteCheck
from ioc.packs.cybersecurity.parsers import SEVERITY_RANK
from ioc.packs.cybersecurity.store import insert_rows

# (code, name, agency). The names are the province's real portals, but the demo never probes
# them: every site's URL points at the local portal simulator (``demo_portals``) that
# ``ioc demo`` starts — the demo sends no traffic off the machine.
SITES: tuple[tuple[str, str, str], ...] = (
    ("daklak", "Cổng Thông tin điện tử tỉnh Đắk Lắk", "van-phong-ubnd-tinh"),
    ("dvc", "Cổng Dịch vụ công tỉnh Đắk Lắk", "van-phong-ubnd-tinh"),
    ("phuyen", "Cổng TTĐT tỉnh Phú Yên (trước 01/7/2025)", "van-phong-ubnd-tinh"),
    ("skhcn", "Sở Khoa học và Công nghệ", "so-khoa-hoc-cong-nghe"),
    ("soyte", "Sở Y tế", "so-y-te"),
    ("sgddt", "Sở Giáo dục và Đào tạo", "so-giao-duc-dao-tao"),
    ("sxd", "Sở Xây dựng", "so-xay-dung"),
    ("snnmt", "Sở Nông nghiệp và Môi trường", "so-nong-nghiep-moi-truong"),
    ("stc", "Sở Tài chính", "so-tai-chinh"),
    ("snv", "Sở Nội vụ", "so-noi-vu"),
    ("sct", "Sở Công Thương", "so-cong-thuong"),
    ("svhttdl", "Sở Văn hóa, Thể thao và Du lịch", "so-van-hoa-the-thao-du-lich"),
    ("stp", "Sở Tư pháp", "so-tu-phap"),
    ("bmt", "Phường Buôn Ma Thuột", "van-phong-ubnd-tinh"),
)  # fmt: skip

# (category, share, severities with weights, message templates)
PATTERNS: tuple[tuple[str, float, dict[str, int], tuple[str, ...]], ...] = (
    ("scan", 0.34, {"low": 6, "medium": 3, "info": 2}, ("Port scan detected from {ip}", "Nmap SYN sweep from {ip} to {dst}")),
    ("brute_force", 0.2, {"medium": 5, "high": 2}, ("SSH brute force: 120 failed logins from {ip}", "Too many authentication failures for admin from {ip}")),
    ("auth_failure", 0.16, {"low": 5, "medium": 2}, ("Failed password for invalid user root from {ip} port 52311 ssh2",)),
    ("web_attack", 0.12, {"medium": 3, "high": 3, "critical": 1}, ("SQL injection attempt on /portal/search from {ip}", "XSS payload blocked by WAF from {ip}")),
    ("malware", 0.06, {"high": 3, "critical": 2}, ("Trojan.GenericKD detected on {host}, sha256 {hash}", "Botnet C2 callback to evil-c2.example.net from {dst}")),
    ("dos", 0.04, {"medium": 2, "high": 2, "critical": 1}, ("DDoS: UDP flood 2.1 Gbps towards {dst}",)),
    ("policy_violation", 0.05, {"low": 3, "info": 3}, ("Blocked by policy: torrent traffic from {dst}",)),
    ("phishing", 0.03, {"medium": 2, "high": 1}, ("Phishing mail to can-bo@daklak.gov.vn from {ip}",)),
)  # fmt: skip

ATTACKERS = ("45.134.26.17", "185.220.101.4", "103.97.125.11", "193.32.162.77", "61.177.172.60",
             "222.186.30.112", "14.225.3.9", "118.70.81.202")  # fmt: skip


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 24 * 30,
    offset: int = 7 * 3600,
    progress: Callable[[int], None] | None = None,
    **_options: Any,
) -> int:
    """Create demo sites, hosts, events and incidents over the ``hours`` before ``end``;
    does nothing when sites exist. Returns the number of events stored."""
    rng = random.Random(66)  # noqa: S311 - demo figures, not secrets
    hours = min(hours, 24 * 60)
    actor = Actor.system("demo")
    with factory() as session, session.begin():
        if session.execute(select(func.count()).select_from(CySite)).scalar_one():
            return 0
        known = set(session.execute(select(Agency.code)).scalars())
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
        agencies = [a for a in {s[2] for s in SITES} if a in known]
        hosts: list[tuple[str, str]] = []
        for agency in agencies:
            for kind in ("fw", "web", "mail"):
                host = f"{kind}-{agency}.daklak.local"
                session.add(CyHost(host=host, agency_code=agency, description=kind))
                hosts.append((host, agency))
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
        for start in range(0, len(rows), 5000):
            insert_rows(session, rows[start : start + 5000])
            if progress is not None:
                progress(min(start + 5000, len(rows)))
        session.flush()
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
                incidents.close_incident(
                    session, actor, incident,
                    rng.choice(("Máy trạm nhiễm mã độc qua USB; đã cách ly, quét sạch",
                                "Tài khoản quản trị lộ mật khẩu; đã đổi mật khẩu, bật xác thực 2 lớp",
                                "Lỗ hổng plugin CMS; đã cập nhật bản vá")),
                )  # fmt: skip
                incident.closed_at = incident.opened_at + timedelta(hours=rng.uniform(2, 72))
    return len(rows)
