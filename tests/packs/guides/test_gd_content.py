"""Guides as data: every guide is complete in both languages, renders safely, is found by a
search without diacritics, has its screenshot, and every link in it opens for its readers."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import audit, auth
from ioc.packs.guides import content

PASSWORD = "mật-khẩu-đủ-dài-123"
REQUIRED = {
    "tong-quan",
    "canh-bao",
    "man-hinh-tuong",
    "gui-phan-anh",
    "xu-ly-phan-anh",
    "nop-so-lieu",
    "dich-vu-cong",
    "van-ban-nhiem-vu",
    "quy-tac-canh-bao",
}


def test_every_required_guide_exists_in_both_languages_with_3_to_6_steps() -> None:
    guides = {g.slug: g for g in content.guides()}
    assert set(guides) >= REQUIRED
    for guide in guides.values():
        for lang in ("vi", "en"):
            text = guide.text(lang)
            steps = re.findall(r"^\s*\d+\.\s", text.body, flags=re.MULTILINE)
            assert 3 <= len(steps) <= 6, (guide.slug, lang, len(steps))
            assert text.title and text.summary
        assert guide.text("vi").title != guide.text("en").title  # really translated


def test_markdown_is_escaped_and_only_internal_links_become_links() -> None:
    html = content.render_markdown(
        "## Tiêu đề <b>\n\n1. Bấm **Gửi** tại [trang](/phan-anh/gui)\n"
        "2. <script>alert(1)</script> [ngoài](https://evil.example/x)\n\n- mẹo & lưu ý"
    )
    assert "<h2>Tiêu đề &lt;b&gt;</h2>" in html
    assert '<ol>\n<li>Bấm <strong>Gửi</strong> tại <a href="/phan-anh/gui">trang</a></li>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "evil.example" not in html and "ngoài" in html
    assert "<ul>\n<li>mẹo &amp; lưu ý</li>\n</ul>" in html


def test_search_ignores_case_and_diacritics() -> None:
    assert "nop-so-lieu" in [g.slug for g in content.search("NOP SO LIEU")]
    assert [g.slug for g in content.search("man hinh tuong")] == ["man-hinh-tuong"]
    assert content.search("không-có-từ-này") == []


def test_every_guide_image_exists_and_is_small() -> None:
    folder = resources.files("ioc.packs.guides").joinpath("static")
    total = 0
    for guide in content.guides():
        image = folder.joinpath(guide.image)
        assert image.is_file(), f"{guide.image} missing: run scripts/guide_screenshots.py"
        size = len(image.read_bytes())
        assert size < 200_000, (guide.image, size)
        total += size
    assert total < 1_600_000


def _client_for(
    role: str, client: TestClient, factory: sessionmaker[Session], n: int
) -> TestClient:
    if role == "citizen":
        return client
    username = f"gd-{role.replace('_', '-')}-{n}"
    with factory() as session, session.begin():
        auth.create_user(
            session,
            audit.Actor.system("test"),
            username=username,
            password=PASSWORD,
            full_name=f"Người dùng {role}",
            role=role,
            agency_code="so-khoa-hoc-cong-nghe" if role == "agency_staff" else None,
        )
    assert login(client, username, PASSWORD).status_code == 303  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize("slug", sorted(REQUIRED))
def test_guide_and_all_its_links_open_for_a_reader_of_its_role(
    slug: str, client: TestClient, factory: sessionmaker[Session]
) -> None:
    guide = content.find(slug)
    assert guide is not None
    reader = _client_for(guide.role, client, factory, 1)
    page = reader.get(f"/guides/{slug}")
    assert page.status_code == 200
    assert guide.text("vi").title in page.text
    assert f'src="/guides/static/{guide.image}"' in page.text
    image = reader.get(f"/guides/static/{guide.image}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    links = guide.links()
    assert links, "a guide links to the page it explains"
    for link in links:
        r = reader.get(link, follow_redirects=False)
        assert r.status_code == 200, (slug, link, r.status_code)
