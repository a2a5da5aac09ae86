/*
 * Planning map (packs/planning, /public/quy-hoach): zones and assets as toggles on the shared
 * map (IOC.map), a click asks /api/v1/planning/lookup "what applies here?" and lists the
 * commune, the zones with land use and limits and the assets within 50 m; an asset can be
 * reported broken (POST /api/v1/planning/assets/{code}/reports). Server values are data:
 * every node is built with textContent, never innerHTML.
 */
(function (global) {
  "use strict";
  var IOC = global.IOC, L = global.L;
  var cfg = JSON.parse(document.getElementById("pl-config").textContent);
  var T = cfg.texts;
  var STATUS_COLORS = {working: "#1a7f37", broken: "#cf222e", maintenance: "#bf8700", retired: "#6e7781"};
  var m = IOC.map.create("pl-map", {tileUrl: cfg.tileUrl, tileAttribution: cfg.tileAttribution});
  var marker = null, current = null, last = null;

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function byId(id) { return document.getElementById(id); }

  function getJson(url) {
    return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); });
  }

  // Layers: zones (polygons) and assets (points and lines), each a toggle in the layer control.
  getJson("/api/v1/planning/zones.geojson").then(function (res) {
    var layer = L.geoJSON(res.body, {
      style: function () { return {color: "#8250df", weight: 1.5, fillOpacity: 0.15}; },
      onEachFeature: function (f, lyr) {
        lyr.bindTooltip(IOC.textElement(f.properties.zone_code + " — " + f.properties.land_use));
      },
      interactive: false
    });
    m.overlay(T.zonesLayer, layer, true);
  });
  getJson("/api/v1/planning/assets.geojson").then(function (res) {
    var layer = L.geoJSON(res.body, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 6, weight: 1, color: "#fff",
          fillColor: STATUS_COLORS[f.properties.status] || "#0969da", fillOpacity: 0.95});
      },
      style: function (f) { return {color: STATUS_COLORS[f.properties.status] || "#0969da", weight: 3}; },
      onEachFeature: function (f, lyr) {
        lyr.bindTooltip(IOC.textElement(f.properties.name + " — " + f.properties.status_name));
        lyr.on("click", function (e) { L.DomEvent.stopPropagation(e); lookup(e.latlng.lat, e.latlng.lng); });
      }
    });
    m.overlay(T.assetsLayer, layer, true);
  });

  function day(iso) {
    var p = String(iso || "").split("-");
    if (p.length !== 3) { return String(iso || ""); }
    return cfg.lang === "en" ? iso : p[2] + "/" + p[1] + "/" + p[0];
  }

  function limitsText(limits) {
    var parts = [];
    ["density", "max_height", "max_floors", "far", "min_lot"].forEach(function (k) {
      if (limits && limits[k] !== undefined && limits[k] !== null) {
        parts.push(T[k] + ": " + IOC.formatNumber(limits[k], k === "far" ? 1 : 0));
      }
    });
    return parts.join(" · ");
  }

  function showReport(asset) {
    current = asset;
    byId("pl-report-asset").textContent = asset.name + " — " + asset.status_name;
    byId("pl-report-error").hidden = true;
    byId("pl-report-done").hidden = true;
    byId("pl-report").hidden = false;
    byId("pl-report").querySelector("textarea").focus();
  }

  function render(body) {
    byId("pl-hint").hidden = true;
    byId("pl-result").hidden = false;
    byId("pl-commune").textContent = body.commune.name;
    byId("pl-point").textContent = IOC.formatNumber(body.lat, 5) + ", " + IOC.formatNumber(body.lon, 5) +
      (body.commune.approximate ? " · " + T.approximate : "");
    var zones = byId("pl-zones"); clear(zones);
    if (!body.zones.length) { zones.appendChild(el("li", T.noZone, "muted")); }
    body.zones.forEach(function (z) {
      var li = el("li", null, "pl-zone");
      li.appendChild(el("strong", z.zone_code + " — " + z.land_use));
      li.appendChild(el("div", z.plan.name, "small"));
      li.appendChild(el("div", T.decision + " " + z.plan.decision_number + " (" + day(z.plan.decision_date) + ")", "small muted"));
      var lim = limitsText(z.limits);
      if (lim) { li.appendChild(el("div", lim, "small")); }
      zones.appendChild(li);
    });
    var assets = byId("pl-assets"); clear(assets);
    if (!body.assets.length) { assets.appendChild(el("li", T.noAsset, "muted")); }
    body.assets.forEach(function (a) {
      var li = el("li", null, "pl-asset");
      li.setAttribute("data-code", a.code);
      li.appendChild(el("strong", a.name));
      li.appendChild(el("div", a.kind_name + " · " + a.status_name + " · " +
        IOC.formatNumber(a.distance_m, 0) + " " + T.metres, "small"));
      li.appendChild(el("div", a.agency_name, "small muted"));
      var open = el("div", null, "small pl-open"); li.appendChild(open);
      getJson("/api/v1/planning/assets/" + encodeURIComponent(a.code)).then(function (res) {
        if (res.ok && res.body.open_reports.length) {
          open.textContent = T.openReports + ": " + res.body.open_reports.map(function (r) {
            return r.code + " (" + r.status_label + ")";
          }).join(", ");
        }
      });
      var btn = el("button", T.report, "btn btn-ghost btn-sm pl-report-btn");
      btn.type = "button";
      btn.addEventListener("click", function () { showReport(a); });
      li.appendChild(btn);
      assets.appendChild(li);
    });
  }

  function lookup(lat, lon) {
    last = [lat, lon];
    if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.marker([lat, lon]).addTo(m.map); }
    byId("pl-report").hidden = true;
    getJson("/api/v1/planning/lookup?lat=" + lat.toFixed(6) + "&lon=" + lon.toFixed(6)).then(function (res) {
      if (!res.ok) {
        byId("pl-result").hidden = true;
        byId("pl-hint").hidden = false;
        byId("pl-hint").textContent = (res.body && res.body.detail) ? String(res.body.detail) : T.error;
        return;
      }
      render(res.body);
    });
  }
  function refresh() {
    getJson("/api/v1/planning/lookup?lat=" + last[0].toFixed(6) + "&lon=" + last[1].toFixed(6))
      .then(function (res) { if (res.ok) { render(res.body); } });
  }
  m.map.on("click", function (e) { lookup(e.latlng.lat, e.latlng.lng); });
  global.IOC_PLANNING = {lookup: lookup, map: m};

  byId("pl-report-cancel").addEventListener("click", function () { byId("pl-report").hidden = true; });
  byId("pl-report").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!current) { return; }
    var form = e.target, data = {};
    ["description", "reporter_name", "reporter_phone", "reporter_email"].forEach(function (k) {
      data[k] = form.elements[k].value;
    });
    byId("pl-report-send").disabled = true;
    fetch("/api/v1/planning/assets/" + encodeURIComponent(current.code) + "/reports", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": cfg.csrf, Accept: "application/json"},
      body: JSON.stringify(data)
    }).then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        byId("pl-report-send").disabled = false;
        if (!res.ok) {
          var d = res.body && res.body.detail;
          byId("pl-report-error").textContent = d && d.error ? d.error : (typeof d === "string" ? d : T.error);
          byId("pl-report-error").hidden = false;
          return;
        }
        form.hidden = true;
        var done = byId("pl-report-done"); clear(done);
        done.appendChild(el("p", T.sent + " " + res.body.code));
        done.appendChild(el("p", T.secret + " " + res.body.secret, "small"));
        var a = el("a", T.track); a.href = res.body.tracking_url; done.appendChild(a);
        done.hidden = false;
        form.reset();
        if (last) { refresh(); }
      }, function () { byId("pl-report-send").disabled = false; });
  });
})(window);
