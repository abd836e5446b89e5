// certrenew background service worker (Manifest V3).
//
// It owns the ONE native-messaging port to certrenew-host, so an enrollment
// or renewal goes on when the popup closes (Chrome keeps a worker with an
// open native port alive). UI pages (popup.html, app.html) connect with
// chrome.runtime.connect({name: "ui"}) and exchange these messages:
//
//   UI → worker  {kind: "request", request: <proto.Request>, link?: nonce}
//                {kind: "getState"}  {kind: "getLink", nonce}
//                {kind: "getSettings"}  {kind: "setSettings", values}
//                {kind: "mute", certId, muted}  {kind: "checkExpiry"}
//   worker → UI  {kind: "state", state: {hello, list, op, hostError}}
//                {kind: "reply", reply: <proto.Reply>}
//                {kind: "link", linkInfo: {nonce, serial, user, portal} | null}
//                {kind: "settings", settings: {values, locked, muted}}
//
// settings.js, notify.js and link.js hold settings and policy, expiry
// notifications, and the portal renewal-link handoff.
//
// Every host reply goes to every UI port. Errors the host cannot report
// (not installed, not allowed, gone) are sent as error replies for each
// request they hit, with codes host_missing, host_forbidden, host_failed,
// host_disconnected and version_mismatch.
//
// Request params carry passwords: they are passed to the host and dropped.
// Nothing here stores, logs or echoes them.
"use strict";

// Firefox lists these in background.scripts; Chrome's worker imports them.
if (typeof importScripts === "function") importScripts("settings.js", "notify.js", "link.js");

const HOST_NAME = "com.certrenew.host";
const PROTOCOL_MAJOR = 1; // host/proto.Version is "1.1"
const HELLO_TIMEOUT_MS = 15000;
const LIST_CACHE_KEY = "certrenew.list";
const ALARM_NAME = "certrenew.expiry-check";
const ALARM_PERIOD_MIN = 60; // automatic renewal and the expiry check, hourly
const OP_COMMANDS = new Set(["enroll", "renew"]);
const INSTALL_FIX = "run `certrenew-host install`";

let port = null; // native port, null when not connected
let helloSeen = false; // the current port's host has said hello
let helloTimer = 0;
let queue = []; // requests waiting for the host's hello (in memory only)
const pending = new Map(); // request id -> {command}
let hello = null; // last hello
let list = null; // last list result
let op = null; // {id, command, certId, steps, done, result, error, seen}
let hostError = null; // last connection-level error
let seq = 0;
const uiPorts = new Set();

// The cached list makes a popup render at once, before the host answers.
const ready = chrome.storage.local
  .get(LIST_CACHE_KEY)
  .then((v) => {
    if (!list && v && v[LIST_CACHE_KEY]) list = v[LIST_CACHE_KEY];
  })
  .catch(() => {});

// --- UI ports -------------------------------------------------------------

// The extension's own UI pages: only they may open a UI port, which can
// run any host command and read every reply. A content script is this
// extension too (same sender.id) but lives in a web page: its sender.url
// is the page's, so it is refused here.
const UI_PAGES = new Set(["/popup.html", "/app.html", "/options.html"]);

function isOwnPage(sender) {
  if (!sender || sender.id !== chrome.runtime.id || typeof sender.url !== "string") return false;
  const base = chrome.runtime.getURL(""); // chrome-extension://ID/ or moz-extension://UUID/
  const own = new URL(base);
  let u;
  try {
    u = new URL(sender.url);
  } catch (e) {
    return false;
  }
  if (u.protocol !== own.protocol || u.host !== own.host || !UI_PAGES.has(u.pathname)) return false;
  // Chrome also names the sender's origin; it must be this extension's.
  return !sender.origin || sender.origin + "/" === base;
}

chrome.runtime.onConnect.addListener((p) => {
  if (p.name !== "ui" || !isOwnPage(p.sender)) {
    p.disconnect();
    return;
  }
  uiPorts.add(p);
  p.onDisconnect.addListener(() => uiPorts.delete(p));
  p.onMessage.addListener((m) => onUIMessage(p, m));
  ready.then(() => sendState(p));
});

