"""No developer text reaches a user, the working roles' half of the crawl (operator, an
agency's staff, a commune's staff): see test_no_developer_text.py."""

from __future__ import annotations

from fastapi.testclient import TestClient

from page_crawl import ROLES, report_for


def test_no_code_file_name_or_english_word_on_any_staff_page(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    demo_data: None,
) -> None:
    report = report_for(client, make_user, ROLES[3:])
    assert not report, "\n".join(report)
