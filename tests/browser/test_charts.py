"""Charts tell their story on every screen, in real Chromium at 1920×1080 and on a 390×844
phone, read through ECharts' own ``getOption()``:

* every category axis names every category (``axisLabel.interval`` 0: upright, wrapped or
  horizontal bars), never dropping half the agencies, indicators or months;
* months read ``T4/2026`` — category labels and the ticks of monthly time axes alike — never
  ``01/04`` nor ``04/2026`` without the "T";
* numbers print on bars only where they fit: no number on each of 90 daily bars on a phone;
* reference lines say what they are ("Mục tiêu tiêm chủng: 95 %"), not "95".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from ioc.core import clock
from ioc.core.db import make_sessionmaker

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
SIZES = [pytest.param(DESKTOP, id="1920x1080"), pytest.param(PHONE, id="390x844")]
PAGES = (
    "/health",
    "/health/surveillance",
    "/tourism",
    "/education",
    "/socio-economic",
    "/documents",
    "/cybersecurity",
    "/public-services",
    "/environment",
    "/environment/stations/DL-BMT-01",
    "/traffic",
    "/field-reports/stats",
)
MONTH = re.compile(r"^T\d{1,2}/\d{4}$")
BARE_MONTH = re.compile(r"^\d{1,2}/\d{4}$")  # "04/2026": a month without its name

# Every chart of the page as ECharts holds it: its category axes, monthly time axes (with the
# label their formatter gives the first point) and bar series (count, numbers shown, width).
READ_CHARTS = """
() => {
  const out = [];
  const HOUR = 3600000;
  document.querySelectorAll('[_echarts_instance_]').forEach((el) => {
    const chart = echarts.getInstanceByDom(el);
    if (!chart || !el.clientWidth) { return; }
    const opt = chart.getOption();
    const name = el.id || el.getAttribute('data-sector-chart') || el.className;
    const points = [];
    (opt.series || []).forEach((s) => (s.data || []).forEach((p) => {
      const v = Array.isArray(p) ? p[0] : (p && Array.isArray(p.value) ? p.value[0] : null);
      if (typeof v === 'number') { points.push(v); }
    }));
    [].concat(opt.xAxis || [], opt.yAxis || []).forEach((ax) => {
      if (ax.type === 'category') {
        out.push({ name, kind: 'category', interval: ax.axisLabel ? ax.axisLabel.interval : null,
          labels: (ax.data || []).map((d) => String(d && typeof d === 'object' ? d.value : d)) });
      } else if (ax.type === 'time' && points.length > 1) {
        // Values are Vietnam wall-clock time drawn as UTC (ioc.js shifts them by +07:00);
        // monthly figures fall on the 1st of two months or more, whatever the hour.
        const months = new Set(points.map((v) => new Date(v).toISOString().slice(0, 7)));
        const monthly = months.size > 1 && points.every((v) => new Date(v).getUTCDate() === 1);
        const fmt = ax.axisLabel && ax.axisLabel.formatter;
        out.push({ name, kind: 'time', monthly,
          sample: typeof fmt === 'function' ? String(fmt(points[0], 0)) : null });
      }
    });
    (opt.series || []).forEach((s) => {
      if (s.type === 'bar') {
        out.push({ name, kind: 'bars', n: (s.data || []).length, width: el.clientWidth,
          numbers: !!(s.label && s.label.show) });
      }
      const marks = (s.markLine && s.markLine.data) || [];
      marks.forEach((m) => {
        const f = m.label && m.label.formatter;
        if (typeof f === 'string') { out.push({ name, kind: 'mark', text: f }); }
      });
    });
  });
  return out;
}
"""


@pytest.fixture(scope="module")
def every_pack(live_server: Any, engine: Engine) -> Iterator[None]:
    """The demo of every pack but the environment's (the live server has 72 hours of air)."""
    from ioc.app import load_registry

    factory = make_sessionmaker(engine)
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    for pack in load_registry().packs:
        if pack.demo is not None and pack.name != "environment":
            pack.demo(factory, end=end, hours=72, offset=7 * 3600)
    yield


def _problems(charts: list[dict[str, Any]], phone: bool) -> list[str]:
    out = []
    for c in charts:
        where = f"{c['name']}"
        if c["kind"] == "category":
            if c["interval"] != 0:
                out.append(f"{where}: category labels may be dropped ({c['interval']!r})")
            for label in c["labels"]:
                if BARE_MONTH.match(label):
                    out.append(f"{where}: month {label!r} is not named like T4/2026")
        elif c["kind"] == "time" and c["monthly"]:
            if not MONTH.match(c["sample"] or ""):
                out.append(f"{where}: monthly axis label {c['sample']!r} is not like T4/2026")
        elif c["kind"] == "bars" and c["numbers"] and c["width"] / max(1, c["n"]) < 20:
            out.append(f"{where}: a number on each of {c['n']} bars in {c['width']} px")
        elif c["kind"] == "mark" and re.fullmatch(r"[\d.,\s%]+", c["text"] or ""):
            pass  # a bare threshold line (e.g. 50 and 75 on a noise chart) may stay a number
        elif c["kind"] == "mark" and not re.search(r"\w+: ", c["text"] or ""):
            out.append(f"{where}: reference line {c['text']!r} has no words")
    return out


@pytest.mark.parametrize("size", SIZES)
def test_every_category_is_named_and_months_have_their_year(
    browser: Any, live_server: Any, every_pack: None, size: dict[str, int]
) -> None:
    context = browser.new_context(
        viewport=size, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", device_scale_factor=1
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url("/login?next=/"))
    page.fill("#username", live_server.username)
    page.fill("#password", live_server.password)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(live_server.url("/xa"))  # a leader lands on the commune board
    report: list[str] = []
    seen = 0
    try:
        for path in PAGES:
            page.goto(live_server.url(path))
            page.wait_for_load_state("networkidle")
            charts = page.evaluate(READ_CHARTS)
            seen += len(charts)
            report += [f"{path} {p}" for p in _problems(charts, size is PHONE)]
        # The 90-day VN_AQI chart of a station, on this screen: 90 daily bars.
        page.goto(live_server.url("/environment/stations/DL-BMT-01"))
        page.wait_for_load_state("networkidle")
        ninety = page.evaluate(
            """() => {
              const node = document.getElementById('daily-chart');
              const data = [];
              for (let i = 0; i < 90; i++) {
                const d = new Date(Date.UTC(2026, 8, 1) + i * 86400000);
                data.push({date: d.toISOString().slice(0, 10), value: 40 + (i * 7) % 120});
              }
              const chart = IOC.barChart(node, {data: data, seriesName: 'VN_AQI'});
              const s = chart.getOption().series[0];
              return {numbers: !!(s.label && s.label.show), width: node.clientWidth};
            }"""
        )
        if size is PHONE:
            assert ninety["numbers"] is False, ninety
    finally:
        context.close()
    assert seen > 20, "the pages drew their charts"
    assert not report, "\n".join(report)
