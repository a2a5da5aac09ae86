/* Public-services pages: the 12-month trend chart and, when communes have coordinates, the map. */
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent || "{}") : null;
  }
  window.addEventListener("DOMContentLoaded", function () {
    var trend = data("trend-data");
    if (trend && document.getElementById("ps-trend")) { IOC.lineChart("ps-trend", trend); }
    var map = data("map-data");
    var node = document.getElementById("ps-map");
    if (!map || !node || typeof L === "undefined") { return; }
    var m = L.map(node, { center: [12.9, 108.4], zoom: 8, attributionControl: !!map.tileUrl });
    if (map.tileUrl) {
      L.tileLayer(map.tileUrl, { maxZoom: 18, attribution: map.tileAttribution || "" }).addTo(m);
    } else {
      node.classList.add("map-offline");
    }
    function colour(v) {
      if (v === null || v === undefined) { return "#78838f"; }
      return v >= 90 ? "#2e7d32" : (v >= 75 ? "#b26a00" : "#c62828");
    }
    var bounds = [];
    (map.items || []).forEach(function (it) {
      if (it.lat === null || it.lon === null) { return; }
      bounds.push([it.lat, it.lon]);
      L.circleMarker([it.lat, it.lon], { radius: 8, color: "#333", weight: 1,
        fillColor: colour(it.score), fillOpacity: 0.85 })
        .bindTooltip(IOC.textElement(it.name + ": " + IOC.formatNumber(it.score, 2))).addTo(m);
    });
    if (bounds.length) { m.fitBounds(L.latLngBounds(bounds), { padding: [24, 24], maxZoom: 12 }); }
  });
})();
