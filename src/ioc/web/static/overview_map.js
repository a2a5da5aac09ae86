/*
 * IOC Đắk Lắk — the overview's province map (/): every open alert at its place (its station or
 * device, else the centre of its commune), clustered where they pile up and coloured by the
 * worst severity, and the open incidents as squares. Data: the #overview-map-data JSON block
 * (engines/alerting/places.py). Needs the map component (templates/_map_scripts.html).
 * Titles and place names are data: popups are DOM nodes built with textContent.
 */
(function (global) {
  "use strict";

  function popupOf(p, labels, linkText) {
    var box = document.createElement("div");
    var title = document.createElement("div");
    title.className = "ioc-popup-title";
    title.textContent = (p.code ? p.code + " \u2014 " : "") + p.title;
    box.appendChild(title);
    var meta = document.createElement("div");
    meta.className = "ioc-popup-meta";
    meta.textContent = (labels[p.severity] || p.severity) + " \u00b7 " + p.place;
    box.appendChild(meta);
    var a = document.createElement("a");
    a.href = p.url;
    a.textContent = linkText + " \u2192";
    box.appendChild(a);
    return box;
  }

  function draw() {
    var node = document.getElementById("overview-map");
    var src = document.getElementById("overview-map-data");
    if (!node || !src || !global.IOC || !global.IOC.map) { return; }
    var data = JSON.parse(src.textContent || "{}");
    var vi = (document.documentElement.lang || "vi").indexOf("en") !== 0;
    var labels = data.severity_labels || {};
    var linkText = vi ? "Xem chi tiết" : "Details";
    var ctl = global.IOC.map.create(node, {
      tileUrl: data.tileUrl, tileAttribution: data.tileAttribution
    });
    var alerts = ctl.markers(vi ? "Cảnh báo đang mở" : "Open alerts", { radius: 36 });
    (data.alerts || []).forEach(function (p) {
      var m = ctl.dotMarker([p.lat, p.lon], { severity: p.severity, title: p.place + " \u2014 " + p.title });
      m.bindPopup(popupOf(p, labels, linkText));
      alerts.addLayer(m);
    });
    var incidents = ctl.markers(vi ? "Sự cố đang xử lý" : "Open incidents", { cluster: false });
    (data.incidents || []).forEach(function (p) {
      var m = ctl.dotMarker([p.lat, p.lon], {
        severity: p.severity, size: 24, label: "!", className: "ioc-incident", shift: [14, -14],
        title: (p.code ? p.code + " " : "") + p.title
      });
      m.bindPopup(popupOf(p, labels, linkText));
      incidents.addLayer(m);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})(window);
