/*
 * IOC Đắk Lắk — alerts console (/alerts): open and close a group of alerts in place.
 * A group row (one rule, one cause) has a button [data-group-toggle]; its alerts are the rows
 * tr.group-member[data-group] right after it, hidden until opened. The console's list
 * refreshes itself through HTMX: the groups open before a refresh are opened again after it,
 * and a refresh waits while a form field inside the list has the focus. No server text is put
 * into the page here: only the hidden attribute and aria-expanded change.
 */
(function (global) {
  "use strict";

  var open = {};

  function members(key) {
    return document.querySelectorAll('tr.group-member[data-group="' + key.replace(/[^\w-]/g, "") + '"]');
  }

  function setOpen(key, on) {
    if (on) { open[key] = true; } else { delete open[key]; }
    Array.prototype.forEach.call(members(key), function (row) { row.hidden = !on; });
    Array.prototype.forEach.call(
      document.querySelectorAll('[data-group-toggle="' + key.replace(/[^\w-]/g, "") + '"]'),
      function (button) { button.setAttribute("aria-expanded", on ? "true" : "false"); }
    );
  }

  function restore() {
    Object.keys(open).forEach(function (key) {
      if (members(key).length) { setOpen(key, true); } else { delete open[key]; }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-group-toggle]") : null;
    if (!button) { return; }
    var key = button.getAttribute("data-group-toggle") || "";
    setOpen(key, button.getAttribute("aria-expanded") !== "true");
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var list = document.getElementById("alert-list");
    var active = document.activeElement;
    if (list && event.target === list && active && list.contains(active) &&
        /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) {
      event.preventDefault(); // someone is typing in the list: refresh on the next tick
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "alert-list") { restore(); }
  });

  global.IOCAlerts = { open: setOpen };
})(window);
