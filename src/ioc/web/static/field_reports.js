/*
 * Phản ánh hiện trường — behaviour of the field-report pages (citizen and staff).
 * Needs the map component before it (templates/_map_scripts.html: Leaflet, markercluster,
 * ioc.js, map.js); htmx (from base.html) for the "is this yours?" call. No inline handlers, no
 * network access but the IOC's own pages and API; maps draw the province, communes and roads
 * without tiles and add tiles when the IOC configures a server.
 *
 * Declarative hooks:
 *   [data-fr-map="pick"]     send form: tap (or drag) to set the pin (#fr-lat, #fr-lon), #fr-geo
 *                            button; #fr-commune shows the commune the server will file the
 *                            report under (GET /api/v1/geo/commune), refreshed as the pin moves
 *   [data-fr-map="point"]    one report's pin (data-lat, data-lon)
 *   [data-fr-map="reports"]  list map; markers from the JSON block named in data-fr-json
 *   [data-fr-filter=ID]      search box filtering the options of <select id=ID> (no diacritics)
 *   #fr-photos               photo input: names, count/size/type checked before sending
 *   [data-fr-copy=ID]        copy the text of #ID
 *   [data-fr-template=ID]    staff: fill <textarea id=ID> from the chosen option's data-text
 *   [data-fr-redact=ID]      staff: two clicks on the image add a box to <textarea id=ID>
 */
