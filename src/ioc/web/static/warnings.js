/*
 * Public warnings form: choose the affected communes in the list or on the map (the map
 * component of static/map.js; clicking a commune toggles it). Server values are data: names
 * come from the commune layer's properties and are written with textContent only.
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var list = document.getElementById("wr-communes");
    if (!list) { return; }
    var boxes = {};
    Array.prototype.forEach.call(list.querySelectorAll("input[name=areas]"), function (b) { boxes[b.value] = b; });
    var count = document.getElementById("wr-count");
    var layer = null;
    var SELECTED = { color: "#b71c1c", weight: 1.5, fillColor: "#ef6c00", fillOpacity: 0.55 };
    var PLAIN = { color: "#3f5a82", weight: 0.6, fillColor: "#ffffff", fillOpacity: 0.05 };

    function refresh() {
      var n = 0;
      Object.keys(boxes).forEach(function (code) { if (boxes[code].checked) { n += 1; } });
      if (count) { count.textContent = String(n); }
      if (layer) {
        layer.eachLayer(function (l) {
          var code = l.feature && l.feature.properties && l.feature.properties.code;
          l.setStyle(boxes[code] && boxes[code].checked ? SELECTED : PLAIN);
        });
      }
    }
    list.addEventListener("change", refresh);

    function fold(text) {
      return String(text || "").toLowerCase().replace(/\u0111/g, "d")
        .normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    }
    var filter = document.getElementById("wr-filter");
    if (filter) {
      filter.addEventListener("input", function () {
        var q = fold(filter.value).trim();
        Array.prototype.forEach.call(list.querySelectorAll(".wr-commune"), function (label) {
          var name = label.getAttribute("data-name") || "";
          label.hidden = q !== "" && fold(name).indexOf(q) < 0;
        });
      });
    }

    var el = document.getElementById("wr-map");
    var dataNode = document.getElementById("wr-map-data");
    if (!el || !window.IOC || !IOC.map || !dataNode) { return; }
    var cfg = JSON.parse(dataNode.textContent || "{}");
    var hover = document.getElementById("wr-hover");
    var m = IOC.map.create(el, { tileUrl: cfg.tileUrl, tileAttribution: cfg.tileAttribution, roads: false });
    m.communesData.then(function (data) {
      layer = L.geoJSON(data, {
        style: function () { return PLAIN; },
        onEachFeature: function (f, lyr) {
          // The commune under the pointer is named below the map (text only, no tooltip HTML).
          lyr.on("mouseover", function () {
            if (hover) { hover.textContent = (f.properties && f.properties.name) || ""; }
          });
          lyr.on("click", function () {
            var box = boxes[f.properties.code];
            if (!box) { return; }
            box.checked = !box.checked;
            refresh();
          });
        }
      }).addTo(m.map);
      refresh();
    });
  });
})();
