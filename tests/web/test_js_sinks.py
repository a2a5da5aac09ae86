"""No script of ours hands a server string to an HTML sink (stored-XSS class, not one bug).

A station renamed ``<img src=x onerror=…>`` by an ingest token once ran its script on the video
wall because ``marker.bindTooltip(name)`` takes a string as HTML. This test reads every script
we ship — ``src/ioc/web/static/*.js`` (not ``vendor/``), the packs' static JS, the inline
``<script>`` blocks of every template and the ``*.js.html`` fragments they include — and fails on
any use of an HTML sink (Leaflet tooltip/popup/divIcon html, ``innerHTML`` and friends, ECharts
tooltip formatters, ``eval``) that is not on the reviewed allow-list below. Each allow-list
entry names the file, a pattern of the line and why that use is safe; an entry that matches
nothing any more fails too, so the list cannot rot.

The fix for a new finding is almost never a new entry: build DOM nodes (``document.createElement``
+ ``textContent``; Leaflet takes an element for ``bindTooltip``/``bindPopup``/``divIcon``) or, where
a library insists on an HTML string (ECharts tooltip formatters), wrap every value in
``IOC.escapeHtml`` from ``static/ioc.js``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ioc"
ROOT = SRC.parents[1]


@dataclass(frozen=True)
class Sink:
    name: str
    pattern: re.Pattern[str]


SINKS: tuple[Sink, ...] = (
    # Leaflet renders a string argument as HTML (tooltips, popups, setContent).
    Sink(
        "leaflet-content",
        re.compile(r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\s*\("),
    ),
    # L.divIcon({html: …}) — an empty literal cannot carry data and is not a sink.
    Sink("divicon-html", re.compile(r"\bhtml\s*:(?!\s*(\"\"|''))")),
    Sink("inner-outer-html", re.compile(r"\.(innerHTML|outerHTML)\b")),
    Sink("insert-adjacent-html", re.compile(r"\binsertAdjacentHTML\b")),
    Sink("document-write", re.compile(r"\bdocument\s*\.\s*write(ln)?\s*\(")),
    Sink("html-parser", re.compile(r"\b(createContextualFragment|DOMParser|parseFromString)\b")),
    # String evaluation: blocked by our CSP (no 'unsafe-eval') and an injection sink anyway.
    Sink(
        "eval",
        re.compile(r"\beval\s*\(|\bnew\s+Function\s*\(|\bset(Timeout|Interval)\s*\(\s*[\"'`]"),
    ),
    # htmx swaps what the server answers into the page as HTML.
    Sink("htmx-ajax", re.compile(r"\bhtmx\s*\.\s*ajax\s*\(")),
    # ECharts draws a tooltip formatter's return value with innerHTML (axis-label and
    # series-label formatters are drawn on the canvas as text and are not sinks).
    Sink("echarts-tooltip-formatter-assign", re.compile(r"\btooltip\s*\.\s*formatter\s*=")),
)
TOOLTIP_OPEN = re.compile(r"\btooltip\s*:\s*\{")
TOOLTIP_FORMATTER = re.compile(r"\bformatter\s*:")


@dataclass(frozen=True)
class Allowed:
    path: str  # relative to the repository root
    line: str  # regex searched in the line of the sink
    reason: str


# Reviewed uses that are proven safe. Keep the reasons precise: they are the proof.
ALLOWED: tuple[Allowed, ...] = (
    Allowed(
        "src/ioc/web/static/map.js",
        r"html: dot,",
        "divIcon html is a <span> built with createElement; its label is set with textContent.",
    ),
    Allowed(
        "src/ioc/web/static/map.js",
        r"html: box,",
        "cluster icon html is a <span> built with createElement; the count is set with "
        "textContent.",
    ),
    Allowed(
        "src/ioc/web/static/map.js",
        r"lyr\.bindTooltip\(box,",
        "the commune tooltip is a <div> whose lines are set with textContent.",
    ),
    Allowed(
        "src/ioc/web/static/ioc.js",
        r"marker\.bindPopup\(popup\)",
        "popup is a <div> built with createElement + textContent (station name, code, …).",
    ),
    Allowed(
        "src/ioc/web/static/overview_map.js",
        r"m\.bindPopup\(popupOf\(p, labels, linkText\)\)",
        "popupOf() builds a <div> with createElement + textContent (title, place, severity); "
        "the link is set through a.href (a server-built /alerts/… path).",
    ),
    Allowed(
        "src/ioc/web/static/ioc.js",
        r"formatter: lineTooltip\b",
        "lineTooltip escapes every value with escapeHtml; p.marker is ECharts' own colour dot "
        "(ECharts HTML-encodes the colour).",
    ),
    Allowed(
        "src/ioc/web/static/ioc.js",
        r"formatter: barTooltip\b",
        "barTooltip escapes every value with escapeHtml; p.marker is ECharts' own colour dot.",
    ),
    Allowed(
        "src/ioc/web/static/wall.js",
        r"marker\.bindTooltip\(tip,",
        "tip is a <span> built with createElement + textContent (the station name).",
    ),
    Allowed(
        "src/ioc/web/static/field_reports.js",
        r"m\.bindPopup\(box\)",
        "box is a <div> built with createElement + textContent (code, category, status).",
    ),
    Allowed(
        "src/ioc/web/static/field_reports.js",
        r"htmx\.ajax\(\"GET\", url, \{ target: \"#fr-nearby\"",
        "swaps the /phan-anh nearby fragment, an HTML template rendered by Jinja with "
        "autoescape (not JSON, not user HTML).",
    ),
    Allowed(
        "src/ioc/packs/field_reports/templates/field_reports/stats/index.html",
        r"\.bindTooltip\(IOC\.textElement\(",
        "IOC.textElement returns a <span> whose textContent is the label and the count.",
    ),
    Allowed(
        "src/ioc/packs/security_traffic/templates/security_traffic/index.html",
        r"\.bindPopup\(popup\(",
        "popup() builds a <div> of <strong>/<br>/text nodes with createElement + textContent.",
    ),
    Allowed(
        "src/ioc/packs/security_traffic/templates/security_traffic/index.html",
        r"\.bindPopup\(cameraPopup\(c\)\)",
        "cameraPopup() builds DOM nodes with textContent; the stream link is set through "
        "a.href only for http(s) URLs.",
    ),
    Allowed(
        "src/ioc/web/static/planning.js",
        r"lyr\.bindTooltip\(IOC\.textElement\(",
        "IOC.textElement returns a <span> whose textContent is the zone or asset label.",
    ),
    Allowed(
        "src/ioc/packs/security_traffic/templates/security_traffic/index.html",
        r"\.bindTooltip\(IOC\.textElement\(",
        "IOC.textElement returns a <span> whose textContent is the label and the count.",
    ),
    Allowed(
        "src/ioc/packs/security_traffic/templates/security_traffic/index.html",
        r"html: clusterNode\(",
        "clusterNode() builds a <div> with createElement; the count is set with textContent "
        "and the colour through element.style (CSSOM, not markup).",
    ),
)


@dataclass(frozen=True)
class Script:
    path: str  # relative to the repository root
    first_line: int  # line number in the file of the script's first line
    text: str


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


SCRIPT_BLOCK = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
DATA_TYPE = re.compile(r"""\btype\s*=\s*["']?(application/(ld\+)?json|text/template)""", re.I)
# The body of ``{% call chart_scripts(...) %} … {% endcall %}`` (_ui_charts.html) is JavaScript
# that the macro places inside its <script>: audited where it is written.
SCRIPT_CALLER = re.compile(r"{%-?\s*call\b[^%]*\bchart_scripts\b[^%]*%}(.*?){%-?\s*endcall", re.S)
# Where a macro emits its caller's block into a script (the block is audited at each call site).
CALLER_HOSTS = {"src/ioc/web/templates/_ui_charts.html"}


