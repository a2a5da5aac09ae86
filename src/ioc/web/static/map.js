/*
 * IOC Đắk Lắk — the one map component: every page map and the wall are built here.
 * Needs, loaded before it: vendor/leaflet/leaflet.js, vendor/leaflet.markercluster/
 * leaflet.markercluster.js, ioc.js. Styles: leaflet.css, MarkerCluster.css, map.css
 * (templates/_map_assets.html and _map_scripts.html include them all).
 *
 *   var m = IOC.map.create(el, options)   -> controller (also IOC.map.of(el) later)
 *     options: {tileUrl, tileAttribution (only with IOC_MAP_TILE_URL; no tiles otherwise),
 *               dark (wall), zoomControl, animate, layersExpanded, minZoom, maxZoom,
 *               outline, communes, roads (base layers, default true), layersControl}
 *   m.map                     the L.Map
 *   m.ready                   Promise: outline, communes and roads are drawn
 *   m.markers(name, opts)     an overlay of markers, clustered where they overlap
 *                             opts: {cluster (default true), radius (px), clusterColor(markers)
 *                             -> {fill, text}, on (default true), control (default true)}
 *   m.stationMarker(s, opts)  the round, coloured, numbered marker of a station / commune
 *   m.dotMarker(latlng, opts) a small round marker (alerts, incidents, reports); opts: {severity
 *                             | color, size, label, title, className, shift: [dx, dy] px}
 *   m.choropleth(cfg)         per-commune colours: {name, values: {code: number|null},
 *                             notes?: {code: text}, classes?: [{max|lt, color, label}] or
 *                             scale: "count", unit?, decimals?, active? (default true)}
 *                             — a commune without a value is hatched "không có số liệu"
 *   m.overlay(name, layer, on)  another toggleable layer in the layer control
 *   m.fitProvince(), m.fitTo(latlngs, maxZoom)
 *
 * Base layers come from the IOC's own API (same origin, cached in sessionStorage):
 * /api/v1/geo/outline.geojson (Open Development Vietnam, CC BY-SA 4.0),
 * /api/v1/geo/communes.geojson (imported boundaries, or stand-in cells drawn dashed and
 * labelled "ranh giới gần đúng") and /api/v1/geo/basemap.geojson (main roads by class,
 * © OpenStreetMap contributors, ODbL). Each layer drawn adds its attribution line.
 *
 * Server values are data, never markup: tooltips and popups get DOM nodes built with
 * textContent (IOC.textElement), layer-control names go through IOC.escapeHtml (Leaflet
 * writes them as HTML). tests/web/test_js_sinks.py enforces this.
 */
