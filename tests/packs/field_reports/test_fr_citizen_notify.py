"""The citizen hears of progress: every public status change of their report reaches them by
e-mail through the notification outbox (retried like any notification), only when they gave
an e-mail, in the language they wrote in, with the tracking link and nothing internal. SMS and
Zalo OA senders plug into one small interface. The tracking secret is short and cannot be
misread, and photos chosen before a form error are kept for the next try."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fr_helpers import BMT, BMT_POINT, REPORTER, Submit, png_bytes
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf
from ioc.core import clock
from ioc.engines.alerting import notify
from ioc.engines.alerting.notify.delivery import deliver_due
from ioc.engines.alerting.notify.models import Outbox
from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import Photo, Report
from ioc.settings import Settings

UNAMBIGUOUS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SECRET_RE = re.compile(rf"^[{UNAMBIGUOUS}]{{4}}-[{UNAMBIGUOUS}]{{4}}$")
INTERNAL = "Ghi chú nội bộ: gọi anh Tâm phòng kỹ thuật 0912000111"


def outbox(db: Session, kind: str | None = None) -> list[Outbox]:
    db.expire_all()
    stmt = select(Outbox).order_by(Outbox.id)
    if kind:
        stmt = stmt.where(Outbox.kind == kind)
    return list(db.execute(stmt).scalars())


def body(row: Outbox) -> str:
    return f"{row.payload.get('subject', '')}\n{row.payload.get('text', '')}\n{row.payload.get('html', '')}"


# --- the tracking secret ---------------------------------------------------------------------


def test_the_secret_is_eight_unambiguous_characters_in_two_groups(db: Session, fr: Submit) -> None:
    secrets = {fr().secret for _ in range(5)}
    assert len(secrets) == 5
    for secret in secrets:
        assert SECRET_RE.match(secret), secret
        assert not set(secret) & set("O0lI1")
    sub = fr()
    compact = sub.secret.replace("-", "")
    for typed in (
        sub.secret,
        compact.lower(),
        f" {compact[:4]} {compact[4:]} ",
        sub.secret.lower(),
    ):
        assert service.verify_secret(sub.report, typed), typed
    assert not service.verify_secret(sub.report, compact[::-1])
    assert not service.verify_secret(sub.report, "")


# --- e-mail on every public status change -----------------------------------------------------


def test_each_public_status_change_is_e_mailed_to_the_reporter(
    db: Session, fr: Submit, staff_actor: Any
) -> None:
    sub = fr()
    report = sub.report
    received = outbox(db, "email")
    assert len(received) == 1  # "we have your report"
    first = received[0]
    assert first.payload["to"] == [REPORTER["reporter_email"]]
    assert first.contact_point.startswith("@")  # a direct message, not an alert contact point
    assert report.code in first.payload["subject"]
    service.assign(db, staff_actor, report, "ubnd-24133", note=INTERNAL)
    service.start_progress(db, staff_actor, report, note=INTERNAL)
    service.answer(db, staff_actor, report, "Đã vá ổ gà ngày 12/3.", note=INTERNAL)
    answered = outbox(db, "email")
    assert len(answered) == 3  # submitted, assigned, in progress — the answer is not public yet
    service.publish(db, staff_actor, report)
    rows = outbox(db, "email")
    assert len(rows) == 4
    texts = [body(r) for r in rows]
    assert "Đã chuyển đơn vị xử lý" in texts[1] and "phường Buôn Ma Thuột" in texts[1]
    assert "Đang xử lý" in texts[2]
    assert "Đã vá ổ gà ngày 12/3." in texts[3]  # the published answer
    for text in texts:
        assert f"/phan-anh/tra-cuu?ma={report.code}" in text
        assert "Phản ánh" in text or "phản ánh" in text  # Vietnamese
        # Nothing internal and nothing secret.
        assert INTERNAL not in text and "0912000111" not in text
        assert sub.secret not in text and sub.secret.replace("-", "") not in text
        assert "ioc-op" not in text and REPORTER["reporter_phone"] not in text
    for row in rows:
        assert REPORTER["reporter_email"] not in row.summary  # the outbox page shows no address


def test_a_question_to_the_reporter_says_what_is_asked(
    db: Session, fr: Submit, staff_actor: Any
) -> None:
    report = fr().report
    service.request_info(db, staff_actor, report, "Xin cho biết số nhà gần nhất?")
    last = outbox(db, "email")[-1]
    assert "Xin cho biết số nhà gần nhất?" in body(last)
    assert "bổ sung" in body(last)


def test_no_e_mail_given_no_e_mail_sent(db: Session, fr: Submit, staff_actor: Any) -> None:
    report = fr(reporter_email="").report
    service.assign(db, staff_actor, report, "ubnd-24133")
    assert outbox(db) == []  # and no SMS either: no SMS sender is installed


def test_a_report_sent_in_english_is_answered_in_english(
    db: Session, fr: Submit, staff_actor: Any
) -> None:
    report = fr(lang="en").report
    service.reject(db, staff_actor, report, "Not a street problem")
    rows = outbox(db, "email")
    assert len(rows) == 2
    assert "Your report" in body(rows[0]) and "Rejected" in body(rows[1])
    assert "Not a street problem" in body(rows[1])
    assert "Phản ánh của bạn" not in body(rows[1])


def test_back_dated_changes_are_not_news(db: Session, fr: Submit, staff_actor: Any) -> None:
    """The demo and imports record history after the fact: no mail about last month."""
    old = clock.now() - timedelta(days=30)
    report = fr(at=old).report
    service.assign(db, staff_actor, report, "ubnd-24133", at=old + timedelta(hours=2))
    assert outbox(db) == []


def test_the_message_is_delivered_through_the_outbox(
    db: Session, fr: Submit, factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    from ioc.engines.alerting.notify.demo_sink import MailSink

    fr()
    db.commit()
    sink = MailSink(tmp_path / "mail")
    port = sink.start()
    try:
        served = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        assert deliver_due(factory, clock.now(), served).sent == 1
    finally:
        sink.stop()
    (kept,) = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(kept.read_bytes())
    assert message["To"] == REPORTER["reporter_email"]
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject.startswith("Phản ánh PA-")
    assert outbox(db)[0].status == "sent"


# --- SMS / Zalo OA: one interface --------------------------------------------------------------


class FakeSms:
    """A text sender as a telecom gateway's adapter would be."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[str], str, str]] = []

    def send(self, recipients: Sequence[str], text: str, *, reference: str) -> None:
        self.sent.append((list(recipients), text, reference))