def our_scripts() -> list[Script]:
    """Every piece of JavaScript we ship, with where it comes from."""
    scripts: list[Script] = []
    static = list((SRC / "web" / "static").glob("*.js"))
    static += [p for p in (SRC / "packs").glob("*/static/**/*.js") if "vendor" not in p.parts]
    for path in sorted(static):
        scripts.append(Script(_rel(path), 1, path.read_text(encoding="utf-8")))
    templates = sorted(
        [*(SRC / "web" / "templates").rglob("*.html"), *(SRC / "packs").glob("*/templates/**/*")]
    )
    for path in templates:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.name.endswith(".js.html"):  # a JS fragment included inside a <script>
            scripts.append(Script(_rel(path), 1, text))
            continue
        for match in SCRIPT_BLOCK.finditer(text):
            attrs, body = match.group(1), match.group(2)
            if re.search(r"\bsrc\s*=", attrs) or DATA_TYPE.search(attrs):
                continue
            line = text.count("\n", 0, match.start(2)) + 1
            scripts.append(Script(_rel(path), line, body))
        for match in SCRIPT_CALLER.finditer(text):
            line = text.count("\n", 0, match.start(1)) + 1
            scripts.append(Script(_rel(path), line, match.group(1)))
    return scripts


def _block_end(text: str, start: int) -> int:
    """Index just past the ``}`` closing the ``{`` at ``start`` (strings and comments skipped)."""
    depth, i, quote = 0, start, ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return len(text)
            continue
        elif text.startswith("/*", i):
            i = text.find("*/", i) + 2
            if i < 2:
                return len(text)
            continue
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