(function (global) {
  "use strict";

  var L = global.L;
  var IOC = global.IOC;
  if (!L || !IOC) { throw new Error("map.js needs leaflet.js and ioc.js loaded before it"); }

  var GEO_URL = "/api/v1/geo/";
  var CACHE_KEY = "ioc.geo.v1:";
  // The province outline's bounding box (Đắk Lắk after the 2025 merger with Phú Yên).
  var PROVINCE_BOUNDS = [[12.16, 107.48], [13.70, 109.46]];
  var NO_VALUE = "\u2014";

  // Attribution lines: constants of ours (Leaflet writes them as HTML), never server text.
  var ATTRIBUTION = {
    outline: "Open Development Vietnam \u2013 \u0110\u1ecba ph\u1eadn t\u1ec9nh, CC BY-SA 4.0",
    roads: "\u00a9 <a href=\"https://www.openstreetmap.org/copyright\" target=\"_blank\" " +
      "rel=\"noopener noreferrer\">OpenStreetMap</a> contributors",
    approximate: "X\u00e3/ph\u01b0\u1eddng: ranh gi\u1edbi g\u1ea7n \u0111\u00fang"
  };

  var TEXTS = {
    vi: {
      outline: "Địa phận tỉnh",
      communes: "Ranh giới xã/phường",
      approximate: "ranh giới gần đúng",
      roads: "Đường chính",
      tiles: "Bản đồ nền",
      noData: "không có số liệu",
      noFill: "Không tô màu",
      cluster: "{n} điểm — bấm để phóng to",
      nearest: "Trạm gần nhất"
    },
    en: {
      outline: "Province outline",
      communes: "Commune boundaries",
      approximate: "approximate boundaries",
      roads: "Main roads",
      tiles: "Base map",
      noData: "no data",
      noFill: "No colouring",
      cluster: "{n} points — click to zoom in",
      nearest: "Nearest station"
    }
  };

  function texts() {
    var lang = (document.documentElement.lang || "vi").toLowerCase().indexOf("en") === 0
      ? "en" : "vi";
    return TEXTS[lang];
  }

  // A theme's base layers: the land outlined in `line` and filled with `land` (`tiles` when map
  // tiles lie under it), the province's `edge` and the `communes` borders ([colour, weight,
  // opacity, dashes]), and the national, provincial and district roads ([colour, weight,
  // opacity] each).
  function theme(line, land, tiles, edge, communes, national, provincial, district) {
    function road(s) { return { color: s[0], weight: s[1], opacity: s[2] }; }
    return {
      land: { color: line, weight: 0, fillColor: land, fillOpacity: 1 },
      landTiles: { color: line, weight: 0, fillColor: tiles, fillOpacity: 0 },
      edge: { color: edge[0], weight: edge[1], opacity: edge[2], fill: false },
      communes: { color: communes[0], weight: communes[1], opacity: communes[2], dashArray: communes[3], fill: false },
      roads: { national: road(national), provincial: road(provincial), district: road(district) }
    };
  }

  // Styles of the base layers, light pages and the dark wall.
  var STYLE = {
    light: theme("#5b6777", "#f7f4ec", "#ffffff", ["#3d4856", 2, 0.9], ["#7d8896", 0.8, 0.85, "3 3"],
      ["#c8553d", 2.6, 0.95], ["#d99a1e", 1.8, 0.95], ["#8d96a0", 1.2, 0.9]),
    dark: theme("#8fb3ff", "#0f1d33", "#0f1d33", ["#8fb3ff", 2.5, 0.9], ["#3f5a82", 1, 0.9, "4 4"],
      ["#ff9e7a", 3, 0.9], ["#e6c36a", 2, 0.8], ["#7f8fa6", 1.4, 0.8])
  };

  // Severity colours of alerts (alerts.css, wall.css).
  var SEVERITY = {
    light: { critical: "#c62828", high: "#e65100", warning: "#f9c80e", info: "#1565c0" },
    dark: { critical: "#ff4d4d", high: "#ff9326", warning: "#ffd52e", info: "#3ea0ff" }
  };
  var SEVERITY_TEXT = { critical: "#ffffff", high: "#ffffff", warning: "#2b2100", info: "#ffffff" };
  var SEVERITY_ORDER = ["critical", "high", "warning", "info"];

  // Sequential scale for counts (ColorBrewer YlOrRd), zero in its own pale class.
  var COUNT_COLORS = ["#fff7d6", "#fed976", "#fd8d3c", "#e31a1c", "#800026"];

  // ------------------------------------------------------------------ GeoJSON layers

  var loading = {};

  /** The parsed GeoJSON of /api/v1/geo/<name>.geojson, fetched once per tab session. */
  function loadLayer(name) {
    if (loading[name]) { return loading[name]; }
    var key = CACHE_KEY + name;
    var stored = null;
    try { stored = global.sessionStorage.getItem(key); } catch (e) { stored = null; }
    if (stored) {
      try {
        loading[name] = Promise.resolve(JSON.parse(stored));
        return loading[name];
      } catch (e) { /* a damaged copy: fetch again */ }
    }
    var url = GEO_URL + name + ".geojson";
    loading[name] = global.fetch(url, {
      credentials: "same-origin", headers: { Accept: "application/geo+json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error(url + " " + r.status); }
      return r.text();
    }).then(function (text) {
      try { global.sessionStorage.setItem(key, text); } catch (e) { /* quota: no cache */ }
      return JSON.parse(text);
    });
    loading[name].catch(function () { delete loading[name]; });
    return loading[name];
  }

  // ------------------------------------------------------------------ hatching for "no data"

  var HATCH_ID = "ioc-map-hatch";

  function ensureHatch() {
    if (document.getElementById(HATCH_ID)) { return; }
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "0");
    svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    var defs = document.createElementNS(ns, "defs");
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", HATCH_ID);
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "6");
    pattern.setAttribute("height", "6");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var bg = document.createElementNS(ns, "rect");
    bg.setAttribute("width", "6");
    bg.setAttribute("height", "6");
    bg.setAttribute("fill", "#eceef1");
    var line = document.createElementNS(ns, "rect");
    line.setAttribute("width", "1.5");
    line.setAttribute("height", "6");
    line.setAttribute("fill", "#b9c0c8");
    pattern.appendChild(bg);
    pattern.appendChild(line);
    defs.appendChild(pattern);
    svg.appendChild(defs);
    document.body.appendChild(svg);
  }

  var HATCH_FILL = "url(#" + HATCH_ID + ")";

  // ------------------------------------------------------------------ classes of a choropleth

  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var n = raw / p;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
  }

  /** Classes of a count: 0 on its own, then up to four equal, whole-number steps. */
  function countClasses(values) {
    var max = 0;
    Object.keys(values).forEach(function (k) {
      var v = values[k];
      if (v !== null && v !== undefined && isFinite(v) && v > max) { max = v; }
    });
    var classes = [{ max: 0, color: COUNT_COLORS[0], label: "0" }];
    if (max <= 0) { return classes; }
    var step = Math.max(1, niceStep(max / 4));
    var lo = 1;
    for (var i = 1; i < COUNT_COLORS.length && lo <= max; i++) {
      var hi = i === COUNT_COLORS.length - 1 ? Math.max(max, lo)
        : Math.max(lo, Math.min(max, step * i));
      classes.push({
        max: hi,
        color: COUNT_COLORS[i],
        label: lo === hi ? IOC.formatNumber(lo, 0)
          : IOC.formatNumber(lo, 0) + "\u2013" + IOC.formatNumber(hi, 0)
      });
      lo = hi + 1;
    }
    return classes;
  }

  function classOf(classes, v) {
    if (v === null || v === undefined || v === "" || !isFinite(v)) { return null; }
    for (var i = 0; i < classes.length; i++) {
      var c = classes[i];
      if (c.lt !== undefined && c.lt !== null) {
        if (v < c.lt) { return c; }
      } else if (c.max === undefined || c.max === null || v <= c.max) {
        return c;
      }
    }
    return classes[classes.length - 1];
  }

  // ------------------------------------------------------------------ marker icons

  function dotIcon(size, fill, text, label, className, shift) {
    var dot = document.createElement("span");
    dot.className = "ioc-dot";
    dot.style.background = fill;
    dot.style.color = text || "#000000";
    if (label !== null && label !== undefined && label !== "") { dot.textContent = String(label); }
    return L.divIcon({
      className: className || "ioc-marker",
      html: dot,
      iconSize: [size, size],
      // shift [dx, dy] draws the icon beside its point (an incident next to its alert).
      iconAnchor: [size / 2 - (shift ? shift[0] : 0), size / 2 - (shift ? shift[1] : 0)],
      popupAnchor: [0, -size / 2],
      tooltipAnchor: [size / 2, 0]
    });
  }

  function worstSeverity(markers) {
    var best = 4;
    markers.forEach(function (m) {
      var i = SEVERITY_ORDER.indexOf(m.options.iocSeverity);
      if (i >= 0 && i < best) { best = i; }
    });
    return best < 4 ? SEVERITY_ORDER[best] : null;
  }

  // ------------------------------------------------------------------ the controller

  function Controller(node, o) {
    var self = this;
    var t = texts();
    this.node = node;
    this.options = o;
    this.dark = !!o.dark;
    this.style = STYLE[this.dark ? "dark" : "light"];
    this.texts = t;
    this.choropleths = [];
    this.groups = [];
    this.approximate = false;

    var animate = o.animate !== false;
    var map = L.map(node, {
      center: o.center || [12.93, 108.47],
      zoom: o.zoom || 8,
      minZoom: o.minZoom || 6,
      maxZoom: o.maxZoom || 18,
      zoomSnap: o.zoomSnap || 0.25,
      zoomDelta: 0.5,
      zoomControl: o.zoomControl !== false,
      attributionControl: true,
      zoomAnimation: animate,
      fadeAnimation: animate,
      markerZoomAnimation: animate
    });
    this.map = map;
    map.attributionControl.setPrefix(false);
    node.classList.add("ioc-map");
    node.classList.remove("map-offline");
    if (this.dark) { node.classList.add("ioc-map-dark"); }

    function pane(name, z, interactive) {
      var p = map.createPane(name);
      p.style.zIndex = String(z);
      if (!interactive) { p.style.pointerEvents = "none"; }
      return name;
    }
    this.panes = {
      land: pane("ioc-land", 210, false),
      choropleth: pane("ioc-choropleth", 300, true),
      communes: pane("ioc-communes", 320, false),
      roads: pane("ioc-roads", 330, false),
      edge: pane("ioc-edge", 340, false)
    };

    var tiles = null;
    if (o.tileUrl) {
      tiles = L.tileLayer(o.tileUrl, {
        maxZoom: o.maxZoom || 18,
        attribution: o.tileAttribution || ""
      }).addTo(map);
    }
    this.tiles = tiles;
    var style = this.style;
    var landStyle = tiles ? style.landTiles : style.land;

    this.outline = L.geoJSON(null, {
      pane: this.panes.land, interactive: false, style: function () { return landStyle; },
      attribution: ATTRIBUTION.outline
    });
    this.edge = L.geoJSON(null, {
      pane: this.panes.edge, interactive: false, style: function () { return style.edge; }
    });
    this.communes = L.geoJSON(null, {
      pane: this.panes.communes, interactive: false,
      style: function () { return style.communes; }
    });
    this.roads = L.geoJSON(null, {
      pane: this.panes.roads, interactive: false, attribution: ATTRIBUTION.roads,
      style: function (f) {
        var cls = f && f.properties ? f.properties["class"] : "";
        return style.roads[cls] || style.roads.district;
      }
    });
    // The outline is one layer for the control: its fill below, its edge above the rest.
    this.province = L.featureGroup([this.outline, this.edge]);
    if (o.outline !== false) { this.province.addTo(map); }
    if (o.communes !== false) { this.communes.addTo(map); }
    if (o.roads !== false) { this.roads.addTo(map); }

    this.control = null;
    if (o.layersControl !== false) {
      this.control = L.control.layers(null, null, {
        collapsed: !o.layersExpanded,
        position: "topright"
      }).addTo(map);
      if (tiles) { this.control.addOverlay(tiles, IOC.escapeHtml(t.tiles)); }
      this.control.addOverlay(this.province, IOC.escapeHtml(t.outline));
      this.control.addOverlay(this.communes, IOC.escapeHtml(t.communes));
      this.control.addOverlay(this.roads, IOC.escapeHtml(t.roads));
    }
    this.legend = null;

    if (o.fit !== false) { this.fitProvince(); }

    var loads = [];
    if (o.outline !== false) {
      loads.push(loadLayer("outline").then(function (data) {
        self.outline.addData(data);
        self.edge.addData(data);
      }));
    }
    if (o.roads !== false) {
      loads.push(loadLayer("basemap").then(function (data) { self.roads.addData(data); }));
    }
    this.communesData = loadLayer("communes").then(function (data) {
      self.approximate = !!(data && (data.approximate ||
        (data.features || []).some(function (f) { return f.properties && f.properties.approximate; })));
      self.communes.addData(data);
      if (self.approximate) { self.markApproximate(); }
      return data;
    });
    loads.push(this.communesData);
    this.ready = Promise.all(loads).then(function () {
      node.setAttribute("data-map-ready", "1");
      node.classList.add("ioc-map-ready");
      return self;
    }, function (err) {
      node.setAttribute("data-map-ready", "error");
      throw err;
    });
    this.ready.catch(function () { /* the map stays usable without its base layers */ });

    // A map in a hidden tab or a resized card: redraw at its new size.
    if (global.ResizeObserver) {
      var last = [node.clientWidth, node.clientHeight];
      this.resizer = new global.ResizeObserver(function () {
        var now = [node.clientWidth, node.clientHeight];
        if (now[0] === last[0] && now[1] === last[1]) { return; }
        var wasHidden = !last[0] || !last[1];
        last = now;
        map.invalidateSize(false);
        if (wasHidden && self.fitOnShow) { self.fitOnShow(); }
      });
      this.resizer.observe(node);
    }
  }

  Controller.prototype.remove = function () {
    if (this.resizer) { this.resizer.disconnect(); }
    if (this.legend && this.legend.parentNode) { this.legend.parentNode.removeChild(this.legend); }
    this.map.remove();
    this.node._ioc = null;
  };

  /** Label the commune layer (control, attribution) as approximate stand-in cells. */
  Controller.prototype.markApproximate = function () {
    var t = this.texts;
    this.map.attributionControl.addAttribution(ATTRIBUTION.approximate);
    this.node.setAttribute("data-communes", "approximate");
    if (this.control) {
      var layers = this.control._layers || [];
      for (var i = 0; i < layers.length; i++) {
        if (layers[i].layer === this.communes) {
          layers[i].name = IOC.escapeHtml(t.communes + " (" + t.approximate + ")");
        }
      }
      if (this.control._map) { this.control._update(); }
    }
    if (this.legend) { this.updateLegend(); }
  };

  Controller.prototype.fitProvince = function (padding) {
    var self = this;
    var pad = padding === undefined ? 4 : padding;
    this.fitOnShow = function () { self.fitProvince(pad); };
    if (!this.node.clientWidth || !this.node.clientHeight) { return this; }
    this.map.fitBounds(PROVINCE_BOUNDS, { padding: [pad, pad], animate: false });
    return this;
  };

  Controller.prototype.fitTo = function (latlngs, maxZoom, padding) {
    var self = this;
    var points = (latlngs || []).filter(function (p) { return p; });
    if (!points.length) { return this.fitProvince(); }
    this.fitOnShow = function () { self.fitTo(points, maxZoom, padding); };
    if (!this.node.clientWidth || !this.node.clientHeight) { return this; }
    var pad = padding === undefined ? 32 : padding;
    if (points.length === 1) {
      this.map.setView(points[0], maxZoom || 12, { animate: false });
    } else {
      this.map.fitBounds(L.latLngBounds(points), {
        padding: [pad, pad], maxZoom: maxZoom || 12, animate: false
      });
    }
    return this;
  };

  /** Add a layer to the map and, named, to the layer control (name is text, not HTML). */
  Controller.prototype.overlay = function (name, layer, on) {
    if (on !== false) { layer.addTo(this.map); }
    if (this.control && name) { this.control.addOverlay(layer, IOC.escapeHtml(name)); }
    return layer;
  };

  /** An overlay of markers; overlapping ones are clustered (leaflet.markercluster). */
  Controller.prototype.markers = function (name, opts) {
    opts = opts || {};
    var self = this;
    var group;
    if (opts.cluster === false || !L.markerClusterGroup) {
      group = L.featureGroup();
    } else {
      group = L.markerClusterGroup({
        maxClusterRadius: opts.radius || 40,
        showCoverageOnHover: false,
        spiderfyOnMaxZoom: true,
        zoomToBoundsOnClick: true,
        animate: this.options.animate !== false,
        chunkedLoading: true,
        iconCreateFunction: function (cluster) {
          return self.clusterIcon(cluster, opts);
        }
      });
    }
    group.iocName = name || "";
    this.groups.push(group);
    if (opts.control === false) {
      if (opts.on !== false) { group.addTo(this.map); }
    } else {
      this.overlay(name, group, opts.on);
    }
    return group;
  };

  Controller.prototype.clusterIcon = function (cluster, opts) {
    var children = cluster.getAllChildMarkers();
    var n = cluster.getChildCount();
    var look = opts.clusterColor ? opts.clusterColor(children) : null;
    if (!look) {
      var sev = worstSeverity(children);
      look = sev ? this.severityLook(sev) : { fill: this.dark ? "#3a5a8c" : "#41566f", text: "#ffffff" };
    }
    var base = opts.clusterSize || (this.dark ? 44 : 34);
    var size = Math.round(base + Math.min(18, Math.log(n) * 4));
    var box = document.createElement("span");
    box.className = "ioc-cluster-dot";
    box.style.background = look.fill;
    box.style.color = look.text || "#ffffff";
    box.textContent = String(n);
    var icon = L.divIcon({
      className: "ioc-cluster",
      html: box,
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2]
    });
    return icon;
  };

  Controller.prototype.severityLook = function (sev) {
    var colors = SEVERITY[this.dark ? "dark" : "light"];
    return {
      fill: colors[sev] || (this.dark ? "#2ecc71" : "#5b6777"),
      text: this.dark && sev !== "critical" ? "#0a0f18" : (SEVERITY_TEXT[sev] || "#ffffff")
    };
  };

  /**
   * A round marker with a number (station VN_AQI, bed occupancy …).
   * s: {lat, lon, name, code?, value (number|null), label? (text drawn), color, text_color}
   * opts: {radius (px, default 16)}
   */
  Controller.prototype.stationMarker = function (s, opts) {
    opts = opts || {};
    var radius = opts.radius || 16;
    var lat = Number(s.lat);
    var lon = Number(s.lon);
    if (s.lat === null || s.lon === null || !isFinite(lat) || !isFinite(lon)) { return null; }
    var hasValue = s.value !== null && s.value !== undefined && isFinite(s.value);
    var label = s.label !== undefined ? s.label : (hasValue ? IOC.formatNumber(s.value, 0) : NO_VALUE);
    var icon = dotIcon(radius * 2, s.color || "#c4cad1", s.text_color || "#1b2430", label,
      opts.className || "ioc-marker aqi-label");
    return L.marker([lat, lon], {
      icon: icon,
      title: s.name || s.code || "",
      alt: opts.alt || ((s.name || "") + " " + label),
      keyboard: true,
      riseOnHover: true,
      iocValue: hasValue ? Number(s.value) : null,
      iocColor: s.color || null,
      iocTextColor: s.text_color || null,
      iocLabel: label,
      iocSeverity: s.severity || null
    });
  };

  /** A small round marker (an alert, an incident, a report), coloured by severity or color. */
  Controller.prototype.dotMarker = function (latlng, opts) {
    opts = opts || {};
    var look = opts.severity ? this.severityLook(opts.severity)
      : { fill: opts.color || "#41566f", text: opts.textColor || "#ffffff" };
    var size = opts.size || (this.dark ? 26 : 20);
    return L.marker(latlng, {
      icon: dotIcon(size, look.fill, look.text, opts.label || "",
        "ioc-marker ioc-dot-marker" + (opts.className ? " " + opts.className : ""), opts.shift),
      title: opts.title || "",
      alt: opts.title || "",
      keyboard: opts.keyboard !== false,
      riseOnHover: true,
      iocSeverity: opts.severity || null,
      iocValue: opts.value === undefined ? null : opts.value
    });
  };

  // ------------------------------------------------------------------ choropleths

  /**
   * Colour every commune by its figure. cfg: {name, values: {code: number|null},
   * notes?: {code: text}, classes?: [{max|lt, color, label}] | scale: "count", unit?,
   * decimals?, active? (default true), title? (legend heading)}
   * Returns the layer (filled once the commune polygons are loaded).
   */
  Controller.prototype.choropleth = function (cfg) {
    var self = this;
    var t = this.texts;
    cfg = cfg || {};
    var values = cfg.values || {};
    var notes = cfg.notes || {};
    var classes = cfg.classes && cfg.classes.length ? cfg.classes : countClasses(values);
    ensureHatch();
    var layer = L.geoJSON(null, {
      pane: this.panes.choropleth,
      style: function (f) {
        var v = values[f.properties.code];
        var c = classOf(classes, v);
        return {
          color: self.dark ? "#0a1322" : "#ffffff",
          weight: 0.6,
          opacity: 0.9,
          fillColor: c ? c.color : HATCH_FILL,
          fillOpacity: c ? (cfg.opacity || 0.72) : 0.85
        };
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties || {};
        var v = values[p.code];
        var has = v !== null && v !== undefined && isFinite(v);
        var box = document.createElement("div");
        box.className = "ioc-map-tip";
        var title = document.createElement("strong");
        title.textContent = p.name || p.code || "";
        box.appendChild(title);
        var line = document.createElement("div");
        line.textContent = (cfg.name ? cfg.name + ": " : "") +
          (has ? IOC.formatNumber(v, cfg.decimals) + (cfg.unit ? " " + cfg.unit : "") : t.noData);
        box.appendChild(line);
        if (notes[p.code]) {
          var note = document.createElement("div");
          note.className = "ioc-map-tip-note";
          note.textContent = notes[p.code];
          box.appendChild(note);
        }
        if (p.approximate || self.approximate) {
          var approx = document.createElement("div");
          approx.className = "ioc-map-tip-note";
          approx.textContent = t.approximate;
          box.appendChild(approx);
        }
        lyr.bindTooltip(box, { sticky: true, direction: "top", className: "ioc-map-tooltip" });
      }
    });
    layer.iocChoropleth = { cfg: cfg, classes: classes, values: values };
    this.choropleths.push(layer);
    this.communesData.then(function (data) { layer.addData(data); });

    if (!this.noFill) {
      this.noFill = L.layerGroup();
      if (this.control) { this.control.addBaseLayer(this.noFill, IOC.escapeHtml(t.noFill)); }
    }
    if (this.control) { this.control.addBaseLayer(layer, IOC.escapeHtml(cfg.name || "")); }
    var others = this.choropleths.filter(function (l) { return l !== layer; });
    var anyOn = others.some(function (l) { return self.map.hasLayer(l); });
    if (cfg.active !== false && !anyOn) {
      layer.addTo(this.map);
    } else if (!anyOn && !this.map.hasLayer(this.noFill)) {
      this.noFill.addTo(this.map);
    }
    if (!this.legend) {
      // Under the map, not on it: a legend over a small map would hide communes.
      this.legend = document.createElement("div");
      this.legend.className = "ioc-map-legend";
      this.node.parentNode.insertBefore(this.legend, this.node.nextSibling);
      this.map.on("baselayerchange", function () { self.updateLegend(); });
    }
    if (this.map.hasLayer(layer) && this.map.hasLayer(this.noFill)) {
      this.map.removeLayer(this.noFill);
    }
    this.updateLegend();
    return layer;
  };

  Controller.prototype.updateLegend = function () {
    if (!this.legend) { return; }
    var box = this.legend;
    var t = this.texts;
    var map = this.map;
    var active = this.choropleths.filter(function (l) { return map.hasLayer(l); })[0];
    box.textContent = "";
    box.hidden = !active;
    if (!active) { return; }
    var info = active.iocChoropleth;
    var head = document.createElement("div");
    head.className = "ioc-map-legend-title";
    head.textContent = info.cfg.title || info.cfg.name || "";
    box.appendChild(head);
    var list = document.createElement("ul");
    function item(fill, text, hatched) {
      var li = document.createElement("li");
      var sw = document.createElement("span");
      sw.className = "ioc-swatch" + (hatched ? " ioc-swatch-none" : "");
      if (!hatched) { sw.style.background = fill; }
      li.appendChild(sw);
      li.appendChild(document.createTextNode(text));
      list.appendChild(li);
    }
    info.classes.forEach(function (c) { item(c.color, c.label || "", false); });
    item(null, t.noData, true);
    box.appendChild(list);
    if (this.approximate) {
      var note = document.createElement("div");
      note.className = "ioc-map-legend-note";
      note.textContent = t.communes + ": " + t.approximate;
      box.appendChild(note);
    }
  };

  // ------------------------------------------------------------------ for tests and pages

  /** What the map holds: every marker of every overlay, clustered or not, and the clusters
   * drawn now. */
  Controller.prototype.describe = function () {
    var out = { markers: [], clusters: [], approximate: this.approximate };
    this.groups.forEach(function (g) {
      g.eachLayer(function (m) {
        var o = m.options || {};
        out.markers.push({
          group: g.iocName, title: o.title || "", label: o.iocLabel === undefined ? null : o.iocLabel,
          value: o.iocValue === undefined ? null : o.iocValue, color: o.iocColor || null,
          severity: o.iocSeverity || null
        });
      });
    });
    Array.prototype.forEach.call(this.node.querySelectorAll(".ioc-cluster"), function (el) {
      out.clusters.push(Number(el.textContent));
    });
    return out;
  };

  function create(el, options) {
    var node = typeof el === "string" ? document.getElementById(el) : el;
    if (!node) { throw new Error("IOC.map: no element #" + el); }
    if (node._ioc) { node._ioc.remove(); }
    var ctl = new Controller(node, options || {});
    node._ioc = ctl;
    node._iocMap = ctl.map;
    return ctl;
  }

  function of(el) {
    var node = typeof el === "string" ? document.getElementById(el) : el;
    return node ? node._ioc || null : null;
  }

  IOC.map = {
    create: create,
    of: of,
    load: loadLayer,
    countClasses: countClasses,
    classOf: classOf,
    worstSeverity: worstSeverity,
    SEVERITY_ORDER: SEVERITY_ORDER,
    PROVINCE_BOUNDS: PROVINCE_BOUNDS
  };
})(window);
