// certrenew renewal-link handoff (the portal's /renew/{linkID} page, contract v2).
//
// The portal page posts {type: "certrenew-renewal-link", version: 1, token,
// serial, user, portal} to its own window (content.js forwards it here) and,
// in Chrome, also sends it with chrome.runtime.sendMessage
// (externally_connectable). The link is accepted only from a configured
// portal origin (policy or options page); anything else is refused and a
// notification says so.
//
// The token lives ONLY in this worker's memory (links, below): the app.html
// tab gets a random nonce in its URL and the link's non-secret fields; the
// worker puts the token into the enroll/renew request it forwards to the
// host. Nothing here writes it to storage, a URL, a log or a notification.
"use strict";

const LINK_TYPE = "certrenew-renewal-link";
const LINK_TTL_MS = 30 * 60 * 1000;
const TOKEN_RE = /^rt1_[A-Za-z0-9_-]{43}$/; // rt1_ + base64url(32 bytes)
const SERIAL_RE = /^[0-9a-fA-F]{1,64}$/;
const links = new Map(); // nonce -> {token, serial, user, portal, at}
// Refused links: one notification per origin and reason at a time, at most
// REFUSED_MAX at once. The notification ID carries the reason and the
// origin (neither secret), so no map outlives the notifications.
const REFUSED_MAX = 3;

function originOf(sender) {
  if (sender.origin && sender.origin !== "null") return sender.origin;
  try {
    return new URL(sender.url).origin;
  } catch (e) {
    return "";
  }
}

// checkLink validates a link message; it returns a refusal reason or "".
function checkLink(m, origin, allowed) {
  if (!m || typeof m !== "object" || m.type !== LINK_TYPE || m.version !== 1) return "bad_message";
  if (!allowed.includes(origin)) return "origin_not_allowed";
  if (m.portal !== origin) return "origin_mismatch";
  if (typeof m.token !== "string" || !TOKEN_RE.test(m.token)) return "bad_token";
  if (typeof m.serial !== "string" || !SERIAL_RE.test(m.serial)) return "bad_serial";
  if (typeof m.user !== "string" || !m.user || m.user.length > 256 || /[\u0000-\u001f]/.test(m.user)) return "bad_user";
  return "";
}

function newNonce() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function expireLinks() {
  const now = Date.now();
  for (const [n, l] of links) if (now - l.at > LINK_TTL_MS) links.delete(n);
}

// acceptLink answers an ack and opens the renewal flow.
async function acceptLink(m, sender) {
  const origin = originOf(sender);
  const { values } = await loadSettings();
  const reason = checkLink(m, origin, values.portalURLs);
  if (reason) {
    if (reason === "origin_not_allowed" || reason === "origin_mismatch") await notifyRefused(origin, reason);
    return ack(false, reason);
  }
  expireLinks();
  for (const l of links.values()) {
    if (l.token === m.token) return ack(true); // the same link by both paths
  }
  const nonce = newNonce();
  // The page's tab and frame, to tell it if the renewal fails (tellLinkPage).
  const page = sender.tab && typeof sender.tab.id === "number" ? { tabId: sender.tab.id, frameId: sender.frameId || 0 } : null;
  links.set(nonce, { token: m.token, serial: m.serial.toLowerCase(), user: m.user, portal: origin, at: Date.now(), page });
  const create = { url: chrome.runtime.getURL("app.html") + "#link=" + nonce };
  if (sender.tab && typeof sender.tab.index === "number") create.index = sender.tab.index + 1;
  await chrome.tabs.create(create);
  return ack(true);
}

// notifyRefused tells the user that a page's link was refused, unless a
// notification for the same origin and reason is still shown or
// REFUSED_MAX refusals are: a page that posts link after link (or many
// origins) gets no more than that. Calls are queued, so two refusals close
// together do not both find none shown. A click opens
// app.html#refused=ORIGIN: what happened and the way to Settings
// (notify.js).
let refusedQueue = Promise.resolve();
function notifyRefused(origin, reason) {
  const run = refusedQueue.then(async () => {
    const nid = refusedID(origin, reason);
    const shown = Object.keys(await chrome.notifications.getAll()).filter((k) => k.startsWith(NOTE_REFUSED));
    if (shown.includes(nid) || shown.length >= REFUSED_MAX) return;
    await chrome.notifications.create(nid, {
      type: "basic",
      iconUrl: "icons/icon128.png",
      title: chrome.i18n.getMessage("notifyTitle"),
      message: chrome.i18n.getMessage("linkRefused", [origin || "?"]),
    });
  });
  refusedQueue = run.catch(() => {});
  return refusedQueue;
}

// refusedID is "refused:REASON:ORIGIN"; refusedOrigin reads it back.
function refusedID(origin, reason) {
  return NOTE_REFUSED + reason + ":" + origin;
}

function refusedOrigin(nid) {
  const rest = nid.slice(NOTE_REFUSED.length);
  const i = rest.indexOf(":");
  return i < 0 ? "" : rest.slice(i + 1);
}

