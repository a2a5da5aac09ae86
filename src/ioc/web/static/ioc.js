/*
 * IOC Đắk Lắk — small vanilla helpers for the server-rendered pages.
 * Needs vendor/leaflet/leaflet.js (maps) and/or vendor/echarts/echarts.min.js (charts),
 * loaded before this file. No network access of its own; no inline event handlers.
 *
 *   IOC.aqiMap(elId, stations, opts)  -> L.Map
 *   IOC.lineChart(elId, cfg)          -> echarts instance
 *   IOC.barChart(elId, cfg)           -> echarts instance
 *   IOC.formatNumber(value, decimals) -> "1.234,5" (vi) / "1,234.5" (en)
 *   IOC.formatTime(msOrIso, withTime) -> "28/11/2026 14:05" in Asia/Ho_Chi_Minh
 *   IOC.formatMonth(msOrIso)          -> "T4/2026" (vi) / "Apr 2026" (en), the month in Vietnam
 *   IOC.init(root)                    -> builds every [data-ioc] element under root
 *   IOC.escapeHtml(value)             -> "&lt;b&gt;" — for the few APIs that insist on HTML
 *   IOC.textElement(text, className)  -> <span> holding text (Leaflet tooltips and popups)
 *
 * Server values are data, never markup: give Leaflet an element built with textContent
 * (bindTooltip/bindPopup/divIcon all take one), and wrap every value of an HTML string
 * (ECharts tooltip formatters) in IOC.escapeHtml. tests/web/test_js_sinks.py enforces this.
 *
 * Pages may call the builders from a small inline script, or stay CSP-strict (no inline
 * script) with:  <div id="m" class="map" data-ioc="map" data-ioc-json="m-data"></div>
 *                <script type="application/json" id="m-data">{"stations": [...], "opts": {...}}</script>
 * (data-ioc="line" / "bar" take the chart cfg object as JSON). IOC.init runs on
 * DOMContentLoaded and after every htmx swap.
 */
