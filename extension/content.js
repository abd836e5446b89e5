// certrenew content script on portal renewal pages: forwards the page's
// renewal-link message to the worker and posts the worker's answer back,
// and later, if the renewal fails in the extension's tab, its error code
// (link.js, tellLinkPage).
// It is not in the manifest: the worker registers it for the configured
// portals' origins only (link.js, syncLinkScript), where the extension has
// host access, and the worker still decides whether the page's origin is
// a configured portal.
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
chrome.runtime.onMessage.addListener((m, sender) => {
  if (sender.id !== chrome.runtime.id || sender.tab || !m || m.kind !== "linkOutcome" || m.portal !== location.origin) return;
  if (typeof m.code !== "string" || !/^[a-z_]{1,64}$/.test(m.code)) return;
  window.postMessage({ type: "certrenew-renewal-link-outcome", ok: false, code: m.code }, location.origin);
});
