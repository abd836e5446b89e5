// renew.js: hands a certrenew renewal link to the certrenew extension.
// Contract (version 1): the link is /renew#token=T&serial=S&user=U. This
// script reads the fragment, removes it from the address bar and history at
// once, then posts
//   {type: "certrenew-renewal-link", version: 1, token, serial, user, portal}
// to this window (origin-restricted) for the extension's content script, and,
// when chrome.runtime exists, sends the same payload to the extension
// (externally_connectable). It waits for
//   {type: "certrenew-renewal-link-ack", ok, reason?}
// and otherwise explains how to install the extension. The token is never
// written into the page.
(function () {
  "use strict";
  var root = document.getElementById("renew");
  function show(id) {
    ["nojs", "working", "handed", "refused", "noext", "nofrag"].forEach(function (x) {
      document.getElementById(x).hidden = x !== id;
    });
    root.setAttribute("data-state", id);
  }
  var frag = new URLSearchParams(location.hash.replace(/^#/, ""));
  var token = frag.get("token"), serial = frag.get("serial"), user = frag.get("user");
  if (location.hash) {
    history.replaceState(null, "", location.pathname + location.search);
  }
  if (!token || !serial || !user) {
    show("nofrag");
    return;
  }
  var payload = {
    type: "certrenew-renewal-link", version: 1,
    token: token, serial: serial, user: user, portal: location.origin
  };
  token = null;
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
    if (ack && ack.ok === true) {
      show("handed");
    } else {
      document.getElementById("reason").textContent = typeof ack.reason === "string" ? ack.reason : "";
      show("refused");
    }
  }
  function onMessage(ev) {
    if (ev.source !== window || ev.origin !== location.origin) { return; }
    var d = ev.data;
    if (d && d.type === "certrenew-renewal-link-ack") { settle(d); }
  }
  window.addEventListener("message", onMessage);
  show("working");
  window.postMessage(payload, location.origin);
  var ext = root.getAttribute("data-extension-id");
  if (window.chrome && chrome.runtime && chrome.runtime.sendMessage) {
    try {
      chrome.runtime.sendMessage(ext, payload, function (resp) {
        if (chrome.runtime.lastError) { return; } // not installed: wait for the timeout.
        if (resp && resp.type === "certrenew-renewal-link-ack") { settle(resp); }
      });
    } catch (e) { /* not externally connectable: the content script path remains. */ }
  }
  payload = null;
  setTimeout(function () { settle(null); }, 4000);
})();
