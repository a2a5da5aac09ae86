"""Demo data: a year of incoming/outgoing documents for the departments and the commune
People's Committees of Đắk Lắk, and the province's smart-city directive with its tasks.

Documents follow each agency's own profile (volume, on-time share, signature and axis rates),
so the ranking and charts differ from one agency to the next. The directive is the provincial
People's Committee's letter implementing the Ministry of Construction's Công văn 3909/BXD-PTĐT
(05/9/2022) on the Sở Xây dựng's proposal 3137/SXD-PTĐT (11/11/2022), signed by Vice-Chairman
Võ Văn Cảnh (text in ``/work/shared/seeds``). The source text carries neither its own number
nor its date: the demo shows the number as ``…/UBND-CN`` (its filing mark ``CN(V-3)``) and
the date as the end of November 2022 — both placeholders, not facts. Tasks given to the then
Sở Thông tin và Truyền thông go to Sở Khoa học và Công nghệ, which took over digital
transformation in 2025; those of the former Buôn Ma Thuột, Buôn Hồ and Ea Kar go to today's
phường/xã People's Committees. Deadlines are set around the demo's end so the board shows
realistic progress: some done, some due soon, some overdue.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, clock
from ioc.core.calendar import default_calendar
from ioc.core.models import Agency
from ioc.packs.documents import tasks
from ioc.packs.documents.models import Directive, Document

__all__ = ["load_demo"]

DEPARTMENT_KINDS = ("department", "office", "inspectorate")
SENDERS = (
    ("UBND tỉnh Đắk Lắk", "UBND-KT"),
    ("UBND tỉnh Đắk Lắk", "UBND-NC"),
    ("UBND tỉnh Đắk Lắk", "UBND-CN"),
    ("Văn phòng UBND tỉnh", "VPUBND-TH"),
    ("Bộ Xây dựng", "BXD-PTĐT"),
    ("Bộ Khoa học và Công nghệ", "BKHCN-CĐSQG"),
    ("Sở Tài chính", "STC-NS"),
    ("Sở Nội vụ", "SNV-CCVC"),
    ("Sở Xây dựng", "SXD-QLXD"),
    ("Sở Khoa học và Công nghệ", "SKHCN-CĐS"),
)
SUBJECTS_IN = (
    "V/v báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội tháng {m}",
    "V/v góp ý dự thảo Quyết định ban hành quy chế phối hợp",
    "V/v triển khai thực hiện Nghị định 269/2025/NĐ-CP về phát triển đô thị thông minh",
    "V/v rà soát, cập nhật dữ liệu phục vụ Trung tâm giám sát, điều hành đô thị thông minh",
    "V/v đôn đốc giải quyết hồ sơ thủ tục hành chính quá hạn",
    "V/v tăng cường bảo đảm an toàn thông tin mạng",
    "V/v chuẩn bị nội dung phiên họp thường kỳ UBND tỉnh tháng {m}",
    "V/v báo cáo kết quả cải cách hành chính quý",
    "V/v đề nghị cung cấp thông tin, số liệu thống kê",
    "V/v phòng, chống thiên tai, tìm kiếm cứu nạn mùa mưa bão",
    "V/v kiểm tra công tác quản lý trật tự xây dựng",
    "V/v thực hiện chuyển đổi số trong hoạt động của cơ quan nhà nước",
)
SUBJECTS_OUT = (
    "Báo cáo kết quả thực hiện nhiệm vụ tháng {m}",
    "V/v trả lời kiến nghị của cử tri",
    "V/v đề nghị phối hợp kiểm tra hiện trường",
    "Kế hoạch triển khai nhiệm vụ chuyển đổi số năm",
    "V/v cử cán bộ tham dự hội nghị tập huấn",
    "Báo cáo tình hình giải quyết thủ tục hành chính",
    "V/v góp ý dự thảo văn bản quy phạm pháp luật",
    "Thông báo kết luận cuộc họp giao ban",
)
TYPES_IN = ("Công văn", "Công văn", "Công văn", "Quyết định", "Kế hoạch", "Thông báo")
TYPES_OUT = ("Công văn", "Công văn", "Báo cáo", "Tờ trình", "Kế hoạch", "Thông báo")
DEADLINES = (
    "3 ngày làm việc",
    "5 ngày làm việc",
    "7 ngày làm việc",
    "10 ngày làm việc",
    "15 ngày làm việc",
)


def _abbrev(agency: Agency) -> str:
    if agency.kind == "commune_committee":
        return "UBND"
    words = [w for w in agency.short_name.replace("&", " ").split() if w[:1].isupper()]
    return "".join(w[0] for w in words)[:6].upper() or "CQ"


def _working_days(start: date, end: date) -> list[date]:
    calendar = default_calendar()
    days, day = [], start
    while day <= end:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _documents(
    agency: Agency, rng: random.Random, days: list[date], end: datetime, commune: bool
) -> list[dict[str, Any]]:
    calendar = default_calendar()
    zone = clock.local_zone()
    # The agency's profile: how much it handles and how well.
    rate_in = rng.uniform(0.15, 0.5) if commune else rng.uniform(1.5, 4.0)
    rate_out = rng.uniform(0.1, 0.3) if commune else rng.uniform(0.8, 2.5)
    on_time = rng.uniform(0.72, 0.99)
    signed_p = rng.uniform(0.7, 1.0)
    axis_p = rng.uniform(0.55, 0.99)
    stuck_p = rng.uniform(0.0, 0.03)
    abbrev = _abbrev(agency)
    rows: list[dict[str, Any]] = []
    seq = {"incoming": 0, "outgoing": 0}
    now = clock.now()
    for day in days:
        for direction, rate in (("incoming", rate_in), ("outgoing", rate_out)):
            count = int(rate) + (1 if rng.random() < rate - int(rate) else 0)
            for _ in range(count):
                minute = rng.randint(7 * 60 + 30, 17 * 60)
                at = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
                if at >= end:
                    continue
                seq[direction] += 1
                month = day.month
                if direction == "incoming":
                    sender, sign = rng.choice(SENDERS)
                    number = f"{rng.randint(100, 9999)}/{sign}"
                    summary = rng.choice(SUBJECTS_IN).format(m=month)
                    deadline_text = rng.choice(DEADLINES) if rng.random() < 0.6 else ""
                    deadline = (
                        calendar.add_working_days(at, int(deadline_text.split()[0]))
                        if deadline_text
                        else None
                    )
                    if deadline is None:
                        processed: datetime | None = at + timedelta(hours=rng.uniform(2, 96))
                    elif rng.random() < stuck_p:
                        processed = None
                    elif rng.random() < on_time:
                        processed = at + (deadline - at) * rng.uniform(0.1, 0.98)
                    else:
                        processed = deadline + timedelta(days=rng.uniform(0.5, 12))
                    if processed is not None and processed > end:
                        processed = None
                    signed = rng.random() < 0.9
                    axis = rng.random() < axis_p
                    counterpart = sender
                else:
                    number = f"{seq['outgoing']}/{abbrev}-VP"
                    summary = rng.choice(SUBJECTS_OUT).format(m=month)
                    deadline_text, deadline = "", None
                    processed = at
                    signed = rng.random() < signed_p
                    axis = signed and rng.random() < axis_p
                    counterpart = "UBND tỉnh; các sở, ngành liên quan"
                rows.append(
                    {
                        "external_id": f"DEMO-{agency.code}-{direction[:2]}-{seq[direction]}",
                        "source": "QLVB (demo)",
                        "direction": direction,
                        "agency_id": agency.id,
                        "number": number,
                        "doc_type": rng.choice(TYPES_IN if direction == "incoming" else TYPES_OUT),
                        "summary": summary,
                        "counterpart": counterpart,
                        "issued_on": day if direction == "outgoing" else day - timedelta(days=1),
                        "registered_at": at,
                        "deadline_at": deadline,
                        "deadline_text": deadline_text,
                        "processed_at": processed,
                        "digitally_signed": signed,
                        "via_axis": axis,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    return rows


def _agencies(session: Session) -> tuple[list[Agency], list[Agency]]:
    rows = list(
        session.execute(
            select(Agency).where(Agency.valid_to.is_(None)).order_by(Agency.code)
        ).scalars()
    )
    return (
        [a for a in rows if a.kind in DEPARTMENT_KINDS],
        [a for a in rows if a.kind == "commune_committee"],
    )


def _office_time(end: datetime, days_before: int) -> datetime:
    """09:30 local, ``days_before`` days before ``end`` (never after ``end``)."""
    day = (end - timedelta(days=days_before)).astimezone(clock.local_zone()).date()
    return min(end, datetime.combine(day, time(9, 30), tzinfo=clock.local_zone()))


def _doer(session: Session, code: str) -> tasks.Doer:
    name = session.execute(select(Agency.short_name).where(Agency.code == code)).scalar_one()
    return tasks.Doer(audit.Actor(None, f"{name} (demo)"), "admin")


def _directive(session: Session, end: datetime) -> int:
    """The smart-city directive and its tasks at realistic progress around ``end``."""
    local_end = end.astimezone(clock.local_zone())
    today = local_end.date()
    ioc = tasks.Doer(audit.Actor(None, "Trung tâm IOC (demo)"), "admin")
    directive = tasks.create_directive(
        session,
        ioc,
        number="…/UBND-CN",
        issued_on=date(2022, 11, 25),
        issuer="UBND tỉnh Đắk Lắk",
        signer="KT. Chủ tịch, Phó Chủ tịch Võ Văn Cảnh",
        summary=(
            "Triển khai các nhiệm vụ trọng tâm về phát triển đô thị thông minh trên địa bàn "
            "tỉnh (thực hiện Công văn 3909/BXD-PTĐT ngày 05/9/2022 của Bộ Xây dựng, theo đề "
            "xuất của Sở Xây dựng tại Công văn 3137/SXD-PTĐT ngày 11/11/2022). Số và ngày văn "
            "bản trong dữ liệu mẫu là giá trị giữ chỗ."
        ),
        at=_office_time(end, 240),
    )
    assigned = _office_time(end, 200)
    report_due = date(today.year, 10, 31)
    if report_due < today - timedelta(days=45):
        report_due = date(today.year + 1, 10, 31)
    skhcn, sxd = "so-khoa-hoc-cong-nghe", "so-xay-dung"
    bmt, buon_ho, ea_kar = "ubnd-24133", "ubnd-24305", "ubnd-24373"

    def rel(days: int) -> date:
        return today + timedelta(days=days)

    # (ref, agency, title, coordinating, due, plan) — plan: list of steps
    # ("p", days_before_end, percent, note) progress, ("x", days_before_end, new_due, reason)
    # extension, ("d", days_before_end, note, link) done.
    Plan = list[tuple[Any, ...]]
    items: list[tuple[str, str, str, str, date, Plan]] = [
        (
            "1.a",
            skhcn,
            "Tuyên truyền, phổ biến nâng cao nhận thức về phát triển đô thị thông minh bền vững "
            "theo Kế hoạch 12665/KH-UBND; đề nghị cơ quan báo chí lồng ghép nội dung tuyên "
            "truyền về hoạt động của Đề án",
            "UBND phường Buôn Ma Thuột; Báo và Phát thanh, Truyền hình Đắk Lắk",
            rel(-18),
            [
                ("p", 150, 30, "Đã đăng 12 tin, bài trên Cổng thông tin điện tử tỉnh."),
                (
                    "p",
                    60,
                    70,
                    "Phối hợp Đài PT-TH phát sóng 2 phóng sự chuyên đề; đang biên tập "
                    "tài liệu hỏi – đáp.",
                ),
            ],
        ),
        (
            "1.b",
            skhcn,
            "Hướng dẫn, tập huấn cán bộ, công chức, viên chức, người dân, doanh nghiệp sử dụng "
            "các tiện ích và dịch vụ đô thị thông minh theo nội dung Đề án",
            "UBND phường Buôn Ma Thuột",
            rel(45),
            [
                ("p", 120, 20, "Đã xây dựng chương trình, tài liệu tập huấn."),
                ("p", 25, 45, "Tổ chức 3/7 lớp tập huấn cho cán bộ cấp xã (186 học viên)."),
            ],
        ),
        (
            "2.1",
            skhcn,
            "Mở rộng, triển khai thí điểm dịch vụ Giám sát hệ thống quản lý văn bản và điều hành "
            "tại Trung tâm IOC",
            "Văn phòng UBND tỉnh",
            rel(-20),
            [
                ("p", 140, 40, "Đã kết nối dữ liệu văn bản đến, đi của 17 sở, ngành."),
                ("p", 80, 85, "Kết nối UBND các xã, phường; hoàn thiện bộ chỉ số đúng hạn, ký số."),
                (
                    "d",
                    32,
                    "Dịch vụ vận hành chính thức trên hệ thống IOC.",
                    "https://vanban.example.vn/bao-cao/2-1-ket-qua-van-ban-dieu-hanh.pdf",
                ),
            ],
        ),
        (
            "2.2",
            skhcn,
            "Mở rộng, triển khai thí điểm dịch vụ Giám sát hoạt động Y tế",
            "Sở Y tế",
            rel(6),
            [
                ("p", 100, 50, "Đã thống nhất danh mục chỉ tiêu với Sở Y tế."),
                ("p", 10, 80, "Đang kiểm thử kết nối dữ liệu khám chữa bệnh của 5 bệnh viện."),
            ],
        ),
        (
            "2.3",
            skhcn,
            "Mở rộng, triển khai thí điểm dịch vụ Giám sát hoạt động Giáo dục",
            "Sở Giáo dục và Đào tạo",
            rel(75),
            [("p", 40, 35, "Khảo sát hiện trạng cơ sở dữ liệu ngành giáo dục.")],
        ),
        (
            "2.4",
            skhcn,
            "Mở rộng, triển khai thí điểm dịch vụ Giám sát hoạt động Du lịch",
            "Sở Văn hóa, Thể thao và Du lịch",
            rel(-70),
            [
                ("p", 110, 20, "Đã làm việc với Sở VHTT&DL về nguồn dữ liệu lưu trú."),
                ("x", 75, rel(-8), "Chờ hệ thống quản lý lưu trú của ngành du lịch nâng cấp API."),
                ("p", 20, 30, "Hệ thống lưu trú chưa hoàn thành nâng cấp, chưa có dữ liệu thử."),
            ],
        ),
        (
            "2.5",
            skhcn,
            "Mở rộng, triển khai thí điểm dịch vụ Giám sát Môi trường",
            "Sở Nông nghiệp và Môi trường",
            rel(-40),
            [
                ("p", 150, 60, "Đã kết nối 10 trạm quan trắc không khí tự động."),
                (
                    "d",
                    55,
                    "Dịch vụ giám sát chất lượng không khí, nước vận hành trên IOC.",
                    "https://vanban.example.vn/bao-cao/2-5-giam-sat-moi-truong.pdf",
                ),
            ],
        ),
        (
            "2.6",
            sxd,
            "Lồng ghép nhiệm vụ Đề án phát triển đô thị thông minh bền vững Việt Nam vào các "
            "Chương trình phát triển đô thị (Buôn Ma Thuột, Buôn Hồ, Ea Kar …)",
            "UBND các phường, xã liên quan",
            rel(30),
            [
                ("p", 130, 25, "Rà soát Chương trình phát triển đô thị Buôn Ma Thuột."),
                ("x", 90, rel(95), "Chờ điều chỉnh quy hoạch chung sau sắp xếp đơn vị hành chính."),
                ("p", 15, 50, "Đã lồng ghép vào Chương trình phát triển đô thị Buôn Hồ."),
            ],
        ),
        (
            "2.7",
            bmt,
            "Khuyến khích nghiên cứu, phát triển ứng dụng, giải pháp quy hoạch đô thị thông minh; "
            "quản lý, đầu tư công trình hạ tầng kỹ thuật đô thị thông minh",
            "Sở Xây dựng",
            rel(120),
            [
                ("p", 90, 15, "Đã đăng ký 2 đề tài ứng dụng GIS trong quản lý quy hoạch."),
                ("p", 12, 35, "Thí điểm bản đồ số hạ tầng kỹ thuật tại 3 tổ dân phố."),
            ],
        ),
    ]
    for n, code in enumerate((skhcn, bmt, buon_ho, ea_kar), start=1):
        items.append(
            (
                f"3.{n}",
                code,
                f"Báo cáo tình hình, kết quả thực hiện các nhiệm vụ của Đề án 950 năm "
                f"{report_due.year} gửi Sở Xây dựng",
                "",
                report_due,
                [("p", 20, 40, "Đang tổng hợp số liệu từ các phòng chuyên môn.")]
                if code in (bmt, skhcn)
                else [],
            ),
        )
    items.append(
        (
            "3.5",
            sxd,
            "Tổng hợp báo cáo của các sở, ngành, địa phương về Đề án 950, tham mưu UBND tỉnh báo "
            "cáo Bộ Xây dựng",
            "",
            report_due + timedelta(days=30),
            [],
        ),
    )
    count = 0
    for ref, code, title, coordinating, due, plan in items:
        task = tasks.assign_task(
            session,
            ioc,
            directive,
            agency_code=code,
            title=title,
            due_on=due,
            ref=ref,
            coordinating=coordinating,
            at=assigned,
        )
        agency = _doer(session, code)
        for step in plan:
            at = _office_time(end, step[1])
            if step[0] == "p":
                tasks.post_progress(session, agency, task, percent=step[2], note=step[3], at=at)
            elif step[0] == "x":
                tasks.extend_deadline(session, ioc, task, new_due_on=step[2], reason=step[3], at=at)
            else:
                tasks.mark_done(
                    session,
                    agency,
                    task,
                    note=step[2],
                    evidence=tasks.Evidence(link=step[3]),
                    at=at,
                )
        count += 1
    return count


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 0,
    offset: int = 0,
    progress: Callable[[int], Any] | None = None,
    days: int = 365,
    documents: bool = True,
    **_: Any,
) -> int:
    """Create the demo (idempotent: nothing happens when documents or directives exist);
    returns the number of documents and tasks created. ``documents=False`` makes only the
    directive (fast, for browser tests)."""
    with factory() as session, session.begin():
        if session.execute(select(func.count()).select_from(Directive)).scalar_one():
            return 0
        if session.execute(select(func.count()).select_from(Document)).scalar_one():
            return 0
        created = _directive(session, end)
        if not documents:
            return created
        departments, communes = _agencies(session)
        local_end = end.astimezone(clock.local_zone()).date()
        work_days = _working_days(local_end - timedelta(days=days), local_end)
        rng = random.Random(20221125)  # noqa: S311 - demo data, not secrets
        for agency in departments + communes:
            rows = _documents(agency, rng, work_days, end, agency.kind == "commune_committee")
            for start in range(0, len(rows), 2000):
                session.execute(insert(Document), rows[start : start + 2000])
            created += len(rows)
            if progress is not None:
                progress(len(rows))
        audit.record(
            session, audit.Actor.system("demo"), "doc.demo", "doc_documents", None, created=created
        )
        return created
