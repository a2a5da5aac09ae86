/*
 * IOC Đắk Lắk — big-screen mode (/wall): clock, view rotation, live map.
 * Needs the map component for the map (vendor/leaflet, leaflet.markercluster, ioc.js, map.js;
 * the rest works without them). No inline script:
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

  // The province map (static/map.js, dark): every open alert at its place — its entity, else
  // the centre of its commune — clustered where they pile up and coloured by the worst; the
  // open incidents as squares; the places with the worst alerts named on the map and listed
  // beside it, with how many alerts have a place and how many have none.
  var ctl = null;
  var alertLayer = null;
  var incidentLayer = null;
  var tipLayer = null;
  var lastData = null;
  var MAP_TIPS = 5; // places named on the map (the worst first)
  var SIDE_PLACES = 8;

  function remPx() {
    return parseFloat(global.getComputedStyle(document.documentElement).fontSize) || 16;
  }

  function fill(template, n) {
    return (template || "").replace("{n}", String(n));
  }

  function ensureMap() {
    if (ctl || !global.L || !global.IOC || !global.IOC.map) { return ctl; }
    var node = document.getElementById("wall-map");
    if (!node) { return null; }
    var rem = remPx();
    ctl = global.IOC.map.create(node, {
      dark: true,
      tileUrl: tileUrl,
      zoomControl: false,
      layersControl: false,
      // No animations: a wall repaints on its own, and an interrupted zoom animation (hidden
      // view, reduced-motion CSS) would leave the overlay scaled.
      animate: false
    });
    alertLayer = ctl.markers("", { control: false, radius: rem * 2.2, clusterSize: rem * 2.1 });
    incidentLayer = ctl.markers("", { control: false, cluster: false });
    tipLayer = global.L.layerGroup().addTo(ctl.map);
    return ctl;
  }

  /** Alerts grouped by place, worst severity first, then most alerts. */
  function byPlace(alerts) {
    var groups = {};
    var list = [];
    alerts.forEach(function (a) {
      var key = a.lat.toFixed(4) + "," + a.lon.toFixed(4) + "," + a.place;
      var g = groups[key];
      if (!g) {
        g = groups[key] = { place: a.place, lat: a.lat, lon: a.lon, how: a.how, alerts: [] };
        list.push(g);
      }
      g.alerts.push(a);
    });
    list.forEach(function (g) {
      g.severity = g.alerts.map(function (a) { return a.severity; }).sort(function (x, y) {
        return SEVERITY_ORDER.indexOf(x) - SEVERITY_ORDER.indexOf(y);
      })[0];
    });
    list.sort(function (a, b) {
      return SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
        b.alerts.length - a.alerts.length;
    });
    return list;
  }

  function drawMarkers(data) {
    if (!ensureMap()) { return; }
    var L = global.L;
    var rem = remPx();
    alertLayer.clearLayers();
    incidentLayer.clearLayers();
    tipLayer.clearLayers();
    var markers = (data.alerts || []).map(function (a) {
      return ctl.dotMarker([a.lat, a.lon], {
        severity: a.severity, size: rem * 1.05, title: a.place + " \u2014 " + a.title,
        keyboard: false
      });
    });
    alertLayer.addLayers(markers);
    (data.incidents || []).forEach(function (i) {
      incidentLayer.addLayer(ctl.dotMarker([i.lat, i.lon], {
        severity: i.severity, size: rem * 1.4, label: "!", className: "wall-incident",
        shift: [rem * 0.9, -rem * 0.9],
        title: (i.code ? i.code + " " : "") + i.title, keyboard: false
      }));
    });
    ctl.map.invalidateSize(false);
    ctl.fitProvince(Math.round(rem * 0.8));
    // The worst places named on the map, none over another. The name is data (an ingest token
    // may set it): an element with textContent, never a string, which Leaflet parses as HTML.
    var named = [];
    byPlace(data.alerts || []).forEach(function (g) {
      if (named.length >= MAP_TIPS) { return; }
      var at = ctl.map.latLngToContainerPoint([g.lat, g.lon]);
      var clash = named.some(function (p) {
        return Math.abs(p.y - at.y) < rem * 1.8 && Math.abs(p.x - at.x) < rem * 14;
      });
      if (clash) { return; }
      named.push(at);
      var marker = L.marker([g.lat, g.lon], {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "wall-tip-anchor", html: "", iconSize: [0, 0] })
      });
      var tip = document.createElement("span");
      tip.className = "sev-" + g.severity;
      tip.textContent = g.place;
      marker.bindTooltip(tip, {
        permanent: true, direction: "right", className: "wall-tip sev-" + g.severity,
        offset: [rem * 1.4, 0]
      });
      marker.addTo(tipLayer);
    });
  }

  function drawSide(data) {
    var list = document.getElementById("wall-side-list");
    var placed = document.getElementById("wall-map-placed");
    var unplaced = document.getElementById("wall-map-unplaced");
    var incidents = document.getElementById("wall-map-incidents");
    var alerts = data.alerts || [];
    if (placed) {
      placed.setAttribute("data-n", String(data.placed || 0));
      placed.textContent = fill(texts.placed, data.placed || 0);
    }
    if (unplaced) {
      unplaced.setAttribute("data-n", String(data.unplaced || 0));
      unplaced.classList.toggle("is-zero", !data.unplaced);
      unplaced.textContent = data.unplaced ? fill(texts.unplaced, data.unplaced)
        : (data.total ? texts.all_placed || "" : "");
    }
    if (incidents) {
      var n = (data.incidents || []).length;
      incidents.setAttribute("data-n", String(n));
      incidents.textContent = n ? fill(texts.incidents, n) : "";
    }
    if (!list) { return; }
    list.textContent = "";
    if (!data.total) {
      var none = document.createElement("li");
      none.className = "sev-ok";
      none.textContent = texts.none || "";
      list.appendChild(none);
      return;
    }
    var groups = byPlace(alerts);
    groups.slice(0, SIDE_PLACES).forEach(function (g) {
      var li = document.createElement("li");
      li.className = "sev-" + g.severity;
      var name = document.createElement("strong");
      name.textContent = g.place;
      li.appendChild(name);
      var text = document.createElement("span");
      text.className = "wall-side-text";
      text.textContent = fill(texts.alerts_n, g.alerts.length) + " \u00b7 " +
        ((data.severity_labels || {})[g.severity] || "") + " \u00b7 " + g.alerts[0].title;
      li.appendChild(text);
      list.appendChild(li);
    });
    var shown = Math.min(groups.length, SIDE_PLACES);
    // Only whole entries: drop the last places until the list fits its panel.
    while (list.children.length > 1 && list.scrollHeight > list.clientHeight + 1) {
      list.removeChild(list.lastChild);
      shown -= 1;
    }
    if (groups.length > shown) {
      var more = document.createElement("li");
      more.className = "wall-side-more";
      more.textContent = fill(texts.more, groups.length - shown);
      list.appendChild(more);
      if (list.children.length > 2 && list.scrollHeight > list.clientHeight + 1) {
        list.removeChild(list.children[list.children.length - 2]);
        more.textContent = fill(texts.more, groups.length - shown + 1);
      }
    }
  }

  function showMap() {
    ensureMap();
    if (ctl) {
      ctl.map.invalidateSize(false);
      if (lastData) {
        drawSide(lastData); // the list fits its panel once the panel is shown
        drawMarkers(lastData);
      } else {
        ctl.fitProvince(Math.round(remPx() * 0.8));
      }
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
      if (ctl) { showMap(); }
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