@pytest.fixture
def sms() -> Iterator[FakeSms]:
    sender = FakeSms()
    notify.register_text_sender("sms", sender)
    yield sender
    notify.unregister_text_sender("sms")


def test_an_sms_sender_plugs_in(
    db: Session,
    fr: Submit,
    staff_actor: Any,
    sms: FakeSms,
    factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    report = fr(reporter_email="").report
    service.assign(db, staff_actor, report, "ubnd-24133")
    db.commit()
    rows = outbox(db, "sms")
    assert len(rows) == 2 and rows[0].payload["to"] == ["0905123456"]
    assert deliver_due(factory, clock.now(), settings).sent == 2
    recipients, text, reference = sms.sent[-1]
    assert recipients == ["0905123456"] and reference == report.code
    assert report.code in text and "/phan-anh/tra-cuu?ma=" in text and len(text) <= 320


def test_the_logging_sender_sends_nothing_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    sender = notify.LoggingTextSender("sms")
    with caplog.at_level("INFO"):
        sender.send(
            ["0905123456"], "Phản ánh PA-2026-000001: Đang xử lý", reference="PA-2026-000001"
        )
    assert "PA-2026-000001" in caplog.text and "0905123456" not in caplog.text  # masked


# --- photos survive a form error ----------------------------------------------------------------


def _form(token: str, **overrides: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "category": "duong-hu-hong",
        "description": "Ổ gà sâu giữa đường Lê Duẩn",
        "lat": str(BMT_POINT[0]),
        "lon": str(BMT_POINT[1]),
        "area": BMT,
        **REPORTER,
        **overrides,
    }


def test_photos_chosen_before_a_form_error_are_kept(
    client: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    token = csrf(client, "/phan-anh/gui")
    files = [
        ("photos", ("o-ga-1.png", png_bytes(), "image/png")),
        ("photos", ("o-ga-2.png", png_bytes(color=(200, 30, 30)), "image/png")),
    ]
    first = client.post("/phan-anh/gui", data=_form(token, reporter_name=""), files=files)
    assert first.status_code == 422
    slot = re.search(r'name="photo_slot" value="([\w-]+)"', first.text)
    assert slot, "the re-rendered form keeps the photos"
    assert "o-ga-1.png" in first.text and "o-ga-2.png" in first.text
    kept = re.findall(r'name="keep_photo" value="(\d+)"', first.text)
    assert len(kept) == 2
    # The phone's file picker forgets; the form still counts the photos it holds.
    assert re.search(r'data-max-count="3"', first.text)
    second = client.post(
        "/phan-anh/gui",
        data={**_form(token), "photo_slot": slot.group(1), "keep_photo": kept},
    )
    assert second.status_code == 200, second.text
    code = re.search(r'id="fr-code">(PA-2026-\d{6})<', second.text)
    assert code
    db.expire_all()
    report = service.get_report(db, code.group(1))
    assert (
        db.execute(select(func.count(Photo.id)).where(Photo.report_id == report.id)).scalar_one()
        == 2
    )


def test_a_kept_photo_can_be_dropped_and_a_forged_slot_is_ignored(
    client: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    token = csrf(client, "/phan-anh/gui")
    files = [
        ("photos", ("a.png", png_bytes(), "image/png")),
        ("photos", ("b.png", png_bytes(), "image/png")),
    ]
    first = client.post("/phan-anh/gui", data=_form(token, description=""), files=files)
    slot = re.search(r'name="photo_slot" value="([\w-]+)"', first.text)
    assert slot
    kept = re.findall(r'name="keep_photo" value="(\d+)"', first.text)
    done = client.post(
        "/phan-anh/gui", data={**_form(token), "photo_slot": slot.group(1), "keep_photo": kept[:1]}
    )
    code = re.search(r'id="fr-code">(PA-2026-\d{6})<', done.text)
    assert code
    db.expire_all()
    report = service.get_report(db, code.group(1))
    assert (
        db.execute(select(func.count(Photo.id)).where(Photo.report_id == report.id)).scalar_one()
        == 1
    )
    # A slot is used once; a made-up or reused one is ignored, never an error page.
    for bogus in (slot.group(1), "../../etc/passwd", "x" * 40):
        r = client.post(
            "/phan-anh/gui", data={**_form(token), "photo_slot": bogus, "keep_photo": "0"}
        )
        assert r.status_code == 200, bogus
    assert db.execute(select(func.count(Report.id))).scalar_one() == 4
    assert db.execute(select(func.count(Photo.id))).scalar_one() == 1


def test_the_server_still_checks_kept_photos(client: TestClient, db: Session, fr: Submit) -> None:
    """A slot holds what was uploaded; it passes the same checks at the final submit."""
    db.commit()
    token = csrf(client, "/phan-anh/gui")
    files = [("photos", ("khong-phai-anh.png", b"this is not an image", "image/png"))]
    r = client.post("/phan-anh/gui", data=_form(token, reporter_name=""), files=files)
    assert r.status_code == 422
    assert 'name="keep_photo"' not in r.text  # a file that is not a photo is not kept
    assert "khong-phai-anh.png" in r.text  # and the citizen is told why
    assert db.execute(select(func.count(Report.id))).scalar_one() == 0
