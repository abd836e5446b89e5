// certrenew content script on portal renewal pages: forwards the page's
// renewal-link message to the worker and posts the worker's answer back.
// It runs on the portals the extension was built for
// (CERTRENEW_PORTAL_MATCHES), or, in a build that names none, on every
// https page whose path contains "renew"; the worker, not this script,
// decides whether the page's origin is a configured portal.
"use strict";
window.addEventListener("message", (e) => {
  if (e.source !== window || e.origin !== location.origin) return;
  const d = e.data;
  if (!d || typeof d !== "object" || d.type !== "certrenew-renewal-link") return;
  chrome.runtime.sendMessage({ kind: "renewalLink", link: d }, (r) => {
    const ok = !chrome.runtime.lastError && !!(r && r.ok);
    const ack = { type: "certrenew-renewal-link-ack", ok };
    if (!ok) ack.reason = (r && r.reason) || "extension_error";
    window.postMessage(ack, location.origin);
  });
});
