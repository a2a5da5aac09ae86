"""No developer text reaches a user: every page, as every role, in Vietnamese, is crawled over
a representative data set (every pack's demo on a small scale, the default alert rules and one
evaluation) and its visible text must hold no snake_case code (``grdp_growth``, ``hl_beds``),
no file name (``points.yaml``), no raw label pair (``disease=measles``) and no English
interface word ("Loading", "Status", "Total" …); no page may answer a server error.

Visible text is what a browser shows: ``<script>``, ``<style>``, ``<template>`` and attribute
values are left out, and so is what a page shows on purpose as code — ``<code>`` (the rule
editor's query keys, a rule's identifier for the administrator, an IP address) — or as data a
user typed (``<textarea>``). Pages: every GET page without parameters, then a sample of the
pages their links lead to (two per parameterised route, one per plain route and set of query
parameters), per role, within ``MAX_PAGES``.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ioc.app import load_registry
from page_crawl import ROLES, report_for

# The crawl is split over two files (signed-out and leading roles here, working roles in
# test_no_developer_text_staff.py) so that a parallel run gives them to two workers.
ROLES_HERE = ROLES[:3]


def test_no_code_file_name_or_english_word_on_any_page(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    demo_data: None,
) -> None:
    report = report_for(client, make_user, ROLES_HERE)
    assert not report, "\n".join(report)


def test_alert_labels_are_named(db: Session) -> None:
    from ioc.engines.alerting.label_names import LabelNamer

    names = LabelNamer(db, load_registry(), "vi")
    labels = {"disease": "measles", "domain": "dich-benh", "indicator": "hl_cases_measles"}
    assert names.pairs(labels) == [
        ("disease", "Bệnh", "Sởi"),
        ("indicator", "Chỉ tiêu", "Số ca sởi (nghi ngờ và xác định)"),
        ("domain", "Lĩnh vực", "Dịch bệnh"),
    ]
    english = LabelNamer(db, load_registry(), "en")
    assert english.name("disease") == "Disease" and english.value("disease", "measles") == "Measles"
    assert names.value("area", "24133") == "Phường Buôn Ma Thuột"
    assert names.name("team") == "Nhóm xử lý" and names.value("report", "PA-1") == "PA-1"
    # Labels record sources emit beside codes (cybersecurity's agency name, a segment's road).
    assert names.name("agency_name") == "Tên đơn vị" and names.name("road") == "Tuyến đường"