(function (global) {
  "use strict";

  var VN_OFFSET_MIN = 420; // Asia/Ho_Chi_Minh = UTC+07:00, no DST since 1975
  var NO_VALUE = "\u2014"; // em dash, as the server renders missing numbers

  // Official VN_AQI bands (Quyết định 1459/QĐ-TCMT).
  var AQI_BANDS = [
    { max: 50, key: "good", color: "#00E400", text: "#000000" },
    { max: 100, key: "moderate", color: "#FFFF00", text: "#000000" },
    { max: 150, key: "poor", color: "#FF7E00", text: "#000000" },
    { max: 200, key: "bad", color: "#FF0000", text: "#FFFFFF" },
    { max: 300, key: "very_bad", color: "#8F3F97", text: "#FFFFFF" },
    { max: Infinity, key: "hazardous", color: "#7E0023", text: "#FFFFFF" }
  ];
  var NONE_COLOR = "#C4CAD1";
  var NONE_TEXT = "#2B333D";

  function isVi() {
    return (document.documentElement.lang || "vi").toLowerCase().indexOf("vi") === 0;
  }

  function locale() {
    return isVi() ? "vi-VN" : "en-GB";
  }

  var nfCache = {};
  /** Number in the page language with a fixed number of decimals (default: up to 1). */
  function formatNumber(value, decimals) {
    if (value === null || value === undefined || value === "" || !isFinite(value)) {
      return NO_VALUE;
    }
    var key = locale() + "|" + (decimals === undefined ? "auto" : decimals);
    var nf = nfCache[key];
    if (!nf) {
      nf = new Intl.NumberFormat(locale(), decimals === undefined
        ? { maximumFractionDigits: 1 }
        : { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
      nfCache[key] = nf;
    }
    return nf.format(Number(value));
  }

  function pad2(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function toMs(t) {
    return typeof t === "number" ? t : Date.parse(t);
  }

  /** Vietnam wall-clock fields of an instant (independent of the browser's time zone). */
  function vnParts(ms) {
    var d = new Date(ms + VN_OFFSET_MIN * 60000);
    return {
      y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(),
      h: d.getUTCHours(), mi: d.getUTCMinutes()
    };
  }

  /** "dd/mm/yyyy HH:MM" (24 h) in Asia/Ho_Chi_Minh, or "dd/mm/yyyy" without time. */
  function formatTime(t, withTime) {
    var ms = toMs(t);
    if (!isFinite(ms)) { return NO_VALUE; }
    var p = vnParts(ms);
    var s = pad2(p.d) + "/" + pad2(p.mo) + "/" + p.y;
    return withTime === false ? s : s + " " + pad2(p.h) + ":" + pad2(p.mi);
  }

  var MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec"];

  /** The month of an instant in Vietnam: "T4/2026" (vi) or "Apr 2026" (en), never "01/04". */
  function formatMonth(t) {
    var ms = toMs(t);
    if (!isFinite(ms)) { return NO_VALUE; }
    var p = vnParts(ms);
    return isVi() ? "T" + p.mo + "/" + p.y : MONTHS_EN[p.mo - 1] + " " + p.y;
  }

  /** True when every point of the series falls on a month's first day at 00:00 (Vietnam). */
  function isMonthly(series) {
    var n = 0;
    var monthly = (series || []).every(function (s) {
      return (s.data || []).every(function (p) {
        var ms = toMs(p[0]);
        if (!isFinite(ms)) { return false; }
        var v = vnParts(ms);
        n += 1;
        return v.d === 1 && v.h === 0 && v.mi === 0;
      });
    });
    return monthly && n > 1;
  }

  /** Colour band of an AQI value; null/undefined gives the grey "no data" band. */
  function aqiBand(aqi) {
    if (aqi === null || aqi === undefined || !isFinite(aqi)) {
      return { key: "none", color: NONE_COLOR, text: NONE_TEXT };
    }
    for (var i = 0; i < AQI_BANDS.length; i++) {
      if (Math.round(aqi) <= AQI_BANDS[i].max) { return AQI_BANDS[i]; }
    }
    return AQI_BANDS[AQI_BANDS.length - 1];
  }

  var HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  /** Text made safe to put in HTML (element content or a quoted attribute). */
  function escapeHtml(value) {
    return (value === null || value === undefined ? "" : String(value))
      .replace(/[&<>"']/g, function (c) { return HTML_ESCAPES[c]; });
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  /** A <span> showing text as text: hand it to Leaflet instead of a string (parsed as HTML). */
  function textElement(text, className) {
    return el("span", className || null, text === null || text === undefined ? "" : text);
  }

  function byId(elId) {
    var node = typeof elId === "string" ? document.getElementById(elId) : elId;
    if (!node) { throw new Error("IOC: no element #" + elId); }
    return node;
  }

  // ------------------------------------------------------------------ map

  /**
   * Map of monitoring stations coloured by VN_AQI (or any figure drawn the same way), built
   * with the map component (static/map.js: province outline, communes, roads, clusters).
   * stations: [{code, name, lat, lon, aqi, category, category_label?, color, text_color, url,
   *             time?}] — color/text_color default to the official band of aqi.
   * opts: {tileUrl: "" (offline: no tile layer), tileAttribution, maxZoom: 18,
   *        fit: "province" | "markers" (default "markers" when fitMaxZoom is given),
   *        fitMaxZoom: 12, radius: 16, linkText: "Xem chi tiết"/"Details", aqiLabel: "VN_AQI",
   *        layerName (the layer control's name of the markers), cluster: false (one marker
   *        per commune: nothing to pile up), markersOn: false (off until ticked),
   *        choropleth(s): see map.js}
   * Returns the L.Map; IOC.map.of(elId) gives the component.
   */
  function aqiMap(elId, stations, opts) {
    if (!global.L || !global.IOC.map) {
      throw new Error("IOC.aqiMap needs vendor/leaflet, leaflet.markercluster and map.js");
    }
    var node = byId(elId);
    opts = opts || {};
    stations = stations || [];
    var ctl = global.IOC.map.create(node, {
      tileUrl: opts.tileUrl,
      tileAttribution: opts.tileAttribution,
      maxZoom: opts.maxZoom,
      minZoom: opts.minZoom,
      layersExpanded: opts.layersExpanded
    });

    var radius = opts.radius || 16;
    var linkText = opts.linkText || (isVi() ? "Xem chi tiết" : "Details");
    var aqiLabel = opts.aqiLabel || "VN_AQI";
    var byAqi = opts.clusterBy !== "none";
    var group = ctl.markers(opts.layerName || aqiLabel, {
      cluster: opts.cluster !== false,
      on: opts.markersOn !== false,
      radius: Math.max(48, radius * 3),
      // A cluster shows the worst (highest) value of its stations in that value's colour.
      clusterColor: function (markers) {
        var worst = null;
        markers.forEach(function (m) {
          var v = m.options.iocValue;
          if (v !== null && v !== undefined && (worst === null || v > worst.options.iocValue)) {
            worst = m;
          }
        });
        if (!byAqi || !worst) { return { fill: "#5b6777", text: "#ffffff" }; }
        return { fill: worst.options.iocColor, text: worst.options.iocTextColor };
      }
    });
    var points = [];

    stations.forEach(function (s) {
      var band = aqiBand(s.aqi);
      var hasValue = s.aqi !== null && s.aqi !== undefined && isFinite(s.aqi);
      var marker = ctl.stationMarker({
        lat: s.lat, lon: s.lon, name: s.name, code: s.code,
        value: hasValue ? s.aqi : null,
        color: s.color || band.color,
        text_color: s.text_color || band.text
      }, {
        radius: radius,
        alt: (s.name || "") + " " + aqiLabel + " " + (hasValue ? s.aqi : NO_VALUE)
      });
      if (!marker) { return; }
      points.push(marker.getLatLng());

      var popup = el("div", "aqi-popup");
      popup.appendChild(el("div", "aqi-popup-name", s.name || s.code));
      if (s.code) { popup.appendChild(el("div", "aqi-popup-code", s.code)); }
      var row = el("div", "aqi-popup-value");
      var badge = el("span", "badge aqi-" + (s.category || band.key),
        hasValue ? formatNumber(s.aqi, 0) : NO_VALUE);
      badge.style.background = s.color || band.color;
      badge.style.color = s.text_color || band.text;
      row.appendChild(el("span", null, aqiLabel));
      row.appendChild(badge);
      if (s.category_label) { row.appendChild(el("span", null, s.category_label)); }
      popup.appendChild(row);
      if (s.time) { popup.appendChild(el("div", "aqi-popup-time", formatTime(s.time))); }
      if (s.url) {
        var a = el("a", null, linkText + " \u2192");
        a.href = s.url;
        popup.appendChild(a);
      }
      marker.bindPopup(popup);
      group.addLayer(marker);
    });

    [].concat(opts.choropleths || [], opts.choropleth ? [opts.choropleth] : [])
      .forEach(function (cfg) { ctl.choropleth(cfg); });

    var fit = opts.fit || (opts.fitMaxZoom ? "markers" : "province");
    if (fit === "markers" && points.length) {
      ctl.fitTo(points, opts.fitMaxZoom || 12, radius * 2);
    }
    return ctl.map;
  }

  // ------------------------------------------------------------------ charts

  var charts = [];
  var resizeQueued = false;

  function resizeAll() {
    resizeQueued = false;
    charts = charts.filter(function (c) {
      if (c.isDisposed() || !document.body.contains(c.getDom())) {
        if (!c.isDisposed()) { c.dispose(); }
        return false;
      }
      c.resize();
      return true;
    });
  }

  function queueResize() {
    if (!resizeQueued) {
      resizeQueued = true;
      (global.requestAnimationFrame || global.setTimeout)(resizeAll);
    }
  }

  global.addEventListener("resize", queueResize);

  function makeChart(elId) {
    if (!global.echarts) { throw new Error("IOC charts need vendor/echarts/echarts.min.js"); }
    var node = byId(elId);
    var old = global.echarts.getInstanceByDom(node);
    if (old) { old.dispose(); }
    var chart = global.echarts.init(node, null, { renderer: "canvas", locale: "EN" });
    charts.push(chart);
    if (global.ResizeObserver) {
      new global.ResizeObserver(queueResize).observe(node);
    }
    return chart;
  }

  // Colours and font follow the CSS design tokens, so .bigscreen (dark) charts stay readable.
  function theme(node) {
    var cs = global.getComputedStyle(node);
    function v(name, fallback) {
      return (cs.getPropertyValue(name) || "").trim() || fallback;
    }
    return {
      font: cs.fontFamily || "sans-serif",
      text: v("--c-text", "#1B2430"),
      muted: v("--c-muted", "#5B6777"),
      grid: v("--c-border", "#D9DEE5")
    };
  }

  function applyTheme(option, t) {
    option.textStyle = { fontFamily: t.font, color: t.text };
    if (option.legend) { option.legend.textStyle = { color: t.text }; }
    [option.xAxis, option.yAxis].forEach(function (ax) {
      ax.axisLabel = ax.axisLabel || {};
      ax.axisLabel.color = t.muted;
      ax.nameTextStyle = ax.nameTextStyle || {};
      ax.nameTextStyle.color = t.muted;
      ax.axisLine = { lineStyle: { color: t.muted } };
      if (ax.splitLine && ax.splitLine.show !== false) {
        ax.splitLine.lineStyle = { color: t.grid };
      }
    });
    return option;
  }

  /** A reference line's words: "Mục tiêu: 95 %" (label, value and unit), or the value. */
  function markLineText(m) {
    var value = formatNumber(m.value) + (m.unit ? " " + m.unit : "");
    return m.label ? m.label + ": " + value : value;
  }

  function markLineOf(markLines, axis) {
    if (!markLines || !markLines.length) { return undefined; }
    return {
      silent: true,
      symbol: "none",
      lineStyle: { type: "dashed", color: "#C62828", width: 1.5 },
      label: { position: "end", color: "#C62828", fontWeight: 600, lineHeight: 14 },
      data: markLines.map(function (m) {
        var line = { name: m.label, label: { formatter: markLineText(m) } };
        line[axis || "yAxis"] = m.value;
        return line;
      })
    };
  }

  // Room on the right for mark-line labels drawn past the end of the line.
  function markRight(cfg) {
    if (!cfg.markLines || !cfg.markLines.length) { return 24; }
    var longest = 0;
    cfg.markLines.forEach(function (m) {
      longest = Math.max(longest, markLineText(m).length);
    });
    return Math.min(160, 16 + longest * 7);
  }

  // Timestamps are shifted by +07:00 and drawn with useUTC, so ticks fall on Vietnamese
  // midnights and labels read Vietnamese wall-clock time whatever the browser's zone is.
  function shift(ms) {
    return ms + VN_OFFSET_MIN * 60000;
  }

  function axisTimeLabel(value) {
    var d = new Date(value);
    var h = d.getUTCHours();
    var mi = d.getUTCMinutes();
    if (h === 0 && mi === 0) {
      return "{day|" + pad2(d.getUTCDate()) + "/" + pad2(d.getUTCMonth() + 1) + "}";
    }
    return pad2(h) + ":" + pad2(mi);
  }

  function shiftedTimeText(value, withTime) {
    return formatTime(value - VN_OFFSET_MIN * 60000, withTime);
  }

  // Month ticks and tooltips of a monthly series: "T4/2026", never the day "01/04".
  function shiftedMonthText(value) {
    return formatMonth(value - VN_OFFSET_MIN * 60000);
  }

  /**
   * Time-series line chart.
   * cfg: {series: [{name, data: [[isoTime, value|null], ...], color?}], yName, unit?,
   *       decimals? (tooltip; default up to 1), markLines?: [{value, label}],
   *       colorByAqi?: bool (colour the line by VN_AQI band), yMin?, yMax?, area?: bool,
   *       dataZoom?: bool (default true), animation?: bool (default false),
   *       period?: "month" (monthly figures: axis and tooltip name months, "T4/2026"; found
   *       by itself when every point is a month's first day)}
   */
  function lineChart(elId, cfg) {
    cfg = cfg || {};
    var chart = makeChart(elId);
    var monthly = cfg.period === "month" || (cfg.period === undefined && isMonthly(cfg.series));
    var series = (cfg.series || []).map(function (s, i) {
      var out = {
        name: s.name,
        type: "line",
        showSymbol: false,
        symbolSize: 6,
        connectNulls: false,
        smooth: false,
        lineStyle: { width: 2 },
        data: (s.data || []).map(function (p) {
          return [shift(toMs(p[0])), p[1] === undefined ? null : p[1]];
        })
      };
      if (s.color) { out.itemStyle = { color: s.color }; out.lineStyle.color = s.color; }
      if (cfg.area) { out.areaStyle = { opacity: 0.08 }; }
      if (i === 0) { out.markLine = markLineOf(cfg.markLines); }
      return out;
    });
    var unit = cfg.unit ? " " + cfg.unit : "";

    // ECharts puts this string in the page as HTML: every value is escaped; p.marker is
    // ECharts' own colour dot (it HTML-encodes the colour itself).
    function lineTooltip(params) {
      if (!params || !params.length) { return ""; }
      var when = monthly ? shiftedMonthText(params[0].value[0])
        : shiftedTimeText(params[0].value[0], true);
      var html = '<div style="font-weight:600">' + escapeHtml(when) + "</div>";
      params.forEach(function (p) {
        var v = p.value[1];
        html += "<div>" + p.marker + escapeHtml(
          (p.seriesName || "") + ": " + formatNumber(v, cfg.decimals) +
          (v === null || v === undefined ? "" : unit)) + "</div>";
      });
      return html;
    }

    var option = {
      animation: cfg.animation === true,
      useUTC: true,
      color: ["#1565C0", "#E65100", "#2E7D32", "#6A1B9A", "#00838F", "#AD1457", "#5D4037"],
      grid: {
        left: 16, right: markRight(cfg), top: series.length > 1 ? 48 : 36, bottom: 64,
        containLabel: true
      },
      legend: series.length > 1 ? { top: 4, type: "scroll" } : undefined,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "line" },
        formatter: lineTooltip
      },
      xAxis: {
        type: "time",
        // Monthly figures: ticks at month starts at least, each named "T4/2026".
        minInterval: monthly ? 28 * 86400000 : undefined,
        axisLabel: {
          hideOverlap: true,
          formatter: monthly ? shiftedMonthText : axisTimeLabel,
          rich: { day: { fontWeight: "bold" } }
        },
        splitLine: { show: false }
      },
      yAxis: {
        type: "value",
        name: cfg.yName || "",
        nameTextStyle: { align: "left" },
        min: cfg.yMin,
        max: cfg.yMax,
        axisLabel: { formatter: function (v) { return formatNumber(v); } },
        splitLine: { show: true }
      },
      series: series
    };
    if (cfg.dataZoom !== false) {
      option.dataZoom = [
        { type: "inside", throttle: 50 },
        {
          type: "slider", height: 20, bottom: 8,
          labelFormatter: function (v) {
            return monthly ? shiftedMonthText(v) : shiftedTimeText(v, true);
          }
        }
      ];
    } else {
      option.grid.bottom = 24;
    }
    if (cfg.colorByAqi) {
      option.visualMap = {
        show: false,
        type: "piecewise",
        dimension: 1,
        seriesIndex: series.map(function (_s, i) { return i; }),
        pieces: [
          { lte: 50, color: "#00E400" },
          { gt: 50, lte: 100, color: "#E6D200" }, // #FFFF00 is invisible as a line on white
          { gt: 100, lte: 150, color: "#FF7E00" },
          { gt: 150, lte: 200, color: "#FF0000" },
          { gt: 200, lte: 300, color: "#8F3F97" },
          { gt: 300, color: "#7E0023" }
        ],
        outOfRange: { color: "#9AA3AD" }
      };
    }
    chart.setOption(applyTheme(option, theme(chart.getDom())));
    return chart;
  }

  // Room a category label needs (px, 12 px type) and the room a bar leaves it.
  function textWidth(text) {
    return String(text || "").length * 7;
  }

  /**
   * Every category named, whatever the screen: the category axis of a vertical bar chart
   * shows each label (interval 0), wrapped to its slot, or turned upright when the slots are
   * narrower than a word ("T11/2026" under 24 monthly bars on a phone).
   */
  function categoryLabels(labels, plotWidth) {
    var slot = plotWidth / Math.max(1, labels.length);
    var longest = 0;
    labels.forEach(function (l) { longest = Math.max(longest, textWidth(l)); });
    var words = 0;
    labels.forEach(function (l) {
      String(l || "").split(/\s+/).forEach(function (w) { words = Math.max(words, textWidth(w)); });
    });
    if (longest <= slot - 4) { return { interval: 0, hideOverlap: false }; }
    if (words <= slot - 4) {
      return { interval: 0, hideOverlap: false, width: Math.max(24, slot - 4), overflow: "break",
        lineHeight: 14 };
    }
    return { interval: 0, hideOverlap: false, rotate: slot < 30 ? 90 : 45, fontSize: 11 };
  }

  /**
   * Bar chart, each bar in its own colour (VN_AQI bands by default). Daily values (items with
   * a ``date``) are drawn on a time axis, named categories (``name``) on a category axis that
   * names every one: horizontal bars when there are many or long names. Numbers print on the
   * bars only where they fit (never 90 numbers on a phone).
   * cfg: {data: [{date: "2026-11-27" | name, value, color?, text_color?, label?}],
   *       seriesName?, yName?, markLines?: [{value, label, unit?}], showValues?: bool (default:
   *       when they fit), horizontal?: bool (default: by count and length), animation?: bool}
   * color defaults to the official band of value; label (category text) shows in the tooltip.
   */
  function barChart(elId, cfg) {
    cfg = cfg || {};
    var chart = makeChart(elId);
    var node = chart.getDom();
    var items = cfg.data || [];
    var width = node.clientWidth || 600;
    var daily = items.length > 0 && items.every(function (it) {
      return it.date && /^\d{4}-\d{2}-\d{2}/.test(it.date);
    });

    function dayText(item, withYear) {
      if (item.date) {
        var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(item.date);
        if (m) { return withYear ? m[3] + "/" + m[2] + "/" + m[1] : m[3] + "/" + m[2]; }
      }
      return item.name || item.date || "";
    }

    // HTML for ECharts: every value escaped (see lineTooltip).
    function barTooltip(p) {
      var item = items[p.dataIndex] || {};
      return '<div style="font-weight:600">' + escapeHtml(dayText(item, true)) + "</div>" +
        "<div>" + p.marker + escapeHtml(
          (cfg.seriesName || "VN_AQI") + ": " + formatNumber(item.value, 0) +
          (item.label ? " \u2014 " + item.label : "")) + "</div>";
    }

    var names = items.map(function (it) { return dayText(it, false); });
    var longest = 0;
    names.forEach(function (n) { longest = Math.max(longest, textWidth(n)); });
    var horizontal = !daily && (cfg.horizontal === true || (cfg.horizontal !== false &&
      (items.length > 8 || longest > Math.max(60, (width - 80) / Math.max(1, items.length)))));
    var perBar = horizontal ? 26 : (width - 80) / Math.max(1, items.length);
    var showValues = cfg.showValues === undefined ? perBar >= 26 : cfg.showValues && perBar >= 26;
    var nameWidth = Math.round(Math.min(220, width * (width < 600 ? 0.4 : 0.35)));
    if (horizontal) {
      // Every name on its own row, wrapped lines and all: the chart grows to hold them.
      var wanted = 72;
      names.forEach(function (n) {
        wanted += Math.max(26, Math.ceil(textWidth(n) / nameWidth) * 15 + 8);
      });
      if (node.clientHeight < wanted) {
        node.style.height = wanted + "px";
        chart.resize();
      }
    }
    var valueAxis = {
      type: "value",
      name: cfg.yName || "",
      nameTextStyle: { align: horizontal ? "right" : "left" },
      splitNumber: horizontal && width < 600 ? 2 : undefined,
      axisLabel: { hideOverlap: true, formatter: function (v) { return formatNumber(v); } },
      splitLine: { show: true }
    };
    var categoryAxis;
    if (daily) {
      categoryAxis = {
        type: "time",
        axisLabel: { hideOverlap: true, formatter: axisTimeLabel, rich: { day: { fontWeight: "bold" } } },
        splitLine: { show: false }
      };
    } else if (horizontal) {
      categoryAxis = {
        type: "category",
        inverse: true,
        data: names,
        axisTick: { alignWithLabel: true },
        axisLabel: { interval: 0, width: nameWidth, overflow: "break", lineHeight: 14 }
      };
    } else {
      categoryAxis = {
        type: "category",
        data: names,
        axisTick: { alignWithLabel: true },
        axisLabel: categoryLabels(names, width - 80)
      };
    }

    var option = {
      animation: cfg.animation === true,
      useUTC: daily,
      // Horizontal bars write their reference line's words above the bars, not on the right.
      grid: { left: 16, right: horizontal ? (showValues ? 40 : 16) : markRight(cfg), top: 36,
        bottom: 16, containLabel: true },
      tooltip: {
        trigger: "item",
        formatter: barTooltip
      },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: [{
        name: cfg.seriesName || "VN_AQI",
        type: "bar",
        barMaxWidth: 36,
        data: items.map(function (it) {
          var band = aqiBand(it.value);
          var value = it.value === undefined ? null : it.value;
          return {
            value: daily ? [shift(Date.parse(it.date.slice(0, 10) + "T00:00:00+07:00")), value]
              : value,
            itemStyle: {
              color: it.color || band.color,
              borderColor: "rgba(0,0,0,0.25)",
              borderWidth: 1,
              borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0]
            }
          };
        }),
        label: {
          show: showValues,
          position: horizontal ? "right" : "top",
          fontWeight: 600,
          formatter: function (p) {
            return formatNumber(Array.isArray(p.value) ? p.value[1] : p.value, 0);
          }
        },
        markLine: markLineOf(cfg.markLines, horizontal ? "xAxis" : "yAxis")
      }]
    };
    if (horizontal && option.series[0].markLine) {
      // The line runs down the bars: its words go above the first bar, not over the axis.
      option.series[0].markLine.label.position = "start";
    }
    chart.setOption(applyTheme(option, theme(chart.getDom())));
    return chart;
  }

  // ------------------------------------------------------------------ declarative init

  /**
   * Town names as plain text labels under the markers, so a map without tiles still reads.
   * places: [{name, lat, lon}]
   */
  function placeLabels(map, places) {
    (places || []).forEach(function (p) {
      L.marker([p.lat, p.lon], {
        interactive: false,
        keyboard: false,
        zIndexOffset: -1000,
        icon: L.divIcon({ className: "map-place", html: "", iconSize: null })
      }).addTo(map).getElement().textContent = p.name;
    });
  }

  /** Build every [data-ioc="map|line|bar"] element under root (once per element). */
  function init(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var nodes = scope.querySelectorAll("[data-ioc]");
    Array.prototype.forEach.call(nodes, function (node) {
      if (node.getAttribute("data-ioc-done") === "1") { return; }
      var src = document.getElementById(node.getAttribute("data-ioc-json") || "");
      var data = src ? JSON.parse(src.textContent || "{}") : {};
      var kind = node.getAttribute("data-ioc");
      if (kind === "map") {
        aqiMap(node, data.stations || [], data.opts || {});
      } else if (kind === "line") {
        lineChart(node, data);
      } else if (kind === "bar") {
        barChart(node, data);
      } else {
        return;
      }
      node.setAttribute("data-ioc-done", "1");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:afterSettle", function (evt) {
    init(evt.target || document);
    queueResize();
  });

  global.IOC = {
    aqiMap: aqiMap,
    placeLabels: placeLabels,
    lineChart: lineChart,
    barChart: barChart,
    init: init,
    formatNumber: formatNumber,
    formatTime: formatTime,
    formatMonth: formatMonth,
    escapeHtml: escapeHtml,
    textElement: textElement,
    aqiBand: aqiBand,
    AQI_BANDS: AQI_BANDS,
    resizeCharts: resizeAll
  };
})(window);
