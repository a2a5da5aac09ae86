/* Public-services pages: the 12-month trend chart and the communes' on-time map (map.js). */
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
    if (!map || !node || !IOC.map) { return; }
    // Per commune, colour = the on-time rate of its dossiers (QĐ 766 indicator 2.1).
    var m = IOC.map.create(node, { tileUrl: map.tileUrl, tileAttribution: map.tileAttribution });
    if (map.choropleth) { m.choropleth(map.choropleth); }
  });
})();
