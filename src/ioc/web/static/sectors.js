/*
 * Sector pages (health, education, tourism): grouped bar charts (plan vs actual, year on year)
 * and the drawing of every chart and map declared on the page. Needs ioc.js (IOC.lineChart,
 * IOC.aqiMap, IOC.formatNumber) and vendor echarts/leaflet, loaded before this file.
 *
 *   Sectors.groupedBars(elId, cfg) -> echarts instance
 *     cfg: {categories: ["T1/2026", ...], series: [{name, data: [number|null|{value, color}],
 *           color?}], yName?, decimals?, stack?: bool, horizontal?: bool, markLine?: number,
 *           markLineLabel?: "Kế hoạch năm: 100 %"}
 *     Every category is named: upright labels when the slots are narrow, wrapped names on
 *     horizontal bars; numbers on the bars only where they fit.
 *   Sectors.drawAll(charts)  draws [data-sector-chart="key"] (line: IOC.lineChart,
 *     data-kind="bars": groupedBars) from the charts object, and [data-sector-map]
 *     maps from the JSON block named by the attribute ({stations, opts, places?,
 *     choropleths?}) with the map component (IOC.aqiMap, static/map.js).
 */
(function (global) {
  "use strict";

  function groupedBars(elId, cfg) {
    cfg = cfg || {};
    var node = typeof elId === "string" ? document.getElementById(elId) : elId;
    var old = global.echarts.getInstanceByDom(node);
    if (old) { old.dispose(); }
    var chart = global.echarts.init(node, null, { renderer: "canvas" });
    var fmt = function (v) { return IOC.formatNumber(v, cfg.decimals || 0); };
    var categories = cfg.categories || [];
    var width = node.clientWidth || 600;
    var slot = (width - 80) / Math.max(1, categories.length);
    var longest = 0;
    categories.forEach(function (c) { longest = Math.max(longest, String(c).length * 7); });
    var labels = { interval: 0, hideOverlap: false };
    if (longest > slot - 4) {
      labels.rotate = slot < 30 ? 90 : 45;
      labels.fontSize = 11;
    }
    var categoryAxis = { type: "category", data: categories, axisLabel: labels };
    var valueAxis = {
      type: "value",
      name: cfg.yName || "",
      nameTextStyle: { align: "left" },
      axisLabel: { formatter: fmt }
    };
    if (cfg.horizontal) {
      categoryAxis.inverse = true;
      categoryAxis.axisLabel = {
        interval: 0, width: Math.round(Math.min(170, width * 0.4)), overflow: "break", lineHeight: 14
      };
      valueAxis.max = function (v) { return Math.max(120, Math.ceil(v.max / 10) * 10 + 10); };
      valueAxis.nameTextStyle = { align: "right" };
    }
    chart.setOption({
      animation: false,
      color: ["#9AA3AD", "#1565C0", "#2E7D32", "#E65100"],
      grid: { left: 16, right: 24, top: 48, bottom: 16, containLabel: true },
      legend: { top: 4, show: (cfg.series || []).length > 1 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (v) { return fmt(v); }
      },
      xAxis: cfg.horizontal ? valueAxis : categoryAxis,
      yAxis: cfg.horizontal ? categoryAxis : valueAxis,
      series: (cfg.series || []).map(function (s, i) {
        var data = (s.data || []).map(function (d) {
          if (d !== null && typeof d === "object") {
            return { value: d.value, itemStyle: d.color ? { color: d.color } : undefined };
          }
          return d;
        });
        var out = { name: s.name, type: "bar", barMaxWidth: 28, data: data };
        if (s.color) { out.itemStyle = { color: s.color }; }
        if (cfg.stack) { out.stack = "total"; }
        if (cfg.horizontal) {
          out.label = { show: true, position: "right", formatter: function (p) { return fmt(p.value); } };
        }
        if (i === 0 && cfg.markLine !== undefined) {
          var line = {};
          line[cfg.horizontal ? "xAxis" : "yAxis"] = cfg.markLine;
          out.markLine = {
            silent: true, symbol: "none", data: [line],
            lineStyle: { type: "dashed", color: "#C62828" },
            label: { formatter: cfg.markLineLabel || fmt(cfg.markLine) }
          };
        }
        return out;
      })
    });
    if (global.ResizeObserver) {
      new global.ResizeObserver(function () { chart.resize(); }).observe(node);
    }
    return chart;
  }

  function drawAll(charts) {
    charts = charts || {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-sector-chart]"), function (n) {
      var cfg = charts[n.getAttribute("data-sector-chart")];
      if (!cfg) { return; }
      if (n.getAttribute("data-kind") === "bars") { groupedBars(n, cfg); }
      else { IOC.lineChart(n, cfg); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-sector-map]"), function (n) {
      var src = document.getElementById(n.getAttribute("data-sector-map"));
      var data = src ? JSON.parse(src.textContent || "{}") : {};
      var opts = data.opts || {};
      if (data.choropleths) { opts.choropleths = data.choropleths; }
      // data-cluster="off": one marker per commune (nothing piles up); data-markers="off":
      // the markers wait in the layer control (the choropleth is the map's figure).
      if (n.getAttribute("data-cluster") === "off") { opts.cluster = false; }
      if (n.getAttribute("data-markers") === "off") { opts.markersOn = false; }
      var map = IOC.aqiMap(n, data.stations || [], opts);
      if (data.places) { IOC.placeLabels(map, data.places); }
    });
  }

  global.Sectors = { groupedBars: groupedBars, drawAll: drawAll };
})(window);