function onUIMessage(p, m) {
  if (!m || typeof m !== "object") return;
  switch (m.kind) {
    case "getState":
      ready.then(() => sendState(p));
      break;
    case "request": {
      const req = typeof m.link === "string" ? withLinkToken(m.request, m.link) : m.request;
      if (req && req.command === "enroll") {
        // The organisation's key policy goes with the request; the host
        // enforces it too (EnrollParams.policy).
        loadSettings().then((s) => {
          const r = withKeyPolicy(req, s.values);
          if (r.error) broadcast({ kind: "reply", reply: errorReply(req.id, r.error) });
          else handleRequest(r.request, m.link);
        });
      } else if (req && req.command === "remove") {
        // A managed policy may forbid removing certificates; the UI then
        // offers no Remove, and the worker refuses one all the same.
        loadSettings().then((s) => {
          const refusal = removalRefusal(s.values);
          if (refusal) broadcast({ kind: "reply", reply: errorReply(req.id, refusal) });
          else handleRequest(req, m.link);
        });
      } else {
        handleRequest(req, m.link);
      }
      break;
    }
    case "getLink":
      safePost(p, { kind: "link", linkInfo: typeof m.nonce === "string" ? linkInfo(m.nonce) : null });
      break;
    case "getSettings":
      settingsForUI().then((s) => safePost(p, { kind: "settings", settings: s }));
      break;
    case "setSettings":
      // Answered once the content script follows the new portals, so that
      // "saved" means a portal page opened next gets it.
      saveSettings(m.values)
        .then(() => syncLinkScript().catch(() => {}))
        .then(settingsForUI)
        .then(settingsChanged);
      break;
    case "mute":
      setMuted(m.certId, !!m.muted).then(settingsForUI).then(settingsChanged);
      break;
    case "checkExpiry":
      renewDue();
      break;
  }
}

// settingsForUI is the settings plus the key backends the host has and
// when the last expiry check ran.
function settingsForUI() {
  return Promise.all([loadSettings(), chrome.storage.local.get(LAST_CHECK_KEY).catch(() => ({}))]).then(([s, v]) =>
    Object.assign(s, { hostBackends: hello ? hello.backends || [] : null, lastCheck: v[LAST_CHECK_KEY] || 0 }),
  );
}

// settingsChanged shows every open page the settings after a change and
// redraws the badge, whose count a setting (muting) can change.
function settingsChanged(s) {
  broadcast({ kind: "settings", settings: s });
  if (list) updateBadge(list);
}

function sendState(p) {
  let shownOp = null;
  if (op && (!op.done || !op.seen)) {
    shownOp = {
      id: op.id,
      command: op.command,
      certId: op.certId,
      steps: op.steps.slice(),
      done: op.done,
      result: op.result,
      error: op.error,
    };
    if (op.done) op.seen = true;
  }
  safePost(p, { kind: "state", state: { hello, list, op: shownOp, hostError } });
}

function broadcast(msg) {
  for (const p of uiPorts) safePost(p, msg);
}

function safePost(p, msg) {
  try {
    p.postMessage(msg);
  } catch (e) {
    uiPorts.delete(p); // the page went away
  }
}

// --- requests -------------------------------------------------------------

function handleRequest(req, linkNonce) {
  if (!req || typeof req.id !== "string" || typeof req.command !== "string" || !req.id) return;
  if (pending.has(req.id)) return;
  if (OP_COMMANDS.has(req.command)) {
    if (op && !op.done) {
      // One enrollment or renewal at a time; the UI re-attaches to it.
      broadcast({ kind: "reply", reply: errorReply(req.id, { code: "busy", message: "" }) });
      return;
    }
    const certId =
      req.command === "renew" && req.params && typeof req.params.certId === "string"
        ? req.params.certId
        : "";
    op = { id: req.id, command: req.command, certId, steps: [], done: false, result: null, error: null, seen: false };
  }
  const portal = req.command === "enroll" && req.params && typeof req.params.portal === "string" ? req.params.portal : "";
  pending.set(req.id, { command: req.command, link: typeof linkNonce === "string" ? linkNonce : "", portal });
  send({ id: req.id, command: req.command, lang: req.lang || "", params: req.params });
}

// send forwards a request, waiting for the host's hello first.
function send(frame) {
  ensurePort();
  if (!port) return; // ensurePort failed every pending request
  if (helloSeen) {
    postToHost(frame);
  } else {
    queue.push(frame);
  }
}

function postToHost(frame) {
  try {
    port.postMessage(frame);
  } catch (e) {
    fail(frame.id, disconnectedError());
  }
}

// --- native port ----------------------------------------------------------