(function () {
  "use strict";

  var COLORS = {
    received: "#1565c0", info_requested: "#b26a00", assigned: "#1565c0",
    in_progress: "#e08a00", answered: "#1b873f", published: "#1b873f", rated: "#1b873f",
    rejected: "#6b7785", merged: "#6b7785"
  };

  function fold(text) {
    return String(text || "").toLowerCase().replace(/đ/g, "d")
      .normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/\s+/g, " ").trim();
  }

  function mapOpts() {
    var node = document.getElementById("fr-map-opts");
    return node ? JSON.parse(node.textContent || "{}") : {};
  }

  function baseMap(node, zoom) {
    var o = mapOpts();
    var ctl = window.IOC.map.create(node, { tileUrl: o.tileUrl, tileAttribution: o.tileAttribution });
    // Without a zoom of its own the map first shows the whole province, whatever its size.
    if (zoom && o.center) { ctl.map.setView(o.center, zoom, { animate: false }); }
    window.IOC.placeLabels(ctl.map, o.places || []);
    return ctl;
  }

  function pin(ctl, latlng, current) {
    if (current) { current.setLatLng(latlng); return current; }
    return ctl.dotMarker(latlng, { color: "#c62828", size: 24, className: "fr-pin" }).addTo(ctl.map);
  }

  // ------------------------------------------------------------------ send form

  function checkNearby() {
    var box = document.getElementById("fr-nearby");
    var lat = document.getElementById("fr-lat");
    var lon = document.getElementById("fr-lon");
    var cat = document.querySelector("#fr-send input[name=category]:checked");
    if (!box || !lat || !lon || !cat || !lat.value || !lon.value || !window.htmx) { return; }
    var url = box.getAttribute("data-url") + "?category=" + encodeURIComponent(cat.value) +
      "&lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value);
    window.htmx.ajax("GET", url, { target: "#fr-nearby", swap: "innerHTML" });
  }

  // The commune the server will file the report under: asked of the server for every position
  // of the pin (the server decides, from its boundaries), the newest answer wins.
  var communeAsked = 0;
  // The ask that was the newest when the citizen last chose a commune in the list: an answer
  // to that ask or an older one arrives late and must not undo the citizen's choice.
  var areaChosenAt = -1;

  function showCommune(lat, lon) {
    var box = document.getElementById("fr-commune");
    if (!box || !window.fetch) { return; }
    var ask = ++communeAsked;
    box.classList.remove("is-set", "is-out");
    box.setAttribute("data-state", "wait");
    box.textContent = box.getAttribute("data-msg-wait");
    window.fetch("/api/v1/geo/commune?lat=" + encodeURIComponent(lat.toFixed(6)) +
      "&lon=" + encodeURIComponent(lon.toFixed(6)), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (r) {
      if (r.status === 404) { return { outside: true }; }
      if (!r.ok) { throw new Error("geo/commune " + r.status); }
      return r.json();
    }).then(function (found) {
      if (ask !== communeAsked) { return; } // the pin moved again meanwhile
      box.textContent = "";
      if (found.outside) {
        box.classList.add("is-out");
        box.setAttribute("data-state", "outside");
        box.removeAttribute("data-code");
        box.textContent = box.getAttribute("data-msg-out");
        return;
      }
      box.classList.add("is-set");
      box.setAttribute("data-state", "set");
      box.setAttribute("data-code", found.code);
      box.appendChild(document.createTextNode(box.getAttribute("data-msg-set") + " "));
      var name = document.createElement("strong");
      name.textContent = found.name;
      box.appendChild(name);
      if (found.approximate) {
        var approx = document.createElement("span");
        approx.className = "fr-commune-approx";
        approx.textContent = " (" + box.getAttribute("data-msg-approx") + ")";
        box.appendChild(approx);
      }
      // The list below follows the pin: the same commune the server will use.
      var select = document.getElementById("fr-area");
      if (select && areaChosenAt < ask && Array.prototype.some.call(select.options, function (o) {
        return o.value === found.code;
      })) {
        select.value = found.code;
      }
    }).catch(function () {
      if (ask !== communeAsked) { return; }
      box.setAttribute("data-state", "error");
      box.textContent = box.getAttribute("data-msg-error");
    });
  }

  function initPick(node) {
    var latIn = document.getElementById("fr-lat");
    var lonIn = document.getElementById("fr-lon");
    var state = document.getElementById("fr-pin-state");
    var ctl = baseMap(node, null);
    var map = ctl.map;
    var marker = null;
    var area = document.getElementById("fr-area");
    if (area) {
      area.addEventListener("change", function () { areaChosenAt = communeAsked; });
    }

    function place(lat, lon) {
      var fresh = !marker;
      marker = pin(ctl, [lat, lon], marker);
      if (fresh) {
        marker.dragging.enable();
        marker.on("dragend", function () {
          var ll = marker.getLatLng();
          setPoint(ll.lat, ll.lng, null);
        });
      }
    }

    function setPoint(lat, lon, zoom) {
      latIn.value = lat.toFixed(6);
      lonIn.value = lon.toFixed(6);
      place(lat, lon);
      if (zoom) { map.setView([lat, lon], zoom); }
      if (state) {
        state.textContent = state.getAttribute("data-msg-set") + " " +
          lat.toFixed(5) + ", " + lon.toFixed(5);
        state.classList.add("is-set");
      }
      showCommune(lat, lon);
      checkNearby();
    }

    if (latIn.value && lonIn.value && isFinite(latIn.value) && isFinite(lonIn.value)) {
      place(Number(latIn.value), Number(lonIn.value));
      map.setView([Number(latIn.value), Number(lonIn.value)], 14);
      if (state) { state.classList.add("is-set"); }
      showCommune(Number(latIn.value), Number(lonIn.value));
    }
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, null); });

    var geo = document.getElementById("fr-geo");
    if (geo) {
      geo.addEventListener("click", function () {
        if (!navigator.geolocation) {
          state.textContent = geo.getAttribute("data-msg-fail");
          return;
        }
        state.textContent = geo.getAttribute("data-msg-wait");
        navigator.geolocation.getCurrentPosition(function (pos) {
          setPoint(pos.coords.latitude, pos.coords.longitude, 16);
        }, function () {
          state.textContent = geo.getAttribute("data-msg-fail");
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
    Array.prototype.forEach.call(
      document.querySelectorAll("#fr-send input[name=category]"),
      function (radio) { radio.addEventListener("change", checkNearby); }
    );
  }

  // The "is this yours?" fragment may name the commune of the pin: preselect it if empty.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.detail && evt.detail.target;
    if (!target || target.id !== "fr-nearby") { return; }
    var hint = target.querySelector("[data-fr-resolved]");
    var select = document.getElementById("fr-area");
    if (hint && select && !select.value) { select.value = hint.getAttribute("data-fr-resolved"); }
  });

  function initPhotos(input) {
    var list = document.getElementById("fr-photo-list");
    var error = document.getElementById("fr-photo-error");
    var maxBytes = Number(input.getAttribute("data-max-bytes"));
    var maxCount = Number(input.getAttribute("data-max-count"));
    var types = ["image/jpeg", "image/png", "image/webp"];
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      var problems = [];
      list.textContent = "";
      if (files.length > maxCount) { problems.push(input.getAttribute("data-msg-count")); }
      files.forEach(function (f) {
        var li = document.createElement("li");
        li.textContent = f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)";
        if (f.size > maxBytes) {
          problems.push(f.name + ": " + input.getAttribute("data-msg-size"));
          li.className = "is-bad";
        } else if (f.type && types.indexOf(f.type) < 0) {
          problems.push(f.name + ": " + input.getAttribute("data-msg-type"));
          li.className = "is-bad";
        }
        list.appendChild(li);
      });
      error.hidden = problems.length === 0;
      error.textContent = problems.join(" ");
      input.setAttribute("aria-invalid", problems.length ? "true" : "false");
    });
  }

  // ------------------------------------------------------------------ other maps

  function initPoint(node) {
    var lat = Number(node.getAttribute("data-lat"));
    var lon = Number(node.getAttribute("data-lon"));
    var ctl = baseMap(node, 14);
    if (isFinite(lat) && isFinite(lon)) {
      pin(ctl, [lat, lon], null);
      ctl.fitTo([[lat, lon]], 14);
    }
  }

  function initReports(node) {
    var src = document.getElementById(node.getAttribute("data-fr-json") || "");
    var items = src ? JSON.parse(src.textContent || "[]") : [];
    var ctl = baseMap(node, null);
    // Reports at one place (a pothole reported by several people) gather in a cluster.
    var group = ctl.markers(node.getAttribute("aria-label") || "", {
      radius: 36,
      clusterColor: function () { return { fill: "#41566f", text: "#ffffff" }; }
    });
    var points = [];
    items.forEach(function (r) {
      if (r.lat === null || r.lon === null) { return; }
      var m = ctl.dotMarker([r.lat, r.lon], {
        color: COLORS[r.status] || "#6b7785", size: 18, title: r.code
      });
      var box = document.createElement("div");
      var a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.code;
      a.className = "fr-pop-code";
      box.appendChild(a);
      var cat = document.createElement("div");
      cat.textContent = r.category || "";
      box.appendChild(cat);
      var st = document.createElement("div");
      st.className = "muted";
      st.textContent = r.label || "";
      box.appendChild(st);
      m.bindPopup(box);
      group.addLayer(m);
      points.push([r.lat, r.lon]);
    });
    if (points.length) { ctl.fitTo(points, 12, 48); }
  }

  // ------------------------------------------------------------------ small helpers

  function initFilter(input) {
    var select = document.getElementById(input.getAttribute("data-fr-filter"));
    if (!select) { return; }
    input.addEventListener("input", function () {
      var q = fold(input.value);
      var first = null;
      Array.prototype.forEach.call(select.options, function (opt) {
        if (!opt.value) { return; }
        var key = opt.getAttribute("data-folded") || fold(opt.textContent);
        var show = !q || key.indexOf(q) >= 0 || fold(opt.textContent).indexOf(q) >= 0;
        opt.hidden = !show;
        if (show && !first) { first = opt; }
      });
      // One match: choose it, as a phone user expects after typing the name.
      var visible = Array.prototype.filter.call(select.options, function (o) {
        return o.value && !o.hidden;
      });
      if (q && visible.length === 1 && select.value !== visible[0].value) {
        select.value = visible[0].value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function initCopy(btn) {
    btn.addEventListener("click", function () {
      var node = document.getElementById(btn.getAttribute("data-fr-copy"));
      if (!node) { return; }
      var text = node.textContent;
      var done = function () { btn.textContent = btn.getAttribute("data-msg-done"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var range = document.createRange();
        range.selectNodeContents(node);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
    });
  }

  function initTemplate(select) {
    var area = document.getElementById(select.getAttribute("data-fr-template"));
    select.addEventListener("change", function () {
      var opt = select.options[select.selectedIndex];
      var text = opt ? opt.getAttribute("data-text") : "";
      if (area && text) { area.value = text; }
    });
  }

  function initRedact(img) {
    var out = document.getElementById(img.getAttribute("data-fr-redact"));
    var first = null;
    img.addEventListener("click", function (e) {
      var rect = img.getBoundingClientRect();
      var sx = img.naturalWidth / rect.width;
      var sy = img.naturalHeight / rect.height;
      var x = Math.round((e.clientX - rect.left) * sx);
      var y = Math.round((e.clientY - rect.top) * sy);
      if (!first) {
        first = [x, y];
        img.classList.add("is-picking");
        return;
      }
      var line = [first[0], first[1], x, y].join(",");
      out.value = (out.value ? out.value.replace(/\s+$/, "") + "\n" : "") + line;
      first = null;
      img.classList.remove("is-picking");
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-fr-map]"), function (node) {
      if (!window.L || !window.IOC || !window.IOC.map) { return; }
      var kind = node.getAttribute("data-fr-map");
      if (kind === "pick") { initPick(node); }
      else if (kind === "point") { initPoint(node); }
      else if (kind === "reports") { initReports(node); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-fr-filter]"), initFilter);
    Array.prototype.forEach.call(document.querySelectorAll("[data-fr-copy]"), initCopy);
    Array.prototype.forEach.call(document.querySelectorAll("[data-fr-template]"), initTemplate);
    Array.prototype.forEach.call(document.querySelectorAll("[data-fr-redact]"), initRedact);
    var photos = document.getElementById("fr-photos");
    if (photos) { initPhotos(photos); }
    checkNearby();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
