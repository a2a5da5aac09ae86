"""Realistic demo field reports for Đắk Lắk communes over the past months.

Potholes, flooding, rubbish, street lights, noise, trees, encroachment, pollution and traffic
signs in Buôn Ma Thuột, Buôn Hồ, Tuy Hòa and nearby communes, taken through the real workflow
actions (with past times), so timelines, deadlines, ratings and overdue reports look as they
would in production. Reporters are fictitious.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.audit import Actor
from ioc.engines.geo import current_locator
from ioc.packs.field_reports import routing, service
from ioc.packs.field_reports.models import Report

__all__ = ["DEMO_COMMUNES", "load_demo"]


@dataclass(frozen=True)
class DemoCommune:
    """A commune with an approximate reference point for demo reports."""

    code: str
    name: str
    lat: float
    lon: float
    streets: tuple[str, ...]
    weight: int


DEMO_COMMUNES = (
    DemoCommune(
        "24133",
        "Phường Buôn Ma Thuột",
        12.6676,
        108.0379,
        ("Lê Duẩn", "Phan Bội Châu", "Nguyễn Tất Thành", "Lý Thường Kiệt", "Quang Trung"),
        6,
    ),
    DemoCommune(
        "24121", "Phường Tân Lập", 12.6880, 108.0560, ("Hà Huy Tập", "Y Wang", "Mai Hắc Đế"), 3
    ),
    DemoCommune(
        "24154", "Phường Thành Nhất", 12.6960, 108.0200, ("Nguyễn Văn Cừ", "Giải Phóng"), 2
    ),
    DemoCommune(
        "24163", "Phường Tân An", 12.7030, 108.0560, ("Đinh Tiên Hoàng", "Lê Thánh Tông"), 2
    ),
    DemoCommune("24169", "Phường Ea Kao", 12.6320, 108.0700, ("Y Nuê", "Trần Quý Cáp"), 1),
    DemoCommune("24305", "Phường Buôn Hồ", 12.9170, 108.2700, ("Hùng Vương", "Trần Hưng Đạo"), 2),
    DemoCommune("24490", "Xã Krông Pắc", 12.7000, 108.3200, ("Quốc lộ 26", "Giải Phóng"), 1),
    DemoCommune("22015", "Phường Tuy Hòa", 13.0880, 109.3000, ("Trần Hưng Đạo", "Độc Lập"), 3),
)

TEXTS: dict[str, tuple[str, ...]] = {
    "duong-hu-hong": (
        "Ổ gà lớn giữa đường {street}, trời mưa đọng nước, xe máy dễ té ngã",
        "Mặt đường {street} bị sụt lún sau đợt mưa, đề nghị kiểm tra và sửa chữa",
        "Nắp hố ga trên đường {street} bị vỡ, rất nguy hiểm cho người đi đường",
    ),
    "ngap-ung": (
        "Đường {street} ngập sâu khoảng 40 cm sau cơn mưa, xe chết máy hàng loạt",
        "Cống thoát nước đường {street} bị tắc, nước tràn vào nhà dân",
    ),
    "rac-thai": (
        "Rác thải tồn đọng nhiều ngày ở góc đường {street}, bốc mùi hôi thối",
        "Có người đổ trộm xà bần, phế thải xây dựng trên vỉa hè đường {street}",
    ),
    "chieu-sang": (
        "Cả đoạn đèn đường {street} không sáng từ tuần trước, buổi tối rất tối",
        "Đèn đường {street} sáng cả ban ngày, lãng phí điện",
    ),
    "tieng-on": (
        "Quán karaoke trên đường {street} hát to đến sau 23 giờ hằng đêm",
        "Công trình xây dựng trên đường {street} thi công ồn ào lúc nửa đêm",
    ),
    "cay-xanh": (
        "Cây xanh trên đường {street} có cành khô lớn sắp gãy, nguy hiểm",
        "Cây đổ chắn một nửa lòng đường {street} sau cơn giông",
    ),
    "trat-tu-do-thi": (
        "Hàng quán lấn chiếm hết vỉa hè đường {street}, người đi bộ phải xuống lòng đường",
        "Dựng mái che, bảng quảng cáo trái phép trên vỉa hè đường {street}",
    ),
    "o-nhiem": (
        "Cơ sở sản xuất gần đường {street} xả khói đen và mùi khét vào buổi tối",
        "Nước thải màu đen chảy ra mương gần đường {street}, bốc mùi",
    ),
    "bien-bao-giao-thong": (
        "Đèn tín hiệu giao thông tại ngã tư {street} bị hỏng, chỉ nháy vàng",
        "Biển báo hạn chế tốc độ trên đường {street} bị gãy đổ",
    ),
}
CATEGORY_WEIGHTS = {
    "duong-hu-hong": 8,
    "ngap-ung": 3,
    "rac-thai": 7,
    "chieu-sang": 5,
    "tieng-on": 4,
    "cay-xanh": 3,
    "trat-tu-do-thi": 4,
    "o-nhiem": 2,
    "bien-bao-giao-thong": 2,
}
ANSWERS = {
    "fixed": "{agency} đã kiểm tra hiện trường và khắc phục xong ngày {day}. "
    "Cảm ơn người dân đã phản ánh.",
    "scheduled": "{agency} đã kiểm tra; việc khắc phục đã đưa vào kế hoạch sửa chữa quý tới.",
    "explained": "{agency} đã kiểm tra, trường hợp phản ánh không vi phạm quy định; "
    "đã hướng dẫn các bên liên quan.",
}
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "H'", "Y")
GIVEN = ("Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thị Hạnh", "Đức Long", "Thanh Mai")


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _agency_name(session: Session, report: Report) -> str:
    from ioc.core.models import Agency

    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    return agency.short_name if agency else "Đơn vị xử lý"


def _one(
    session: Session, rng: random.Random, actor: Actor, received: datetime, end: datetime
) -> Report:
    commune = rng.choices(DEMO_COMMUNES, weights=[c.weight for c in DEMO_COMMUNES])[0]
    category = _pick(rng, CATEGORY_WEIGHTS)
    street = rng.choice(commune.streets)
    text = rng.choice(TEXTS[category]).format(street=street)
    # The point stays inside the demo commune, whatever boundaries are loaded.
    lat, lon = current_locator(session).point_in(
        commune.code,
        commune.lat + rng.uniform(-0.008, 0.008),
        commune.lon + rng.uniform(-0.008, 0.008),
    )
    submission = service.submit_report(
        session,
        service.citizen_actor(),
        category_code=category,
        description=text,
        lat=lat,
        lon=lon,
        area_code=commune.code,
        address=f"Đường {street}, {commune.name}",
        reporter_name=f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}",
        reporter_phone=f"09{rng.randrange(10**7, 10**8)}",
        share_identity_with_agency=rng.random() < 0.3,
        channel=rng.choice(("web", "app", "app", "hotline")),
        at=received,
    )
    report = submission.report

    def step(after: datetime, lo_h: float, hi_h: float) -> datetime | None:
        moment = after + timedelta(hours=rng.uniform(lo_h, hi_h))
        return moment if moment < end else None

    roll = rng.random()
    t = step(received, 1, 20)
    if t is None:
        return report
    if roll < 0.05:
        service.reject(
            session, actor, report, "Nội dung không thuộc phạm vi phản ánh hiện trường", at=t
        )
        return report
    if roll < 0.09:
        service.request_info(
            session, actor, report, "Đề nghị cho biết vị trí cụ thể (số nhà gần nhất)", at=t
        )
        t2 = step(t, 4, 72)
        if t2 is None:
            return report
        service.provide_info(
            session, actor, report, "Gần số nhà 45", secret=submission.secret, at=t2
        )
        t = step(t2, 1, 8)
        if t is None:
            return report
    service.assign(session, actor, report, at=t)
    t = step(t, 4, 60)
    if t is None:
        return report
    service.start_progress(session, actor, report, at=t)
    late = rng.random() < 0.12
    t = step(t, 24 * (15 if late else 1), 24 * (30 if late else 14))
    if t is None:
        return report
    resolution = rng.choices(("fixed", "scheduled", "explained"), weights=(75, 15, 10))[0]
    answer = ANSWERS[resolution].format(
        agency=_agency_name(session, report), day=t.strftime("%d/%m/%Y")
    )
    service.answer(session, actor, report, answer, resolution=resolution, at=t)
    t = step(t, 2, 60)
    if t is None:
        return report
    service.publish(session, actor, report, at=t)
    t = step(t, 12, 24 * 6)
    if t is None or rng.random() < 0.35:
        return report
    really_fixed = resolution == "fixed" and rng.random() < 0.85
    service.rate(
        session,
        service.citizen_actor(),
        report,
        satisfied=really_fixed or rng.random() < 0.3,
        really_fixed=really_fixed,
        secret=submission.secret,
        at=t,
    )
    if not really_fixed and rng.random() < 0.4:
        t2 = step(t, 2, 48)
        if t2 is not None:
            service.reopen(
                session,
                service.citizen_actor(),
                report,
                "Vấn đề vẫn chưa được khắc phục",
                secret=submission.secret,
                at=t2,
            )
    return report


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
        routing.set_rule(
            session,
            actor,
            category_code="bien-bao-giao-thong",
            area_code=None,
            agency_code="so-xay-dung",
        )
        routing.set_rule(
            session, actor, category_code="ngap-ung", area_code="24133", agency_code="so-xay-dung"
        )
        service.save_template(
            session,
            actor,
            code="da-khac-phuc",
            title="Đã khắc phục",
            text="Phản ánh {code} ({category}) tại {address} đã được {agency} khắc phục. "
            "Cảm ơn người dân đã phản ánh.",
            status="answered",
        )
        service.save_template(
            session,
            actor,
            code="tu-choi-pham-vi",
            title="Từ chối: ngoài phạm vi",
            text="Nội dung phản ánh {code} không thuộc phạm vi phản ánh hiện trường; đề nghị "
            "gửi qua Cổng dịch vụ công hoặc đường dây nóng 1022.",
            status="rejected",
        )
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
        # A few duplicates of recent open reports, merged by the IOC.
        open_ones = [
            r
            for r in created
            if r.status in ("received", "assigned", "in_progress")
            and r.received_at < end - timedelta(hours=2)
        ]
        for original in open_ones[:3]:
            dup = service.submit_report(
                session,
                service.citizen_actor(),
                category_code=_category_code(session, original),
                description=original.description + " (phản ánh lại)",
                lat=original.lat + 0.0001,
                lon=original.lon,
                area_code=original.area_code,
                address=original.address,
                reporter_name="Lê Văn Tâm",
                reporter_email="nguoidan@example.vn",
                at=end - timedelta(hours=1),
            ).report
            service.merge_duplicate(session, actor, dup, original, at=end - timedelta(minutes=30))
            created.append(dup)
        return len(created)


def _category_code(session: Session, report: Report) -> str:
    from ioc.packs.field_reports.models import Category

    category = session.get(Category, report.category_id)
    assert category is not None
    return category.code