@dataclass(frozen=True)
class Finding:
    path: str
    line_no: int
    sink: str
    line: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line_no}: {self.sink}: {self.line.strip()}"


def _strip_line_comment(line: str) -> str:
    # Good enough for our code: "//" inside a string literal would hide the rest of the line,
    # so only drop comments that start the (stripped) line.
    return "" if line.lstrip().startswith(("//", "*", "/*")) else line


def findings(script: Script) -> list[Finding]:
    """Every sink used in one script."""
    out: list[Finding] = []
    lines = script.text.split("\n")
    for offset, line in enumerate(lines):
        code = _strip_line_comment(line)
        for sink in SINKS:
            if sink.pattern.search(code):
                out.append(Finding(script.path, script.first_line + offset, sink.name, line))
    for match in TOOLTIP_OPEN.finditer(script.text):
        start = match.end() - 1
        end = _block_end(script.text, start)
        for inner in TOOLTIP_FORMATTER.finditer(script.text, start, end):
            offset = script.text.count("\n", 0, inner.start())
            line = lines[offset]
            if _strip_line_comment(line):
                out.append(
                    Finding(
                        script.path,
                        script.first_line + offset,
                        "echarts-tooltip-formatter",
                        line,
                    )
                )
    return out


def _allowed(finding: Finding) -> Allowed | None:
    for entry in ALLOWED:
        if entry.path == finding.path and re.search(entry.line, finding.line):
            return entry
    return None


def test_scripts_are_found() -> None:
    """The scan sees the code it is meant to audit (a broken glob would pass vacuously)."""
    paths = {s.path for s in our_scripts()}
    assert "src/ioc/web/static/ioc.js" in paths
    assert "src/ioc/web/static/wall.js" in paths
    assert "src/ioc/packs/environment/templates/environment/_map_init.js.html" in paths
    assert "src/ioc/packs/security_traffic/templates/security_traffic/index.html" in paths
    assert not any("/vendor/" in p for p in paths)


def test_no_unreviewed_html_sink() -> None:
    """Every HTML sink in our JavaScript is on the reviewed allow-list."""
    unreviewed = [str(f) for s in our_scripts() for f in findings(s) if _allowed(f) is None]
    assert unreviewed == [], (
        "server strings may reach an HTML sink; build DOM nodes with textContent or escape "
        "with IOC.escapeHtml, then (only if provably safe) add an ALLOWED entry:\n"
        + "\n".join(unreviewed)
    )


