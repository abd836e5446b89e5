// renew.js: the renewal link's page, /renew/{linkID} (contract v2, see
// portal/README.md). The link's URL holds no secret, because a browser
// keeps every URL it opens (history, session files, metrics). This script
// asks the portal for a fresh one-time token,
//   POST /renew/{linkID}/token  (session cookie, CSRF field, same origin)
//   -> {token, serial, user}    (Cache-Control: no-store)
// and hands it on, as in contract v1: it posts
//   {type: "certrenew-renewal-link", version: 1, token, serial, user, portal}
// to this window (origin-restricted) for the extension's content script,
// and, when chrome.runtime exists, sends the same payload to the extension
// (externally_connectable). It waits for
//   {type: "certrenew-renewal-link-ack", ok, reason?}
// and otherwise explains how to install the extension. After an ok ack
// (the extension renews in its own tab) it shows, from
//   {type: "certrenew-renewal-link-outcome", ok: false, code}
// (posted by the content script), that an attempt there failed, and asks
// the portal,
//   GET /renew/{linkID}/status -> {state: "pending" | "renewed" | "expired", serial, expires}
// until the link's token has been redeemed, and shows the new certificate. The token is kept
// in no variable longer than the hand-off and never written into the page,
// the address, the title, a cookie or storage.
(function () {
  "use strict";
  var root = document.getElementById("renew");
  var states = ["nojs", "working", "handed", "renewed", "refused", "noext",
    "used", "expired", "invalid", "other_user", "not_renewable", "relogin", "failed"];
  // The token endpoint's refusals and the states that explain them (the
  // portal shows the same words when the page itself is refused).
  var refusals = {
    link_used: "used", link_expired: "expired", link_invalid: "invalid",
    link_other_user: "other_user", not_renewable: "not_renewable", login_required: "relogin"
  };
  function show(id) {
    states.forEach(function (x) {
      var el = document.getElementById(x);
      if (el) { el.hidden = x !== id; }
    });
    root.setAttribute("data-state", id);
  }
  var ext = root.getAttribute("data-extension-id");

  // hand gives the payload to the extension by both paths and shows its
  // answer.
  function hand(payload) {
    var done = false;
    // settle shows the extension's answer. "noext" after the timeout is not
    // final: a busy computer may answer late, and a late answer still wins.
    function settle(ack) {
      if (done) { return; }
      if (!ack) {
        show("noext");
        return;
      }
      done = true;
      window.removeEventListener("message", onMessage);
      if (ack.ok === true) {
        show("handed");
        window.addEventListener("message", onOutcome);
        watch(1500);
      } else {
        var reason = typeof ack.reason === "string" ? ack.reason : "";
        document.getElementById("reason").textContent = reason;
        var words = document.querySelector('#reasons [data-reason="' + (/^[a-z_]+$/.test(reason) ? reason : "") + '"]') ||
          document.querySelector('#reasons [data-reason=""]');
        document.getElementById("reason-text").textContent = words ? words.textContent : "";
        show("refused");
      }
    }
    function onMessage(ev) {
      if (ev.source !== window || ev.origin !== location.origin) { return; }
      var d = ev.data;
      if (d && d.type === "certrenew-renewal-link-ack") { settle(d); }
    }
    window.addEventListener("message", onMessage);
    window.postMessage(payload, location.origin);
    if (window.chrome && chrome.runtime && chrome.runtime.sendMessage) {
      try {
        chrome.runtime.sendMessage(ext, payload, function (resp) {
          if (chrome.runtime.lastError) { return; } // not installed: wait for the timeout.
          if (resp && resp.type === "certrenew-renewal-link-ack") { settle(resp); }
        });
      } catch (e) { /* not externally connectable: the content script path remains. */ }
    }
    setTimeout(function () { settle(null); }, 4000);
  }

  // onOutcome shows, while the page waits, that an attempt in the
  // extension's tab failed (its content script posts the error code): the
  // user may try again there, so the page goes on waiting.
  function onOutcome(ev) {
    if (ev.source !== window || ev.origin !== location.origin) { return; }
    var d = ev.data;
    if (!d || d.type !== "certrenew-renewal-link-outcome" || root.getAttribute("data-state") !== "handed") { return; }
    document.getElementById("failed-code").textContent = typeof d.code === "string" && /^[a-z_]{1,64}$/.test(d.code) ? d.code : "";
    document.getElementById("handed-failed").hidden = false;
  }

  var linkPath = "/renew/" + encodeURIComponent(root.getAttribute("data-link-id"));

  // watch asks the portal whether the link has renewed the certificate,
  // less often as time goes on, until it has or the login ends.
  function watch(delay) {
    setTimeout(function () {
      fetch(linkPath + "/status", { credentials: "same-origin", cache: "no-store", redirect: "error" })
        .then(function (resp) { return resp.json(); })
        .then(function (st) {
          if (st.state === "renewed") {
            document.getElementById("new-serial").textContent = st.serial || "";
            localTime(document.getElementById("new-expires"), st.expires);
            show("renewed");
          } else if (st.state === "relogin" || st.state === "expired") {
            show(st.state);
          } else {
            watch(Math.min(delay * 1.5, 15000));
          }
        })
        .catch(function () { watch(Math.min(delay * 2, 15000)); });
    }, delay);
  }

  // localTime writes an RFC 3339 time as portal.js does: local time in
  // the server's order, with the zone's name.
  function localTime(el, iso) {
    var d = new Date(iso), parts = {};
    el.textContent = "";
    if (!iso || isNaN(d.getTime())) { return; }
    el.setAttribute("datetime", iso);
    try {
      new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23", timeZoneName: "short"
      }).formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
      el.textContent = parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute + " " + parts.timeZoneName;
    } catch (e) { el.textContent = iso.slice(0, 16).replace("T", " ") + " UTC"; }
  }

  show("working");
  var form = new URLSearchParams();
  form.set("csrf", root.getAttribute("data-csrf"));
  fetch(linkPath + "/token", {
    method: "POST",
    body: form,
    credentials: "same-origin",
    cache: "no-store",
    redirect: "error",
    headers: { "Accept": "application/json" }
  }).then(function (resp) {
    return resp.json().then(function (body) { return { ok: resp.ok, body: body || {} }; });
  }).then(function (res) {
    var b = res.body;
    if (!res.ok || typeof b.token !== "string") {
      show(refusals[b.error] || "failed");
      return;
    }
    var payload = {
      type: "certrenew-renewal-link", version: 1,
      token: b.token, serial: b.serial, user: b.user, portal: location.origin
    };
    b.token = null;
    res = null;
    hand(payload);
  }).catch(function () {
    show("failed");
  });
})();