// --- where the content script runs ------------------------------------------

// The renewal-link relay (content.js) is registered at run time for the
// configured portals (settings and policy) only, never declared in the
// manifest for a broad pattern, and registered again when they or the
// extension's host permissions change. It is injected only where the
// extension holds host access (optional host permissions granted on the
// options page, or the build's host_permissions): patterns without it are
// left out, so getRegisteredContentScripts says where it really runs.
const LINK_SCRIPT_ID = "certrenew-link";

// portalMatches are the match patterns of the portal origins. Chrome's
// patterns take a port; Firefox's do not (bug 1362809), so there a pattern
// covers the host on every port, and checkLink still compares origins.
function portalMatches(origins) {
  const out = new Set();
  for (const o of origins) {
    let u;
    try {
      u = new URL(o);
    } catch (e) {
      continue;
    }
    if (u.protocol === "https:" && u.hostname) out.add("https://" + (IS_FIREFOX ? u.hostname : u.host) + "/*");
  }
  return Array.from(out).sort();
}

async function permittedMatches() {
  const { values } = await loadSettings();
  const out = [];
  for (const m of portalMatches(values.portalURLs)) {
    if (await chrome.permissions.contains({ origins: [m] }).catch(() => false)) out.push(m);
  }
  return out;
}

let scriptQueue = Promise.resolve();
// syncLinkScript registers the content script for the permitted portal
// patterns (none: unregistered); calls are queued.
function syncLinkScript() {
  const run = scriptQueue.then(async () => {
    const want = await permittedMatches();
    const cur = await chrome.scripting.getRegisteredContentScripts({ ids: [LINK_SCRIPT_ID] });
    const have = cur.length ? (cur[0].matches || []).slice().sort() : null;
    if (have && have.join(" ") === want.join(" ")) return want;
    if (cur.length) await chrome.scripting.unregisterContentScripts({ ids: [LINK_SCRIPT_ID] });
    if (want.length) {
      await chrome.scripting.registerContentScripts([
        { id: LINK_SCRIPT_ID, matches: want, js: ["content.js"], runAt: "document_start", allFrames: false, persistAcrossSessions: true },
      ]);
    }
    return want;
  });
  scriptQueue = run.catch(() => {});
  return run;
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "managed" || (area === "local" && SETTINGS_KEY in changes)) syncLinkScript().catch(() => {});
});
chrome.permissions.onAdded.addListener(() => syncLinkScript().catch(() => {}));
chrome.permissions.onRemoved.addListener(() => syncLinkScript().catch(() => {}));
syncLinkScript().catch(() => {}); // each start: policy may have changed while the browser was closed

// ack is the answer the portal page waits for (the content script posts it
// to the page; externally_connectable returns it to sendMessage).
function ack(ok, reason) {
  const a = { type: "certrenew-renewal-link-ack", ok };
  if (reason) a.reason = reason;
  return a;
}

// linkInfo is what the UI may see of a link: everything but the token.
function linkInfo(nonce) {
  expireLinks();
  const l = links.get(nonce);
  return l ? { nonce, serial: l.serial, user: l.user, portal: l.portal } : null;
}

// withLinkToken adds the link's token to an enroll or renew request.
function withLinkToken(req, nonce) {
  const l = links.get(nonce);
  if (!l || !req.params || typeof req.params !== "object") return req;
  return Object.assign({}, req, { params: Object.assign({}, req.params, { token: l.token }) });
}

function dropLink(nonce) {
  links.delete(nonce);
}

// tellLinkPage tells the link's portal page (through its content script)
// that an enrollment or renewal with the link failed, with the error's code
// only: the page keeps waiting, since the user may try again in the
// extension's tab, and says why the renewal has not come. A page that has
// gone, or runs no content script, is not told.
function tellLinkPage(nonce, code) {
  const l = links.get(nonce);
  if (!l || !l.page || typeof code !== "string" || !/^[a-z_]{1,64}$/.test(code)) return;
  // portal: the content script posts only if its page is still on the
  // link's portal (the tab may have moved on to another configured one).
  chrome.tabs.sendMessage(l.page.tabId, { kind: "linkOutcome", ok: false, code, portal: l.portal }, { frameId: l.page.frameId }).catch(() => {});
}

function reply(p, sendResponse) {
  p.then(sendResponse, () => sendResponse(ack(false, "internal")));
  return true; // answer asynchronously
}

// From content.js (both browsers).
chrome.runtime.onMessage.addListener((m, sender, sendResponse) => {
  if (!m || m.kind !== "renewalLink" || sender.id !== chrome.runtime.id || !sender.tab) return false;
  return reply(acceptLink(m.link, sender), sendResponse);
});

// From the portal page itself (Chrome, externally_connectable).
if (chrome.runtime.onMessageExternal) {
  chrome.runtime.onMessageExternal.addListener((m, sender, sendResponse) => reply(acceptLink(m, sender), sendResponse));
}
