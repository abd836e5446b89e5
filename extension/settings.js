// certrenew settings: defaults < user settings (options page, storage.local)
// < enterprise policy (chrome.storage.managed, schema.json). A key set by
// policy is "locked": the options page shows it read-only and setSettings
// refuses to change it.
//
// See https://developer.chrome.com/docs/extensions/reference/manifest/storage
// and https://extensionworkshop.com/documentation/enterprise/enterprise-policies/
"use strict";

const SETTINGS_KEY = "certrenew.settings";
const MUTED_KEY = "certrenew.muted"; // {certId: true}: "don't remind me again"
const SETTINGS_DEFAULTS = Object.freeze({
  portalURLs: [],
  warningDays: [30, 14, 7, 3, 1],
  allowedBackends: ["auto", "tpm", "pkcs11", "soft"],
  hardwareRequired: false,
  serverTrustCAs: [],
  // Policy only: false takes "Remove" off the certificates' menus, and
  // the worker refuses a remove request (removal_not_allowed).
  removalAllowed: true,
});
const BACKENDS = ["auto", "tpm", "pkcs11", "soft"];
// Firefox's extension pages are moz-extension: URLs. (A global `browser`
// is no test: Chrome 148+ defines one too.)
const IS_FIREFOX = chrome.runtime.getURL("").startsWith("moz-extension:");

// cleanSettings keeps only known keys with values of the right shape; bad
// values are dropped (the default or user value then applies).
function cleanSettings(v) {
  const out = {};
  if (!v || typeof v !== "object") return out;
  if (Array.isArray(v.portalURLs)) {
    const urls = v.portalURLs.map(portalOrigin).filter((o) => o);
    out.portalURLs = Array.from(new Set(urls));
  }
  if (Array.isArray(v.warningDays)) {
    const d = v.warningDays.filter((n) => Number.isInteger(n) && n >= 0 && n <= 3650);
    if (d.length) out.warningDays = Array.from(new Set(d)).sort((a, b) => b - a);
  }
  if (Array.isArray(v.allowedBackends)) {
    const b = v.allowedBackends.filter((x) => BACKENDS.includes(x));
    if (b.length) out.allowedBackends = Array.from(new Set(b));
  }
  if (typeof v.hardwareRequired === "boolean") out.hardwareRequired = v.hardwareRequired;
  return out;
}

// serverTrustCAs keeps the SHA-256 fingerprints (64 hex digits, colons
// allowed) of a managed serverTrustCAs list, normalised; the rest is dropped.
function serverTrustCAs(v) {
  if (!Array.isArray(v)) return [];
  const fps = v
    .filter((x) => typeof x === "string")
    .map((x) => x.replace(/[:\s]/g, "").toLowerCase())
    .filter((x) => /^[0-9a-f]{64}$/.test(x));
  return Array.from(new Set(fps));
}

// portalOrigin is the https origin of a portal URL, or "" when it is not one.
function portalOrigin(u) {
  if (typeof u !== "string") return "";
  try {
    const p = new URL(u.trim());
    return p.protocol === "https:" && !p.username && !p.password ? p.origin : "";
  } catch (e) {
    return "";
  }
}

// parseManaged is cleanSettings for the managed area (policy, outside
// input): the policy-only keys besides. wasm/exttest FuzzParseManaged runs
// it in node with arbitrary input.
function parseManaged(raw) {
  const out = cleanSettings(raw);
  if (!raw || typeof raw !== "object") return out;
  // Only the organisation widens trust: serverTrustCAs is never a user
  // setting (cleanSettings drops it), only policy.
  const fps = serverTrustCAs(raw.serverTrustCAs);
  if (fps.length) out.serverTrustCAs = fps;
  // Only the organisation forbids removing certificates.
  if (typeof raw.removalAllowed === "boolean") out.removalAllowed = raw.removalAllowed;
  return out;
}

async function managedSettings() {
  try {
    return parseManaged(await chrome.storage.managed.get(null));
  } catch (e) {
    return {}; // no policy (Firefox throws without one)
  }
}

// loadSettings returns {values, locked, muted}.
async function loadSettings() {
  const [managed, local] = await Promise.all([
    managedSettings(),
    chrome.storage.local.get([SETTINGS_KEY, MUTED_KEY]).catch(() => ({})),
  ]);
  const user = cleanSettings(local[SETTINGS_KEY]);
  const values = Object.assign({}, SETTINGS_DEFAULTS, user, managed);
  if (values.hardwareRequired) values.allowedBackends = values.allowedBackends.filter((b) => b !== "soft");
  return { values, locked: Object.keys(managed), muted: local[MUTED_KEY] || {} };
}

// saveSettings stores the user's values for the keys policy does not set.
async function saveSettings(v) {
  const { locked } = await loadSettings();
  const user = cleanSettings(v);
  for (const k of locked) delete user[k];
  await chrome.storage.local.set({ [SETTINGS_KEY]: user });
  return loadSettings();
}

// addPortal adds an enrolled portal's origin to the user's portals, unless
// policy sets them or the list already has it, so that the portal's renewal
// links are accepted (link.js). It answers whether the list changed.
async function addPortal(u) {
  const origin = portalOrigin(u);
  if (!origin) return false;
  const { values, locked } = await loadSettings();
  if (locked.includes("portalURLs") || values.portalURLs.includes(origin)) return false;
  const local = await chrome.storage.local.get(SETTINGS_KEY).catch(() => ({}));
  const user = cleanSettings(local[SETTINGS_KEY]);
  user.portalURLs = (user.portalURLs || []).concat(origin);
  await chrome.storage.local.set({ [SETTINGS_KEY]: user });
  return true;
}

async function setMuted(certId, muted) {
  if (typeof certId !== "string" || !certId) return;
  const cur = (await chrome.storage.local.get(MUTED_KEY))[MUTED_KEY] || {};
  if (muted) cur[certId] = true;
  else delete cur[certId];
  await chrome.storage.local.set({ [MUTED_KEY]: cur });
}

// removalRefusal is the error for a remove request that policy forbids,
// null when removing is allowed.
function removalRefusal(values) {
  if (values.removalAllowed !== false) return null;
  return { code: "removal_not_allowed", message: "", detail: "policy removalAllowed is false" };
}

// withKeyPolicy returns {request} with the key policy added to an enroll
// request's params, or {error} when it asks for a backend the policy does
// not allow. The error names the backend (not secret) and nothing else of
// the params, which hold the password.
function withKeyPolicy(req, values) {
  const params = req.params && typeof req.params === "object" ? req.params : {};
  const backend = typeof params.backend === "string" && params.backend ? params.backend : "auto";
  if (!values.allowedBackends.includes(backend)) {
    return {
      error: {
        code: "backend_not_allowed",
        message: "",
        detail: "backend " + JSON.stringify(backend.slice(0, 32)) + " is not in allowedBackends [" + values.allowedBackends.join(", ") + "]",
      },
    };
  }
  const policy = {
    hardwareRequired: !!values.hardwareRequired,
    allowedBackends: values.allowedBackends.filter((b) => b !== "auto"),
  };
  if (values.serverTrustCAs && values.serverTrustCAs.length) policy.serverTrustCAs = values.serverTrustCAs;
  return { request: Object.assign({}, req, { params: Object.assign({}, params, { policy }) }) };
}
