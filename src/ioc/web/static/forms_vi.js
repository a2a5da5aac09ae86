/**
 * Date, month and file inputs that speak Vietnamese whatever the browser's language.
 *
 * A native <input type="date"> follows the browser's locale: on an English Windows it shows
 * mm/dd/yyyy, "December 2026" and "Choose File" even on a Vietnamese page. In Vietnamese mode this
 * script turns each date, month and datetime-local input into a text box that reads and accepts
 * "05/12/2026", "Tháng 12/2026" or "05/12/2026 08:30", and keeps a hidden input with the ISO value
 * under the original name, so the server receives exactly what it received before. File inputs get
 * a "Chọn tệp" button and the names of the chosen files. Without JavaScript the native inputs stay
 * (progressive enhancement); in English mode nothing changes.
 *
 * No server string reaches an HTML sink: every node is built with createElement/textContent.
 */
(function () {
  "use strict";

  function isVi() {
    return (document.documentElement.lang || "vi").toLowerCase().indexOf("vi") === 0;
  }

  function pad2(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function validDay(y, m, d) {
    if (m < 1 || m > 12 || d < 1 || y < 1000 || y > 9999) { return false; }
    var probe = new Date(Date.UTC(y, m - 1, d));
    return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
  }

  // kind → how the text box shows an ISO value, reads what people type, and says what it wants.
  var KINDS = {
    date: {
      placeholder: "nn/tt/nnnn",
      hint: "Nhập ngày theo dạng ngày/tháng/năm, ví dụ 05/12/2026",
      show: function (iso) {
        var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
        return m ? m[3] + "/" + m[2] + "/" + m[1] : "";
      },
      read: function (text) {
        var iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);  // pasted ISO dates are fine too
        if (iso) { text = iso[3] + "/" + iso[2] + "/" + iso[1]; }
        var m = /^(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})$/.exec(text);
        if (!m) { return null; }
        var d = +m[1], mo = +m[2], y = +m[3];
        return validDay(y, mo, d) ? y + "-" + pad2(mo) + "-" + pad2(d) : null;
      }
    },
    month: {
      placeholder: "Tháng tt/nnnn",
      hint: "Nhập tháng theo dạng tháng/năm, ví dụ 12/2026",
      show: function (iso) {
        var m = /^(\d{4})-(\d{2})$/.exec(iso);
        return m ? "Tháng " + m[2] + "/" + m[1] : "";
      },
      read: function (text) {
        var iso = /^(\d{4})-(\d{2})$/.exec(text);
        if (iso) { text = iso[2] + "/" + iso[1]; }
        var m = /^(?:th[aá]ng\s*)?(\d{1,2})[\/.\-](\d{4})$/i.exec(text);
        if (!m) { return null; }
        var mo = +m[1], y = +m[2];
        return mo >= 1 && mo <= 12 && y >= 1000 ? y + "-" + pad2(mo) : null;
      }
    },
    "datetime-local": {
      placeholder: "nn/tt/nnnn gg:pp",
      hint: "Nhập ngày giờ theo dạng ngày/tháng/năm giờ:phút, ví dụ 05/12/2026 08:30",
      show: function (iso) {
        var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
        return m ? m[3] + "/" + m[2] + "/" + m[1] + " " + m[4] + ":" + m[5] : "";
      },
      read: function (text) {
        var iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})/.exec(text);
        if (iso) { text = iso[3] + "/" + iso[2] + "/" + iso[1] + " " + iso[4]; }
        var m = /^(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})(?:\s+(\d{1,2})[:h](\d{2}))?$/.exec(text);
        if (!m) { return null; }
        var d = +m[1], mo = +m[2], y = +m[3];
        var h = m[4] === undefined ? 0 : +m[4], mi = m[5] === undefined ? 0 : +m[5];
        if (!validDay(y, mo, d) || h > 23 || mi > 59) { return null; }
        return y + "-" + pad2(mo) + "-" + pad2(d) + "T" + pad2(h) + ":" + pad2(mi);
      }
    }
  };

  function enhanceDate(input, kind) {
    var spec = KINDS[kind];
    var name = input.getAttribute("name");
    if (!name) { return; }
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = name;
    hidden.value = input.value || input.getAttribute("value") || "";
    var shown = spec.show(hidden.value);
    input.removeAttribute("name");
    input.removeAttribute("min");
    input.removeAttribute("max");
    input.removeAttribute("step");
    input.type = "text";
    input.value = shown;
    input.setAttribute("placeholder", spec.placeholder);
    input.setAttribute("autocomplete", "off");
    input.setAttribute("data-vi-input", kind);
    input.setAttribute("title", spec.hint);
    if (kind !== "month") { input.setAttribute("inputmode", "numeric"); }
    input.parentNode.insertBefore(hidden, input.nextSibling);

    function sync() {
      var text = (input.value || "").trim();
      if (text === "") {
        hidden.value = "";
        input.setCustomValidity("");
        return;
      }
      var iso = spec.read(text);
      if (iso === null) {
        hidden.value = "";
        input.setCustomValidity(spec.hint);
      } else {
        hidden.value = iso;
        input.setCustomValidity("");
      }
    }
    input.addEventListener("input", sync);
    input.addEventListener("change", function () {
      sync();
      var iso = hidden.value;
      if (iso) { input.value = spec.show(iso); }
    });
  }

  function fileSummary(input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (files.length === 0) { return "Chưa chọn tệp nào"; }
    var names = files.map(function (f) { return f.name; });
    return files.length === 1 ? names[0] : files.length + " tệp: " + names.join(", ");
  }

  function enhanceFile(input) {
    if (!input.id) { input.id = "vi-file-" + Math.random().toString(36).slice(2, 9); }
    var box = document.createElement("span");
    box.className = "vi-file";
    var button = document.createElement("label");
    button.className = "btn btn-secondary vi-file-button";
    button.setAttribute("for", input.id);
    button.textContent = input.multiple ? "Chọn tệp…" : "Chọn tệp";
    var names = document.createElement("span");
    names.className = "vi-file-names muted small";
    names.setAttribute("aria-live", "polite");
    names.textContent = fileSummary(input);
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    box.appendChild(button);
    box.appendChild(names);
    input.classList.add("vi-file-native");
    input.addEventListener("change", function () { names.textContent = fileSummary(input); });
  }

  function init(root) {
    if (!isVi()) { return; }
    var scope = root && root.querySelectorAll ? root : document;
    var inputs = scope.querySelectorAll(
      'input[type="date"], input[type="month"], input[type="datetime-local"], input[type="file"]'
    );
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.hasAttribute("data-native")) { return; }
      var kind = input.getAttribute("type");
      if (kind === "file") {
        // Inputs that already carry their own Vietnamese picker (the citizen's photo field).
        if (input.classList.contains("fr-file-input") || input.classList.contains("vi-file-native")) { return; }
        enhanceFile(input);
      } else {
        enhanceDate(input, kind);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:afterSettle", function (evt) { init(evt.target || document); });
})();