function ensurePort() {
  if (port) return;
  helloSeen = false;
  let p;
  try {
    p = chrome.runtime.connectNative(HOST_NAME);
  } catch (e) {
    failAll(hostErrorFor(String(e && e.message), false));
    return;
  }
  port = p;
  p.onMessage.addListener((m) => onHostMessage(p, m));
  p.onDisconnect.addListener((gone) => {
    // Firefox reports why in port.error; Chrome in lastError, which must
    // be read inside this callback.
    const err = (gone && gone.error) || p.error || chrome.runtime.lastError;
    onHostGone(p, (err && err.message) || "");
  });
  clearTimeout(helloTimer);
  helloTimer = setTimeout(() => {
    if (port === p && !helloSeen) {
      closePort(p, {
        code: "host_failed",
        message: "certrenew-host did not answer. To repair it, " + INSTALL_FIX + ".",
        detail: "no hello within " + HELLO_TIMEOUT_MS + " ms",
      });
    }
  }, HELLO_TIMEOUT_MS);
}

function onHostMessage(p, m) {
  if (p !== port || !m || typeof m !== "object") return;
  if (!helloSeen) {
    if (m.type === "error" && m.error && m.error.code === "origin_not_allowed") {
      // The host runs but refuses this caller (its allowlist), before its
      // hello.
      closePort(p, {
        code: "host_forbidden",
        message: "certrenew-host does not allow this extension. To register it again, " + INSTALL_FIX + ".",
        detail: String(m.error.detail || m.error.code).slice(0, 300),
      });
      return;
    }
    if (m.type !== "hello" || !m.hello) {
      closePort(p, { code: "host_failed", message: "certrenew-host did not start with a hello.", detail: "first frame: " + String(m.type) });
      return;
    }
    const mismatch = checkVersion(m.hello.protocol);
    if (mismatch) {
      closePort(p, mismatch);
      return;
    }
    helloSeen = true;
    clearTimeout(helloTimer);
    hello = m.hello;
    settingsForUI().then((s) => broadcast({ kind: "settings", settings: s }));
    hostError = null;
    const q = queue;
    queue = [];
    for (const f of q) postToHost(f);
    broadcast({ kind: "reply", reply: m });
    return;
  }
  if (m.type === "hello" && m.hello) hello = m.hello;
  track(m);
  broadcast({ kind: "reply", reply: m });
}

// track updates the remembered state from a host reply.
function track(m) {
  const id = m.id;
  if (!id || !pending.has(id)) return;
  const { command, link, portal } = pending.get(id);
  const final = m.type === "result" || m.type === "error";
  if (final) pending.delete(id);
  if (command === "list" && m.type === "result" && m.result) {
    list = m.result;
    chrome.storage.local.set({ [LIST_CACHE_KEY]: list }).catch(() => {});
    updateBadge(list).catch(() => {});
    if (id.startsWith("worker-alarm-")) notifyExpiring(list).catch(() => {});
    // A page only reads the replies to its own requests: the list the
    // worker asked for (at install, start-up, an alarm, after an
    // operation) reaches open pages as state, so a popup opened while it
    // was on its way shows it without waiting for its own.
    if (id.startsWith("worker-")) for (const p of uiPorts) sendState(p);
  }
  if (command === "renewDue" && final) {
    // What renewed by itself is told; then the expiry check runs on the
    // list as it now is (a host too old for renewDue answers an error:
    // the check runs all the same).
    if (m.type === "result" && m.result) notifyRenewed(m.result).catch(() => {});
    refreshList("worker-alarm-");
  }
  if (op && op.id === id) {
    if (m.type === "progress" && m.progress && m.progress.notice) {
      op.notice = m.progress.notice; // the OS is about to ask the user something
    } else if (m.type === "progress" && m.progress) {
      op.steps.push(m.progress.step);
      if (!op.certId && m.progress.certId) op.certId = m.progress.certId;
    } else if (final) {
      op.done = true;
      op.seen = uiPorts.size > 0;
      if (m.type === "result") op.result = m.result;
      else op.error = m.error || { code: "internal", message: "" };
      if (m.type !== "result" && link) tellLinkPage(link, op.error.code);
      if (m.type === "result") {
        if (link) dropLink(link); // one-time: the portal has used it
        // The enrolled portal's renewal links are accepted from now on.
        if (portal) addPortal(portal).then((added) => added && syncLinkScript().then(settingsForUI).then(settingsChanged)).catch(() => {});
        refreshList("worker-after-op-");
      }
    }
  }
}

