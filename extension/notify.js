// certrenew expiry notifications and the toolbar badge.
//
// A certificate is notified once per threshold it crosses (warningDays,
// default 30, 14, 7, 3, 1 days before expiry, and once more after expiry).
// The last threshold notified is kept per certificate ID and serial in
// storage.local, so a restarted worker does not notify twice and a renewed
// certificate (new serial) starts afresh.
"use strict";

const NOTIFIED_KEY = "certrenew.notified"; // {"id/serial": threshold}
const EXPIRED = -1;

// thresholdFor is the smallest warning day at or above the cert's days
// left, EXPIRED after expiry, or null when none is reached yet. The rule
// is proto.IsExpiring's (daysLeft <= t), which the UI's red rows use with
// the largest warning day, so that the badge counts what the list marks.
function thresholdFor(c, warningDays) {
  if (c.status === "expired" || c.daysLeft < 0) return EXPIRED;
  let hit = null;
  for (const t of warningDays) if (c.daysLeft <= t && (hit === null || t < hit)) hit = t;
  return hit;
}

function commonNameOf(c) {
  return (/(?:^|,)\s*CN=([^,]+)/i.exec(c.subject || "") || [])[1] || c.subject || c.id;
}

// needingAction lists the certs past a threshold and not muted.
function needingAction(list, settings) {
  const out = [];
  for (const c of (list && list.certs) || []) {
    if (settings.muted[c.id]) continue;
    const th = thresholdFor(c, settings.values.warningDays);
    if (th !== null) out.push({ cert: c, threshold: th });
  }
  return out;
}

async function updateBadge(list) {
  const s = await loadSettings();
  const n = needingAction(list, s).length;
  await chrome.action.setBadgeText({ text: n ? String(n) : "" });
  if (n) await chrome.action.setBadgeBackgroundColor({ color: "#b91c1c" });
}

// notifyExpiring raises at most one notification per certificate and
// threshold. Runs are queued: two checks close together would otherwise
// both read certrenew.notified before either wrote it, and notify twice.
let notifyQueue = Promise.resolve();
function notifyExpiring(list) {
  const run = notifyQueue.then(() => notifyOnce(list));
  notifyQueue = run.catch(() => {});
  return run;
}

async function notifyOnce(list) {
  const s = await loadSettings();
  const notified = (await chrome.storage.local.get(NOTIFIED_KEY))[NOTIFIED_KEY] || {};
  let changed = false;
  for (const { cert: c, threshold } of needingAction(list, s)) {
    const key = c.id + "/" + c.serial;
    if (key in notified && notified[key] <= threshold) continue;
    notified[key] = threshold;
    changed = true;
    const cn = commonNameOf(c);
    const opts = {
      type: "basic",
      iconUrl: "icons/icon128.png",
      title: chrome.i18n.getMessage("notifyTitle"),
      message:
        threshold === EXPIRED
          ? chrome.i18n.getMessage("notifyExpired", [cn])
          : chrome.i18n.getMessage("notifyExpiring", [cn, String(c.daysLeft)]),
    };
    if (!IS_FIREFOX) {
      // Firefox has neither buttons nor requireInteraction.
      opts.requireInteraction = true;
      opts.buttons = [{ title: chrome.i18n.getMessage("notifyRenew") }, { title: chrome.i18n.getMessage("notifyMute") }];
    }
    await chrome.notifications.create(NOTE_RENEW + c.id, opts);
  }
  if (changed) await chrome.storage.local.set({ [NOTIFIED_KEY]: notified });
  // When the last check ran: the options page shows it (tests wait on it).
  await chrome.storage.local.set({ [LAST_CHECK_KEY]: Date.now() });
  broadcast({ kind: "settings", settings: await settingsForUI() });
}

const LAST_CHECK_KEY = "certrenew.lastCheck";

const NOTE_RENEW = "renew:";
const NOTE_REFUSED = "refused:";
const NOTE_RENEWED = "renewed:"; // + certId "." serial: renewed by itself

function openApp(fragment) {
  return chrome.tabs.create({ url: chrome.runtime.getURL("app.html") + "#" + fragment });
}

// A click (or the "Renew" button) opens the renewal flow for that cert in a
// tab (app.html#renew=ID: "Next", then the password); "Don't remind me
// again" mutes it. The handlers are named so that tests can check that
// they are the registered listeners and call them as a click does.
function onNotificationClicked(nid) {
  chrome.notifications.clear(nid);
  if (nid.startsWith(NOTE_RENEWED)) return openApp("");
  if (nid.startsWith(NOTE_RENEW)) return openApp("renew=" + encodeURIComponent(nid.slice(NOTE_RENEW.length)));
  if (nid.startsWith(NOTE_REFUSED)) {
    return openApp("refused=" + encodeURIComponent(refusedOrigin(nid)));
  }
}

function onNotificationButton(nid, i) {
  chrome.notifications.clear(nid);
  if (!nid.startsWith(NOTE_RENEW)) return;
  const certId = nid.slice(NOTE_RENEW.length);
  if (i === 0) return openApp("renew=" + encodeURIComponent(certId));
  return setMuted(certId, true).then(() => list && updateBadge(list));
}

chrome.notifications.onClicked.addListener(onNotificationClicked);
if (chrome.notifications.onButtonClicked) chrome.notifications.onButtonClicked.addListener(onNotificationButton);

// notifyRenewed tells the user about each certificate the host renewed by
// itself (a proto.RenewDueResult); a click opens the certificate list. Certificates it did not renew keep the expiry reminders.
async function notifyRenewed(res) {
  for (const c of (res && res.certs) || []) {
    if (!c.renewed) continue;
    const cn = commonNameOf(c.renewed);
    const until = new Date(c.renewed.notAfter).toLocaleDateString(chrome.i18n.getUILanguage());
    await chrome.notifications.create(NOTE_RENEWED + c.certId + "." + c.renewed.serial, {
      type: "basic",
      iconUrl: "icons/icon128.png",
      title: chrome.i18n.getMessage("notifyRenewedTitle"),
      message: chrome.i18n.getMessage("notifyRenewed", [cn, until]),
    });
  }
}
