"""Hướng dẫn sử dụng as data: one YAML file per guide in ``content/`` (Vietnamese and English),
and a tiny, safe Markdown renderer for their bodies.

The renderer supports only what the guides use: ``##``/``###`` headings, paragraphs, numbered
and bulleted lists, ``**bold**`` and links to internal paths (``[text](/path)``). Every piece of
text is HTML-escaped first; a link whose target is not an internal path stays plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources

from ioc.core import i18n, yaml_text

# A link in a body, and the targets that stay links (internal paths).
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_INTERNAL = re.compile(r"^/[A-Za-z0-9/_.\-]*(\?[A-Za-z0-9=&_.\-]*)?$")
# Whom a guide is for, and who may read it.
ROLES: tuple[str, ...] = ("citizen", "leader", "operator", "agency_staff", "admin")
PERMISSIONS = frozenset({"public", "view", "admin"})


@dataclass(frozen=True)
class GuideText:
    """A guide in one language."""

    title: str
    summary: str
    body: str


@dataclass(frozen=True)
class Guide:
    """One guide: who it is for, who may read it, its screenshot and its texts."""

    slug: str
    role: str
    permission: str
    shot: str
    image: str
    texts: dict[str, GuideText]

    def text(self, lang: str) -> GuideText:
        """The guide in ``lang`` (Vietnamese when that language is missing)."""
        return self.texts.get(lang) or self.texts["vi"]

    def links(self) -> list[str]:
        """Every internal path the guide links to, in both languages."""
        found: list[str] = []
        for text in self.texts.values():
            for _, target in _LINK.findall(text.body):
                if _INTERNAL.match(target) and target not in found:
                    found.append(target)
        return found

    def haystack(self) -> str:
        """Folded text the search looks in (titles, summaries and bodies)."""
        parts = [f"{t.title} {t.summary} {t.body}" for t in self.texts.values()]
        return i18n.fold(" ".join(parts))


class GuideError(ValueError):
    """A guide file that cannot be used, naming the file and the field."""


def _parse(name: str, raw: object) -> Guide:
    if not isinstance(raw, dict):
        raise GuideError(f"{name}: không phải một bảng YAML / not a YAML mapping")
    for key in ("slug", "role", "permission", "shot", "image", "vi", "en"):
        if key not in raw:
            raise GuideError(f"{name}: thiếu trường {key} / missing field {key}")
    if raw["role"] not in ROLES:
        raise GuideError(f"{name}: vai trò không hợp lệ {raw['role']} / unknown role")
    if raw["permission"] not in PERMISSIONS:
        raise GuideError(f"{name}: quyền không hợp lệ {raw['permission']} / unknown permission")
    texts: dict[str, GuideText] = {}
    for lang in ("vi", "en"):
        block = raw[lang]
        if not isinstance(block, dict) or not all(k in block for k in ("title", "summary", "body")):
            raise GuideError(
                f"{name}: {lang} cần title, summary, body / needs title, summary, body"
            )
        texts[lang] = GuideText(str(block["title"]), str(block["summary"]), str(block["body"]))
    return Guide(
        slug=str(raw["slug"]),
        role=str(raw["role"]),
        permission=str(raw["permission"]),
        shot=str(raw["shot"]),
        image=str(raw["image"]),
        texts=texts,
    )


@cache
def guides() -> tuple[Guide, ...]:
    """Every guide shipped with the pack, in file-name order (read once)."""
    folder = resources.files("ioc.packs.guides").joinpath("content")
    out: list[Guide] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            out.append(_parse(item.name, yaml_text.load(item.read_text(encoding="utf-8"))))
    slugs = [g.slug for g in out]
    if len(set(slugs)) != len(slugs):
        raise GuideError("hai hướng dẫn trùng slug / duplicate guide slug")
    return tuple(out)


def find(slug: str) -> Guide | None:
    """The guide called ``slug``, if any."""
    return next((g for g in guides() if g.slug == slug), None)


def search(query: str) -> list[Guide]:
    """Guides containing every word of ``query``, ignoring case and Vietnamese diacritics."""
    words = i18n.fold(query).split()
    return [g for g in guides() if all(w in g.haystack() for w in words)]


# The rest of the Markdown subset the renderer reads: bold text, an item of a numbered list.
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_NUMBERED = re.compile(r"^\d+\.\s+(.*)$")


def _inline(text: str) -> str:
    """Escape ``text``, then turn ``**bold**`` and internal links into HTML."""
    out: list[str] = []
    pos = 0
    for match in _LINK.finditer(text):
        out.append(_bold(escape(text[pos : match.start()])))
        label, target = match.group(1), match.group(2)
        if _INTERNAL.match(target):
            out.append(f'<a href="{escape(target)}">{_bold(escape(label))}</a>')
        else:
            out.append(_bold(escape(label)))  # external or odd targets stay plain text
        pos = match.end()
    out.append(_bold(escape(text[pos:])))
    return "".join(out)


def _bold(escaped: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def render_markdown(source: str) -> str:
    """Safe HTML for the Markdown subset described in the module docstring."""
    html: list[str] = []
    para: list[str] = []
    list_kind: str | None = None

    def close_para() -> None:
        if para:
            html.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()

    def close_list() -> None:
        nonlocal list_kind
        if list_kind:
            html.append(f"</{list_kind}>")
            list_kind = None

    for raw in source.splitlines():
        line = raw.strip()
        numbered = _NUMBERED.match(line)
        if not line:
            close_para()
            close_list()
        elif line.startswith("#"):
            close_para()
            close_list()
            level = min(len(line) - len(line.lstrip("#")) + 0, 4)
            level = max(level, 2)  # the page title is the only <h1>
            html.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
        elif numbered or line.startswith(("- ", "* ")):
            close_para()
            kind = "ol" if numbered else "ul"
            if list_kind != kind:
                close_list()
                html.append(f"<{kind}>")
                list_kind = kind
            item = numbered.group(1) if numbered else line[2:]
            html.append(f"<li>{_inline(item)}</li>")
        else:
            close_list()
            para.append(line)
    close_para()
    close_list()
    return "\n".join(html)