function checkVersion(v) {
  const major = parseInt(String(v).split(".")[0], 10);
  if (major === PROTOCOL_MAJOR) return null;
  const update = Number.isNaN(major) || major < PROTOCOL_MAJOR ? "certrenew-host" : "the browser extension";
  return {
    code: "version_mismatch",
    message: "The extension and certrenew-host speak different protocol versions. Update " + update + ".",
    detail: "host protocol " + JSON.stringify(v) + ", extension " + PROTOCOL_MAJOR + ".x",
    update,
  };
}

function closePort(p, err) {
  if (port !== p) return;
  port = null;
  clearTimeout(helloTimer);
  try {
    p.disconnect();
  } catch (e) {}
  hostError = err;
  failAll(err);
}

function onHostGone(p, why) {
  if (port !== p) return;
  port = null;
  clearTimeout(helloTimer);
  const err = hostErrorFor(why, helloSeen);
  if (!helloSeen || pending.size > 0) hostError = err;
  failAll(err);
}

// hostErrorFor maps the browser's native-messaging error text to a code.
// Chrome: "Specified native messaging host not found.", "Access to the
// specified native messaging host is forbidden." (see
// https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging#native-messaging-debugging);
// Firefox: "No such native application com.certrenew.host" for a host
// that is not registered or does not list the add-on.
function hostErrorFor(why, wasRunning) {
  if (/not found|no such native application/i.test(why)) {
    return {
      code: "host_missing",
      message: "certrenew-host is not installed for this browser. Install it and " + INSTALL_FIX + ".",
      detail: why,
    };
  }
  if (/forbidden/i.test(why)) {
    return {
      code: "host_forbidden",
      message: "certrenew-host does not allow this extension. To register it again, " + INSTALL_FIX + ".",
      detail: why,
    };
  }
  if (wasRunning) {
    return {
      code: "host_disconnected",
      message: "The connection to certrenew-host was lost. Your previous certificate is still in place.",
      detail: why || "native port closed",
    };
  }
  return {
    code: "host_failed",
    message: "certrenew-host stopped before it answered. To repair it, " + INSTALL_FIX + ".",
    detail: why || "native port closed before hello",
  };
}

function failAll(err) {
  queue = [];
  for (const id of Array.from(pending.keys())) fail(id, err);
}

function fail(id, err) {
  const m = errorReply(id, err);
  track(m);
  pending.delete(id);
  broadcast({ kind: "reply", reply: m });
}

function errorReply(id, err) {
  return { id, type: "error", error: Object.assign({}, err) };
}

function disconnectedError() {
  return hostErrorFor("", true);
}

function refreshList(prefix) {
  const id = prefix + ++seq;
  pending.set(id, { command: "list" });
  send({ id, command: "list", lang: chrome.i18n.getUILanguage() });
}

// renewDue asks the host to renew, without asking anyone, every
// certificate that is due and whose portal and key allow it (the host
// decides: proto.CmdRenewDue); its answer is followed by the expiry check.
function renewDue() {
  const id = "worker-auto-" + ++seq;
  pending.set(id, { command: "renewDue" });
  send({ id, command: "renewDue", lang: chrome.i18n.getUILanguage() });
}

// --- hourly automatic renewal and expiry check ------------------------------

// Alarms do not survive a browser restart everywhere: re-create them at
// start-up, and check at once.
chrome.runtime.onStartup.addListener(() => {
  ensureAlarm();
  renewDue();
});
// At install (and update) the host is started and asked for the list at
// once, while nobody waits: the first popup then renders it from memory
// instead of waiting for the host's start, hello and list (issue 17).
chrome.runtime.onInstalled.addListener(() => {
  ensureAlarm();
  ready.then(() => {
    if (!list && !port) refreshList("worker-install-");
  });
});

function ensureAlarm() {
  chrome.alarms.get(ALARM_NAME).then((a) => {
    if (!a || a.periodInMinutes !== ALARM_PERIOD_MIN) chrome.alarms.create(ALARM_NAME, { delayInMinutes: 1, periodInMinutes: ALARM_PERIOD_MIN });
  });
}

chrome.alarms.onAlarm.addListener((a) => {
  if (a.name === ALARM_NAME) renewDue();
});
