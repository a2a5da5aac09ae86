"""Documents in: the JSON batch API (idempotent by the document system's id, updates allowed,
errors named by item and field) and the CSV/XLSX import page (all rows or none)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core import clock
from ioc.packs.documents.models import Document

VN = clock.local_zone()


def doc(**over: Any) -> dict[str, Any]:
    base = {
        "id": "QLVB-SXD-2026-0001",
        "direction": "incoming",
        "agency": "so-xay-dung",
        "number": "3909/BXD-PTĐT",
        "type": "Công văn",
        "summary": "V/v triển khai các nhiệm vụ trọng tâm về phát triển đô thị thông minh",
        "counterpart": "Bộ Xây dựng",
        "issued_on": "2026-02-27",
        "received_at": "2026-02-27T09:15:00+07:00",
        "deadline": "5 ngày làm việc",
        "signed": True,
        "via_axis": True,
    }
    base.update(over)
    return base


def post(client: TestClient, token: str, docs: list[Any], **params: str) -> Any:
    return client.post(
        "/api/v1/documents",
        json={"documents": docs},
        params=params,
        headers={"Authorization": f"Bearer {token}"},
    )


def count(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return s.execute(select(func.count()).select_from(Document)).scalar_one()


def test_batch_is_idempotent_and_updates_by_document_id(
    client: TestClient, ingest_token: str, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    r = post(
        client,
        ingest_token,
        [
            doc(),
            doc(
                id="QLVB-SXD-2026-0002",
                direction="đi",
                received_at=None,
                issued_at="2026-03-02 14:00",
            ),
        ],
    )
    assert r.status_code == 200, r.text
    assert r.json() | {"errors": []} == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "errors": [],
    }
    # The same batch again stores nothing new.
    r = post(client, ingest_token, [doc()])
    assert r.json()["unchanged"] == 1 and count(factory) == 2
    # The document system reports it processed: the same id is updated.
    r = post(client, ingest_token, [doc(processed_at="2026-03-05T16:00:00+07:00")])
    assert r.json()["updated"] == 1 and count(factory) == 2
    with factory() as s:
        stored = s.execute(
            select(Document).where(Document.external_id == "QLVB-SXD-2026-0001")
        ).scalar_one()
        # Friday 27/02/2026 09:15 + 5 working days = Friday 06/03/2026 09:15 (local).
        assert stored.deadline_at == datetime(2026, 3, 6, 9, 15, tzinfo=VN)
        assert stored.deadline_text == "5 ngày làm việc"
        assert stored.processed_at == datetime(2026, 3, 5, 16, 0, tzinfo=VN)
        out = s.execute(
            select(Document).where(Document.external_id == "QLVB-SXD-2026-0002")
        ).scalar_one()
        assert out.direction == "outgoing"
        assert out.registered_at == datetime(2026, 3, 2, 14, 0, tzinfo=VN)  # local wall time


def test_invalid_documents_are_named_and_valid_ones_kept(
    client: TestClient, ingest_token: str, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    batch = [
        doc(id="A-1"),
        doc(id="A-2", agency="so-khong-ton-tai"),
        doc(id="A-3", deadline="càng sớm càng tốt"),
        doc(id="A-4", direction="ngang"),
        doc(id="A-5", received_at=None),
        "không phải đối tượng",
        doc(id="A-1"),
        doc(id="A-8", processed_at="2026-01-01"),
        doc(id="A-9", signed="có lẽ"),
    ]
    r = post(client, ingest_token, batch)
    assert r.status_code == 422
    body = r.json()
    assert body["created"] == 1 and body["rejected"] == 8
    fields = {e["row"]: e["field"] for e in body["errors"]}
    assert fields == {
        1: "agency",
        2: "deadline",
        3: "direction",
        4: "received_at",
        5: "",
        6: "id",
        7: "processed_at",
        8: "signed",
    }
    assert all(e["message"] and e["en"] for e in body["errors"])
    assert count(factory) == 1
    # Atomic: nothing stored when anything is wrong.
    r = post(client, ingest_token, [doc(id="B-1"), doc(id="B-2", agency="x")], atomic="true")
    assert r.status_code == 422 and r.json()["created"] == 0
    assert count(factory) == 1


def test_batch_shape_and_authentication(client: TestClient, ingest_token: str) -> None:
    assert client.post("/api/v1/documents", json={"documents": []}).status_code == 401
    headers = {"Authorization": f"Bearer {ingest_token}"}
    r = client.post("/api/v1/documents", json=[doc()], headers=headers)
    assert r.status_code == 400 and "documents" in r.json()["detail"]
    json_type = {**headers, "Content-Type": "application/json"}
    r = client.post("/api/v1/documents", content=b"{not json", headers=json_type)
    assert r.status_code == 400
    r = client.post("/api/v1/documents", content=b"{not json", headers=headers)
    assert r.status_code == 415  # no Content-Type: not taken for JSON (tests/web/test_guards.py)


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "Mã văn bản",
            "Loại văn bản đến/đi",
            "Mã đơn vị",
            "Số ký hiệu",
            "Trích yếu",
            "Ngày đến",
            "Ngày đi",
            "Hạn xử lý",
            "Ngày xử lý xong",
            "Ký số",
            "Gửi qua trục liên thông",
        ]
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_import_is_all_or_nothing_with_row_and_column_errors(
    client: TestClient, make_user, factory: sessionmaker[Session], frozen_now: datetime
) -> None:  # type: ignore[no-untyped-def]
    login(client, "op", make_user("op", role="operator"))
    token = csrf(client, "/documents/import")
    good = [
        "F-1",
        "đến",
        "ubnd-24133",
        "12/UBND",
        "Triển khai tuyên truyền",
        datetime(2026, 3, 2, 8, 0),  # noqa: DTZ001 - Excel cells carry no time zone
        None,
        "3 ngày làm việc",
        None,
        "không",
        "có",
    ]
    bad = [
        "F-2",
        "đi",
        "ubnd-24133",
        "13/UBND",
        "Báo cáo",
        None,
        "02/03/2026",
        "ba ngày",
        None,
        "có",
        "có",
    ]
    files = {"file": ("so-van-ban.xlsx", xlsx([good, bad]), "application/octet-stream")}
    r = client.post("/documents/import", data={"csrf_token": token}, files=files)
    assert r.status_code == 400
    assert "Dòng 3, cột Hạn xử lý" in r.text
    assert count(factory) == 0
    files = {"file": ("so-van-ban.xlsx", xlsx([good]), "application/octet-stream")}
    r = client.post("/documents/import", data={"csrf_token": token}, files=files)
    assert r.status_code == 200 and 'id="import-result"' in r.text
    with factory() as s:
        stored = s.execute(select(Document)).scalar_one()
        assert stored.registered_at == datetime(2026, 3, 2, 8, 0, tzinfo=VN)
        # Monday 02/03 08:00 + 3 working days = Thursday 05/03 08:00.
        assert stored.deadline_at == datetime(2026, 3, 5, 8, 0, tzinfo=VN)
        assert stored.via_axis and not stored.digitally_signed
    # A file that is not a table, and a table without the needed columns.
    r = client.post(
        "/documents/import",
        data={"csrf_token": token},
        files={"file": ("x.pdf", b"%PDF", "application/pdf")},
    )
    assert r.status_code == 400 and 'id="import-error"' in r.text
    r = client.post(
        "/documents/import",
        data={"csrf_token": token},
        files={"file": ("x.csv", "Cột A,Cột B\n1,2\n".encode(), "text/csv")},
    )
    assert r.status_code == 400 and "Mã văn bản" in r.text


def test_import_is_for_operators_only(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(client, "ld", make_user("ld", role="leader"))
    assert client.get("/documents/import").status_code == 403
