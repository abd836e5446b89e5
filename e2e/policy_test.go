package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/chromedp/chromedp"
)

// TestManagedPolicy sets the extension's managed storage through a
// Chromium policy file (schema.json): the options page shows the managed
// values locked, the user cannot change them, and unmanaged settings stay
// editable; the key policy reaches the host with the enroll request, which
// refuses a software key with hardware_required, and the worker refuses a
// backend outside allowedBackends before the host sees it; the diagnostics
// view reports the host. In en and ja.
func TestManagedPolicy(t *testing.T) {
	inBothLanguages(t, managedPolicyTest)
}

func managedPolicyTest(t *testing.T, lang string) {
	testenv.Need(t, "chromium", "certutil")
	const corp = "https://portal.corp.example"
	p, code := alicePortal(t)
	managedPolicy(t, map[string]any{
		"portalURLs":       []string{corp + "/certs", p.URL},
		"hardwareRequired": true,
		"allowedBackends":  []string{"auto", "pkcs11", "soft"},
	})
	u := newUser(t)
	u.installPortal(t, p)
	browser := u.browserLang(t, lang)
	ctx, closeTab := openExt(t, browser, "options.html")
	defer closeTab()
	run(t, ctx, "options", chromedp.WaitVisible(chromedp.CSS("#locked-portalURLs")))
	shotLang(t, ctx, lang, "p1-settings-locked")
	for _, id := range []string{"#locked-hardwareRequired", "#locked-allowedBackends", "#locked-hint"} {
		run(t, ctx, id, chromedp.WaitVisible(chromedp.CSS(id)))
	}
	if v := eval[string](t, ctx, "portals", `document.getElementById("set-portals").value`); v != corp+"\n"+p.URL {
		t.Fatalf("portal URLs %q, want the managed %q and %q", v, corp, p.URL)
	}
	if eval[bool](t, ctx, "days lock", `!!document.getElementById("locked-warningDays")`) {
		t.Fatal("warning days shown as set by the organisation; the policy does not set them")
	}
	disabled := eval[[]bool](t, ctx, "disabled", `["set-portals","set-days","set-hardware","set-backend-soft"].map(id => document.getElementById(id).disabled || !!document.getElementById(id).closest("fieldset:disabled"))`)
	if !disabled[0] || disabled[1] || !disabled[2] || !disabled[3] {
		t.Fatalf("disabled portals/days/hardware/soft = %v, want locked, editable, locked, locked", disabled)
	}
	if !eval[bool](t, ctx, "hw", `document.getElementById("set-hardware").checked`) {
		t.Fatal("hardware required is not shown checked")
	}
	// hardwareRequired takes software keys out of the allowed backends.
	if eval[bool](t, ctx, "soft", `document.getElementById("set-backend-soft").checked`) {
		t.Fatal("software keys allowed although policy requires hardware")
	}
	// A user's save changes what is not managed, and not what is.
	run(t, ctx, "save", chromedp.Evaluate[chromedp.Void](`document.getElementById("set-days").value = ""`), chromedp.SendKeys(chromedp.CSS("#set-days"), "20, 5"),
		chromedp.Click(chromedp.CSS("#settings-save")), chromedp.WaitVisible(chromedp.CSS("#settings-saved")))
	poll[bool](t, ctx, "days saved", `chrome.storage.local.get("certrenew.settings").then(v => JSON.stringify((v["certrenew.settings"]||{}).warningDays) === "[20,5]")`)
	stored := eval[string](t, ctx, "stored", `chrome.storage.local.get("certrenew.settings").then(v => JSON.stringify(v["certrenew.settings"]))`)
	for _, k := range []string{"portalURLs", "hardwareRequired", "allowedBackends"} {
		if strings.Contains(stored, k) {
			t.Fatalf("user settings %s hold the managed %s", stored, k)
		}
	}
	// An enrollment adds no portal where policy sets them (issue 17).
	w := worker(t, browser)
	if eval[bool](t, w, "add portal", `addPortal("https://enrolled.example")`) {
		t.Fatal("an enrolled portal was added to the portals policy sets")
	}
	if after := eval[string](t, ctx, "stored after", `chrome.storage.local.get("certrenew.settings").then(v => JSON.stringify(v["certrenew.settings"]))`); after != stored {
		t.Fatalf("user settings changed from %s to %s", stored, after)
	}

	// Enrollment offers no software key: hardwareRequired leaves "auto"
	// and pkcs11, and this host has no token, so no choice is shown.
	ectx, closeE := openExt(t, browser, "popup.html")
	defer closeE()
	run(t, ectx, "enroll", chromedp.WaitVisible(chromedp.CSS("#nav-enroll")), chromedp.Click(chromedp.CSS("#nav-enroll")), chromedp.WaitVisible(chromedp.CSS("#enroll-portal")))
	poll[bool](t, ectx, "settings reached the form", `document.querySelector("section[data-backends]")?.dataset.backends === "auto"`)
	if eval[bool](t, ectx, "backend select", `!!document.getElementById("enroll-backend")`) {
		t.Fatal("enrollment offers a key storage choice although policy leaves only auto")
	}
	// "auto" on a host with software keys only: the host itself refuses,
	// because the policy came with the request.
	run(t, ectx, "enroll auto",
		fillEnroll(p.URL, code),
		chromedp.Click(chromedp.CSS("#enroll-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#error[data-code="hardware_required"]`)))
	shotLang(t, ectx, lang, "p3-error-hardware-required")
	if m := text(t, ectx, "#error-message"); m != errcode.Message(errcode.HardwareRequired, lang) {
		t.Fatalf("hardware_required message %q", m)
	}
	// A page of the extension asking for a backend outside the policy:
	// the worker refuses it before the host sees it.
	for _, backend := range []string{"soft", "tpm"} {
		got := eval[string](t, ectx, "enroll "+backend, `new Promise((resolve) => {
  const port = chrome.runtime.connect({name: "ui"});
  port.onMessage.addListener((m) => {
    if (m.kind === "reply" && m.reply.id === "t-`+backend+`" && m.reply.type !== "progress") resolve(m.reply.type + ":" + (m.reply.error ? m.reply.error.code : ""));
  });
  port.postMessage({kind: "request", request: {id: "t-`+backend+`", command: "enroll", params: {portal: "`+p.URL+`", user: "`+userID+`", password: "`+password+`", invitation: "`+code+`", backend: "`+backend+`"}}});
})`)
		if got != "error:backend_not_allowed" {
			t.Fatalf("enroll with backend %s: %s, want error:backend_not_allowed", backend, got)
		}
	}
	if out := u.host(t, "", "list", "--json"); strings.Contains(out, `"serial"`) {
		t.Fatalf("a certificate was enrolled against the policy:\n%s", out)
	}

	// Diagnostics: the host's report through the extension.
	run(t, ctx, "diagnostics", chromedp.Click(chromedp.CSS("#nav-diagnostics")), chromedp.WaitVisible(chromedp.CSS("#diag-result")))
	shotLang(t, ctx, lang, "p2-diagnostics")
	if v := text(t, ctx, "#diag-protocol"); v != proto.Version {
		t.Fatalf("diagnostics protocol %q", v)
	}
	if r := eval[string](t, ctx, "report", `document.getElementById("diag-report").value`); !strings.Contains(r, `"protocol": "`+proto.Version+`"`) {
		t.Fatalf("copyable report lacks the host's protocol:\n%s", r)
	}
}

// TestHostMissingDiagnostics: with no host registered, the list says
// exactly that and how to fix it, and diagnostics says the same.
func TestHostMissingDiagnostics(t *testing.T) {
	inBothLanguages(t, func(t *testing.T, lang string) {
		u := newUser(t) // no `certrenew-host install`
		browser := u.browserLang(t, lang)
		ctx, closeTab := openExt(t, browser, "popup.html")
		defer closeTab()
		run(t, ctx, "host missing", chromedp.WaitVisible(chromedp.CSS(`#error[data-code="host_missing"]`)))
		shotLang(t, ctx, lang, "d1-host-missing")
		msg := text(t, ctx, "#error-message")
		if !strings.Contains(msg, "certrenew-host install") {
			t.Fatalf("host-missing message %q does not say how to fix it", msg)
		}
		// Not "Something went wrong", no Back that leads nowhere, and
		// help on installing the host.
		if title, want := text(t, ctx, "#error-title"), map[string]string{"en": "certrenew-host is not installed", "ja": "certrenew-host がインストールされていません"}[lang]; title != want {
			t.Fatalf("title %q, want %q", title, want)
		}
		if eval[bool](t, ctx, "back", `!!document.getElementById("back")`) {
			t.Fatal("a Back with no list to go back to")
		}
		if h := attr(t, ctx, "#error-help", "href"); !strings.HasSuffix(h, "/docs/troubleshooting.md#certrenew-host-is-not-installed") {
			t.Fatalf("help link %q", h)
		}
		run(t, ctx, "diagnostics", chromedp.Click(chromedp.CSS("#error-diagnostics")),
			chromedp.WaitVisible(chromedp.CSS(`#diag-error[data-code="host_missing"]`)))
		shotLang(t, ctx, lang, "d2-diagnostics-host-missing")
		if m := text(t, ctx, "#diag-error-message"); m != msg {
			t.Fatalf("diagnostics says %q, the list %q", m, msg)
		}
	})
}

// TestHostForbidden: a host that refuses the caller (here: told another
// extension is calling) sends an error frame before its hello; the list
// and diagnostics say host_forbidden with how to fix it, not host_failed.
func TestHostForbidden(t *testing.T) {
	inBothLanguages(t, func(t *testing.T, lang string) {
		testenv.Need(t, "chromium")
		u := newUser(t)
		u.host(t, "", "install")
		wrapHost(t, u, "exec '"+built.front+"' chrome-extension://"+strings.Repeat("a", 32)+"/ \"$@\"")
		browser := u.browserLang(t, lang)
		ctx, closeTab := openExt(t, browser, "popup.html")
		defer closeTab()
		run(t, ctx, "host forbidden", chromedp.WaitVisible(chromedp.CSS(`#error[data-code="host_forbidden"]`)))
		shotLang(t, ctx, lang, "d3-host-forbidden")
		if msg := text(t, ctx, "#error-message"); !strings.Contains(msg, "certrenew-host install") {
			t.Fatalf("host-forbidden message %q does not say how to fix it", msg)
		}
		if d := eval[string](t, ctx, "detail", `document.querySelector("#error details code").textContent`); !strings.Contains(d, "not in the allowlist") {
			t.Fatalf("technical details %q do not carry the host's reason", d)
		}
	})
}

// wrapHost points Chromium's host manifest at a shell script running
// body (with the browser's arguments in "$@").
func wrapHost(t *testing.T, u *user, body string) {
	t.Helper()
	wrapper := filepath.Join(t.TempDir(), "host-wrapper")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	mf := filepath.Join(u.home, ".config", "chromium", "NativeMessagingHosts", "com.certrenew.host.json")
	data, err := os.ReadFile(mf)
	if err != nil {
		t.Fatalf("host manifest: %v", err)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	m["path"] = wrapper
	data, _ = json.Marshal(m)
	if err := os.WriteFile(mf, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
