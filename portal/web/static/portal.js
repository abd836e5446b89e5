// portal.js: what script adds to the portal's pages, none of it needed
// (every page works without): times in the browser's own time zone, copy
// buttons, the revoke confirmation as a modal <dialog> instead of its own
// page, and menus that close with Escape or a click elsewhere.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;

  // localTime writes an RFC 3339 time as "2026-12-04 17:03 JST": the
  // browser's time zone, the order of the server's UTC text, and the
  // zone's name in the page's language ("" if it cannot).
  function localTime(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) { return ""; }
    var parts = {};
    try {
      new Intl.DateTimeFormat(lang, {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23", timeZoneName: "short"
      }).formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
    } catch (e) { return ""; }
    if (!parts.year || !parts.timeZoneName) { return ""; }
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute + " " + parts.timeZoneName;
  }

  // <time datetime="…Z" data-local>2026-12-04 08:03 UTC</time> becomes the
  // local time with the zone's name, the UTC text kept as its title.
  Array.prototype.forEach.call(document.querySelectorAll("time[data-local][datetime]"), function (el) {
    var text = localTime(el.getAttribute("datetime"));
    if (!text) { return; }
    el.title = el.textContent;
    el.textContent = text;
    el.setAttribute("data-localised", "");
  });

  // Copy buttons: hidden without script (the field stays selectable).
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (btn) {
    var field = document.getElementById(btn.getAttribute("data-copy"));
    if (!field) { return; }
    var label = btn.textContent;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      function done() {
        btn.textContent = btn.getAttribute("data-done");
        btn.setAttribute("data-copied", "");
        setTimeout(function () { btn.textContent = label; }, 2000);
      }
      function fallback() {
        field.focus();
        field.select();
        try { if (document.execCommand("copy")) { done(); } } catch (e) { /* the selection stays */ }
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  function closeMenus(except) {
    Array.prototype.forEach.call(document.querySelectorAll("details.dropdown[open]"), function (d) {
      if (d !== except) { d.open = false; }
    });
  }

  // Revoke: the confirmation in a modal dialog, same form, same fields.
  var dlg = document.getElementById("revoke-dialog");
  if (dlg && typeof dlg.showModal === "function") {
    var form = dlg.querySelector("form");
    document.getElementById("revoke-cancel").addEventListener("click", function () { dlg.close(); });
    Array.prototype.forEach.call(document.querySelectorAll("a.revoke-start[data-serial]"), function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        var serial = a.getAttribute("data-serial");
        form.action = "/certs/" + encodeURIComponent(serial) + "/revoke";
        document.getElementById("revoke-dialog-serial").textContent = serial;
        closeMenus(null);
        dlg.showModal();
        document.getElementById("revoke-cancel").focus();
      });
    });
  }

  // Menus: one open at a time; Escape or a click outside closes them.
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (d.matches && d.matches("details.dropdown") && d.open) { closeMenus(d); }
  }, true);
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var open = document.querySelector("details.dropdown[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (ev) {
    if (!ev.target.closest || !ev.target.closest("details.dropdown")) { closeMenus(null); }
  });
})();