def test_allow_list_has_no_stale_entry() -> None:
    """An entry that matches no sink any more is removed (so it cannot excuse a new one)."""
    used = {_allowed(f) for s in our_scripts() for f in findings(s)}
    stale = [f"{e.path}: {e.line}" for e in ALLOWED if e not in used]
    assert stale == []


def test_detector_catches_the_original_bug() -> None:
    """The scan flags the very code that ran a station name as HTML on the wall."""
    bad = Script("x.js", 1, "marker.bindTooltip(m.name, {permanent: true});\n")
    assert [f.sink for f in findings(bad)] == ["leaflet-content"]
    chart = Script(
        "y.js",
        1,
        "var o = {\n  tooltip: {\n    trigger: 'item',\n"
        "    formatter: function (p) { return p.name; }\n  },\n"
        "  yAxis: {axisLabel: {formatter: fmt}}\n};\n",
    )
    assert [(f.sink, f.line_no) for f in findings(chart)] == [("echarts-tooltip-formatter", 4)]
    assert findings(Script("z.js", 1, "L.divIcon({html: '', className: 'x'});")) == []
    assert [f.sink for f in findings(Script("w.js", 1, "el.innerHTML = s;"))] == [
        "inner-outer-html"
    ]


TEMPLATES = sorted(
    p
    for p in [
        *(SRC / "web" / "templates").rglob("*.html"),
        *(SRC / "packs").glob("*/templates/**/*"),
    ]
    if p.is_file()
)
EVENT_ATTR = re.compile(r"""<[a-zA-Z][^>]*\son[a-z]+\s*=\s*["']""")
JS_URL = re.compile(r"javascript\s*:", re.I)


def _outside_scripts(text: str) -> str:
    # Script bodies blanked, keeping their line breaks so line numbers stay right.
    return SCRIPT_BLOCK.sub(
        lambda m: "<script>" + "\n" * m.group(0).count("\n") + "</script>", text
    )


def test_no_inline_event_handlers_or_javascript_urls() -> None:
    """``onclick=`` / ``onsubmit=``, ``hx-on`` and ``javascript:`` URLs are inline script: our
    CSP blocks them, and they put template values in a JS context. Use a data attribute and a
    listener in a static file instead (e.g. ``data-confirm`` on a form, see nav.js)."""
    bad = []
    for path in TEMPLATES:
        text = _outside_scripts(path.read_text(encoding="utf-8"))
        for no, line in enumerate(text.split("\n"), 1):
            if EVENT_ATTR.search(line) or JS_URL.search(line) or "hx-on" in line:
                bad.append(f"{_rel(path)}:{no}: {line.strip()}")
    assert bad == []


JINJA_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)


def test_template_values_in_scripts_are_json_encoded() -> None:
    """A ``{{ value }}`` inside an inline script is JS, not HTML: HTML escaping does not make it
    safe there. Every expression in an executable script ends with ``| tojson``."""
    bad = []
    for script in our_scripts():
        if script.path.endswith(".js"):
            continue
        for match in JINJA_EXPR.finditer(script.text):
            expr = match.group(1).strip()
            if expr == "csp_nonce" or re.search(r"\|\s*tojson\s*$", expr):
                continue
            if expr == "caller()" and script.path in CALLER_HOSTS:
                continue
            line = script.first_line + script.text.count("\n", 0, match.start())
            bad.append(f"{script.path}:{line}: {{{{ {expr} }}}}")
    assert bad == []


HX_URL = re.compile(r"""\bhx-(get|post|put|patch|delete)\s*=\s*["']([^"']*)["']""")


def test_htmx_swaps_only_html_fragments() -> None:
    """htmx swaps the answer into the page as HTML: never point it at a JSON API (a JSON
    string with markup in it would become markup)."""
    bad = []
    for path in TEMPLATES:
        for match in HX_URL.finditer(path.read_text(encoding="utf-8")):
            url = match.group(2)
            if url.startswith(("/api/", "/ngsi-ld/")) or url.split("?")[0].endswith(
                ("/data", ".json")
            ):
                bad.append(f"{_rel(path)}: {match.group(0)}")
    assert bad == []
