/*
 * IOC Đắk Lắk — big-screen mode (/wall): clock, view rotation, live map.
 * Needs vendor/leaflet/leaflet.js for the map (the rest works without it). No inline script:
 * settings come from <body data-rotate data-view data-refresh data-tile-url>, texts from the
 * #wall-i18n JSON block. The alert list and tiles refresh themselves through HTMX attributes.
 * Names and alert titles from /wall/data are shown with textContent only (never as HTML).
 *
 * Tiles: each tile's text shrinks until it fits its tile (fitTiles), at start, after every
 * refresh of the tiles, on resize and when the tiles view is shown.
 *
 * Keys: → / ← next or previous view, space pauses the rotation, f toggles full screen.
 */
(function (global) {
  "use strict";

  var VN_OFFSET_MIN = 420; // Asia/Ho_Chi_Minh = UTC+07:00, no DST
  var WEEKDAYS = {
    vi: ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"],
    en: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
  };
  var SEVERITY_ORDER = ["critical", "high", "warning", "info"];

  var body = document.body;
  var lang = (document.documentElement.lang || "vi").indexOf("en") === 0 ? "en" : "vi";
  var rotateSeconds = parseInt(body.getAttribute("data-rotate") || "20", 10);
  var refreshSeconds = Math.max(2, parseInt(body.getAttribute("data-refresh") || "5", 10));
  var tileUrl = body.getAttribute("data-tile-url") || "";
  var texts = {};
  try {
    texts = JSON.parse((document.getElementById("wall-i18n") || {}).textContent || "{}");
  } catch (e) {
    texts = {};
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  function vnNow() {
    return new Date(Date.now() + VN_OFFSET_MIN * 60000); // read with getUTC* only
  }

  // ------------------------------------------------------------------ clock

  var timeEl = document.getElementById("wall-time");
  var dateEl = document.getElementById("wall-date");

  function tick() {
    var d = vnNow();
    if (timeEl) {
      timeEl.textContent = pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes());
      var sec = document.createElement("span");
      sec.className = "wall-sec";
      sec.textContent = pad2(d.getUTCSeconds());
      timeEl.appendChild(sec);
    }
    if (dateEl) {
      dateEl.textContent = WEEKDAYS[lang][d.getUTCDay()] + ", " + pad2(d.getUTCDate()) + "/" +
        pad2(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear();
    }
  }

  function stamp() {
    var el = document.getElementById("wall-updated");
    if (!el || !texts.updated) { return; }
    var d = vnNow();
    el.textContent = texts.updated.replace("{time}",
      pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" + pad2(d.getUTCSeconds()));
  }

  // ------------------------------------------------------------------ tiles fit their screen

  // Each tile's type scales with --fit (wall.css): the largest scale at which every text of
  // the tile fits — nothing cut, nothing over the next line — found by bisection, per tile.
  var TILE_TEXTS = ".wall-tile-title, .wall-tile-figure, .wall-tile-caption, .wall-tile-foot, .tile-trend";
  var MIN_FIT = 0.3;

  function tileFits(tile) {
    if (tile.scrollHeight > tile.clientHeight + 1 || tile.scrollWidth > tile.clientWidth + 1) {
      return false;
    }
    var texts = tile.querySelectorAll(TILE_TEXTS);
    for (var i = 0; i < texts.length; i++) {
      var el = texts[i];
      if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
        return false;
      }
    }
    return true;
  }

  function fitTile(tile) {
    tile.style.setProperty("--fit", "1");
    if (tileFits(tile)) { return 1; }
    var lo = MIN_FIT;
    var hi = 1;
    for (var step = 0; step < 9; step++) {
      var mid = (lo + hi) / 2;
      tile.style.setProperty("--fit", mid.toFixed(4));
      if (tileFits(tile)) { lo = mid; } else { hi = mid; }
    }
    tile.style.setProperty("--fit", lo.toFixed(4));
    return lo;
  }

  function fitTiles() {
    var grid = document.getElementById("wall-tiles");
    if (!grid || grid.offsetParent === null) { return; } // hidden view: fit when shown
    // Each tile as large as it fits: read from across the room, size matters more than
    // every tile sharing one scale.
    Array.prototype.forEach.call(grid.querySelectorAll(".wall-tile"), fitTile);
    grid.setAttribute("data-fitted", "1");
  }

  var fitTimer = null;
  function fitSoon() {
    if (fitTimer) { global.clearTimeout(fitTimer); }
    fitTimer = global.setTimeout(function () { fitTimer = null; fitTiles(); }, 50);
  }

  // ------------------------------------------------------------------ rotation

  var views = Array.prototype.slice.call(document.querySelectorAll(".wall-view"));
  var dots = Array.prototype.slice.call(document.querySelectorAll(".wall-dots li"));
  var nameEl = document.getElementById("wall-viewname");
  var bar = document.getElementById("wall-progress-bar");
  var current = 0;
  var timer = null;
  var paused = rotateSeconds <= 0;

  function indexOf(name) {
    for (var i = 0; i < views.length; i++) {
      if (views[i].getAttribute("data-view") === name) { return i; }
    }
    return 0;
  }

  function restartBar() {
    if (!bar) { return; }
    bar.style.transition = "none";
    bar.style.width = "0";
    if (paused) { return; }
    void bar.offsetWidth; // restart the CSS transition
    bar.style.transition = "width " + rotateSeconds + "s linear";
    bar.style.width = "100%";
  }

  function show(i) {
    current = (i + views.length) % views.length;
    views.forEach(function (v, k) { v.classList.toggle("is-active", k === current); });
    var name = views[current].getAttribute("data-view");
    dots.forEach(function (d) {
      var on = d.getAttribute("data-view") === name;
      d.classList.toggle("is-active", on);
      if (on && nameEl) { nameEl.textContent = d.textContent; }
    });
    if (name === "map") { showMap(); }
    if (name === "tiles") { fitTiles(); }
    schedule();
  }

  function schedule() {
    if (timer) { global.clearTimeout(timer); timer = null; }
    restartBar();
    if (!paused) {
      timer = global.setTimeout(function () { show(current + 1); }, rotateSeconds * 1000);
    }
  }

  function togglePause() {
    paused = !paused;
    if (!paused && rotateSeconds <= 0) { rotateSeconds = 20; }
    body.classList.toggle("wall-paused", paused);
    schedule();
  }

  // ------------------------------------------------------------------ map

  var map = null;
  var layer = null;
  var lastData = null;
  var fitted = false;

  function remPx() {
    return parseFloat(global.getComputedStyle(document.documentElement).fontSize) || 16;
  }

  function sevColor(sev) {
    var probe = document.createElement("span");
    probe.className = "sev-" + (sev || "ok");
    body.appendChild(probe);
    var color = global.getComputedStyle(probe).getPropertyValue("--sev").trim();
    body.removeChild(probe);
    return color || "#2ecc71";
  }

  function ensureMap() {
    if (map || !global.L) { return map; }
    var node = document.getElementById("wall-map");
    if (!node) { return null; }
    map = global.L.map(node, {
      center: [12.9, 108.4],
      zoom: 8,
      zoomControl: false,
      attributionControl: false,
      zoomSnap: 0.25,
      // No animations: a wall repaints on its own, and an interrupted zoom animation (hidden
      // view, reduced-motion CSS) would leave the overlay scaled.
      zoomAnimation: false,
      fadeAnimation: false,
      markerZoomAnimation: false
    });
    if (tileUrl) {
      global.L.tileLayer(tileUrl, { maxZoom: 18 }).addTo(map);
    }
    layer = global.L.layerGroup().addTo(map);
    return map;
  }

  function drawMarkers(data) {
    if (!ensureMap()) { return; }
    layer.clearLayers();
    var rem = remPx();
    var points = [];
    (data.places || []).forEach(function (p) {
      global.L.marker([p.lat, p.lon], {
        interactive: false,
        keyboard: false,
        icon: global.L.divIcon({ className: "wall-place", html: "", iconSize: null })
      }).addTo(layer).getElement().textContent = p.name;
      points.push([p.lat, p.lon]); // the towns frame the map too
    });
    var colors = {};
    (data.markers || []).forEach(function (m) {
      var key = m.severity || "ok";
      if (!colors[key]) { colors[key] = sevColor(m.severity); }
      var alerting = !!m.severity;
      var marker = global.L.circleMarker([m.lat, m.lon], {
        radius: alerting ? rem * 0.75 : rem * 0.4,
        color: alerting ? "#ffffff" : "#0a1322",
        weight: alerting ? rem * 0.12 : 1,
        fillColor: colors[key],
        fillOpacity: 0.95
      });
      if (alerting) {
        // The name is data (an ingest token may set it): an element with textContent, never a
        // string, which Leaflet would parse as HTML.
        var tip = document.createElement("span");
        tip.textContent = m.name || m.code || "";
        marker.bindTooltip(tip, {
          permanent: true, direction: "auto", className: "wall-tip", offset: [rem * 0.8, 0]
        });
      }
      marker.addTo(layer);
      points.push([m.lat, m.lon]);
    });
    if (points.length && (!fitted || map.getSize().x > 0)) {
      map.invalidateSize(false);
      if (map.getSize().x > 0) {
        map.fitBounds(global.L.latLngBounds(points), {
          padding: [rem * 3, rem * 3], maxZoom: 12, animate: false
        });
        fitted = true;
      }
    }
  }

  function drawSide(data) {
    var list = document.getElementById("wall-side-list");
    var count = document.getElementById("wall-station-count");
    var markers = data.markers || [];
    if (count && texts.stations) {
      count.textContent = texts.stations.replace("{n}", String(markers.length));
    }
    if (!list) { return; }
    var alerting = markers.filter(function (m) { return !!m.severity; });
    alerting.sort(function (a, b) {
      return SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity);
    });
    list.textContent = "";
    if (!alerting.length) {
      var none = document.createElement("li");
      none.className = "sev-ok";
      none.textContent = texts.none || "";
      list.appendChild(none);
      return;
    }
    alerting.forEach(function (m) {
      var li = document.createElement("li");
      li.className = "sev-" + m.severity;
      var name = document.createElement("strong");
      name.textContent = m.name;
      li.appendChild(name);
      li.appendChild(document.createTextNode(
        (data.severity_labels || {})[m.severity] + " · " + (m.alerts || []).join("; ")));
      list.appendChild(li);
    });
  }

  function showMap() {
    ensureMap();
    if (map) {
      map.invalidateSize(false);
      fitted = false;
      if (lastData) { drawMarkers(lastData); }
    }
  }

  function fetchData() {
    if (!global.fetch) { return; }
    global.fetch("/wall/data", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        lastData = data;
        drawSide(data);
        if (views[current] && views[current].getAttribute("data-view") === "map") {
          drawMarkers(data);
        }
        stamp();
      })
      .catch(function () { /* the next poll retries; the wall keeps the last picture */ });
  }

  // ------------------------------------------------------------------ start

  function fullscreen() {
    var root = document.documentElement;
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (root.requestFullscreen) {
      root.requestFullscreen().catch(function () {});
    }
  }

  function start() {
    tick();
    global.setInterval(tick, 1000);
    dots.forEach(function (d) {
      d.addEventListener("click", function () { show(indexOf(d.getAttribute("data-view"))); });
    });
    var fs = document.getElementById("wall-fullscreen");
    if (fs) { fs.addEventListener("click", fullscreen); }
    document.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight") { show(current + 1); }
      else if (e.key === "ArrowLeft") { show(current - 1); }
      else if (e.key === " ") { e.preventDefault(); togglePause(); }
      else if (e.key === "f") { fullscreen(); }
    });
    document.addEventListener("htmx:afterSwap", stamp);
    document.addEventListener("htmx:afterSwap", function (e) {
      if (e.target && e.target.id === "view-tiles") { fitTiles(); }
    });
    global.addEventListener("resize", function () {
      if (map) { showMap(); }
      fitSoon();
    });
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fitTiles); }
    body.classList.toggle("wall-paused", paused);
    show(indexOf(body.getAttribute("data-view") || "tiles"));
    fetchData();
    global.setInterval(fetchData, refreshSeconds * 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  global.IOCWall = { show: show, refresh: fetchData, fit: fitTiles };
})(window);
