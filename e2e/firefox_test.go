package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// TestFirefoxEnrollAndRenew drives the Firefox build of the extension in
// headless Firefox ESR with the real host (registered with Firefox's
// allowed_extensions manifest) and a real portal: enroll, then renew,
// through the UI.
func TestFirefoxEnrollAndRenew(t *testing.T) {
	u, p, code := firefoxUser(t)
	for _, lang := range []string{"en"} {
		ff := u.firefox(t, lang)
		ffEnrollAndRenew(t, u, ff, p.URL, code, lang)
	}
}

// ffEnrollAndRenew enrolls through the extension's UI in ff, then renews
// that certificate, and returns both serials; ~/.pki/nssdb holds only the
// newest certificate after each.
func ffEnrollAndRenew(t *testing.T, u *user, ff *bidi, portal, code, lang string) (serial1, serial2 string) {
	t.Helper()
	ff.openExt(portal+"/", "popup.html")
	ff.waitFor("list", ff.visible("#cert-list"))
	ff.shot("ff-" + lang + "-01-list")
	ff.click("#nav-enroll")
	ff.typeInto("#enroll-portal", portal)
	ff.typeInto("#enroll-user", userID)
	ff.typeInto("#enroll-password", password)
	ff.typeInto("#enroll-invitation", code)
	ff.shot("ff-" + lang + "-02-enroll")
	serial1 = ff.doneSerial("#enroll-submit", "enrolled")
	ff.shot("ff-" + lang + "-03-enrolled")
	if serial1 == "" {
		t.Fatal("no serial after enrollment")
	}
	u.nss(t).only(t, serial1)

	row := `.cert-row[data-serial="` + serial1 + `"]`
	ff.click("#back")
	ff.click(row + " .cert-menu")
	ff.click(".menu-renew")
	ff.click("#confirm-ok")
	ff.typeInto("#password", password)
	ff.shot("ff-" + lang + "-04-password")
	serial2 = ff.doneSerial("#activate", "renewed")
	ff.shot("ff-" + lang + "-05-renewed")
	if serial2 == "" || serial2 == serial1 {
		t.Fatalf("renewed serial %q (old %q)", serial2, serial1)
	}
	u.nss(t).only(t, serial2)
	return serial1, serial2
}

// doneSerial clicks button, waits for the done screen (what) and returns
// the serial it shows.
func (b *bidi) doneSerial(button, what string) string {
	b.click(button)
	b.waitFor(what, b.visible("#done"))
	return b.attr("#done", "data-serial")
}

// firefoxUser is how a test in Firefox starts: a portal with userID and an
// invitation code for her (alicePortal), and a user with the host
// registered for Firefox and the portal's root as its trust anchor.
func firefoxUser(t *testing.T) (*user, *portaltest.Portal, string) {
	t.Helper()
	testenv.Need(t, "firefox-esr", "certutil", "pk12util")
	p, code := alicePortal(t)
	u := newUser(t)
	installForFirefox(t, u, "--portal-ca", p.Dir+"/ca/root.pem")
	return u, p, code
}

// installForFirefox registers the host for Firefox only, as a user does
// (`certrenew-host install --browser firefox`), and checks that it wrote
// the manifest Firefox reads under HOME.
func installForFirefox(t *testing.T, u *user, args ...string) {
	t.Helper()
	u.host(t, "", append([]string{"install", "--browser", "firefox"}, args...)...)
	mf := filepath.Join(u.home, ".mozilla", "native-messaging-hosts", "com.certrenew.host.json")
	data, err := os.ReadFile(mf)
	if err != nil {
		t.Fatalf("certrenew-host install --browser firefox wrote no %s: %v", mf, err)
	}
	var m struct {
		Path              string   `json:"path"`
		AllowedExtensions []string `json:"allowed_extensions"`
	}
	if err := json.Unmarshal(data, &m); err != nil || m.Path != built.front || !slices.Contains(m.AllowedExtensions, "certrenew@certrenew.org") {
		t.Fatalf("firefox host manifest %s: %s", mf, data)
	}
}

// TestFirefoxHostMissing: in Firefox, with no host registered (Firefox
// says so in port.error, "No such native application"), the list says
// host_missing and how to fix it, in English and Japanese.
func TestFirefoxHostMissing(t *testing.T) {
	inBothLanguages(t, func(t *testing.T, lang string) {
		testenv.Need(t, "firefox-esr")
		u := newUser(t) // no `certrenew-host install`
		page := renewServer(t)
		ff := u.firefox(t, lang)
		ff.openExt(page.URL+"/", "popup.html")
		ff.waitFor("host missing", ff.visible(`#error[data-code="host_missing"]`))
		ff.shot("ff-" + lang + "-host-missing")
		msg, _ := ff.eval(`document.getElementById("error-message").textContent`)
		if !strings.Contains(msg, "certrenew-host install") {
			t.Fatalf("host-missing message %s does not say how to fix it", msg)
		}
		title, _ := ff.eval(`document.getElementById("error-title").textContent`)
		if want := map[string]string{"en": `"certrenew-host is not installed"`, "ja": `"certrenew-host がインストールされていません"`}[lang]; title != want {
			t.Fatalf("error title %s, want %s", title, want)
		}
		detail, _ := ff.eval(`document.querySelector("#error details code").textContent`)
		if !strings.Contains(detail, "No such native application") {
			t.Fatalf("technical details %s do not carry Firefox's reason", detail)
		}
	})
}

// TestFirefoxRenewalLink opens a portal renewal link (contract v2) in the
// Firefox build, which has no externally_connectable: the portal's login
// page, then the link's page, whose script gets the token from the portal
// and posts it to the content script; the page gets the ack, the
// extension opens the password screen of the certificate with that
// serial, and the renewal spends the link's token.
func TestFirefoxRenewalLink(t *testing.T) {
	u, p, code := firefoxUser(t)
	out := u.enroll(t, p, code)
	serial := admin.NormalizeSerial(jsonField(t, out, "serial"))
	link := p.RenewalLink(t, userID, serial, 0)
	linkID := link[strings.LastIndex(link, "/")+1:]

	ff := u.firefox(t, "en")
	ff.openExt(p.URL+"/", "options.html")
	ff.typeInto("#set-portals", p.URL)
	ff.click("#settings-save")
	ff.waitFor("saved", ff.visible("#settings-saved"))

	// The link, not logged in: the portal's login page, then the link.
	ff.navigate(link)
	ff.typeInto("#user", userID)
	ff.typeInto("#password", password)
	ff.click("#login")
	ff.waitFor("ack", `location.href === `+jsString(link)+` && (s => s && s !== "working")(document.getElementById("renew") && document.getElementById("renew").getAttribute("data-state"))`)
	if st := ff.attr("#renew", "data-state"); st != "handed" {
		reason, _ := ff.eval(`document.getElementById("reason").textContent`)
		t.Fatalf("renewal page state %q (reason %s)", st, reason)
	}
	ff.shot("ff-en-06-portal-handed")
	if leak, _ := ff.eval(`[location.href, document.title, document.documentElement.outerHTML].join("|").includes("rt1_")`); leak != "false" {
		t.Fatalf("the portal page shows a token (%s)", leak)
	}
	// The extension opened app.html#link=… in a new tab.
	var tabURL string
	ff.waitForTab(func(url string) bool {
		if strings.HasPrefix(url, "moz-extension://"+firefoxUUID+"/app.html#link=") {
			tabURL = url
			return true
		}
		return false
	})
	if strings.Contains(tabURL, "rt1_") {
		t.Fatal("the app tab's URL holds the token")
	}
	ff.waitFor("password", ff.visible("#password"))
	ff.shot("ff-en-07-link-password")
	// A wrong password: the portal's page, still waiting, is told.
	ff.typeInto("#password", "not-"+password)
	ff.click("#activate")
	ff.waitFor("bad_password", ff.visible(`#error[data-code="bad_password"]`))
	ff.waitForTab(func(url string) bool { return url == link })
	ff.waitFor("page told", ff.visible(`#renew[data-state="handed"] #handed-failed`))
	if c, _ := ff.eval(`document.getElementById("failed-code").textContent`); c != `"bad_password"` {
		t.Fatalf("the portal page was told %s, want bad_password", c)
	}
	ff.waitForTab(func(url string) bool { return strings.HasPrefix(url, "moz-extension://"+firefoxUUID+"/app.html") })
	ff.click("#retry")
	ff.typeInto("#password", password)
	got := ff.doneSerial("#activate", "renewed")
	if got == "" || admin.NormalizeSerial(got) == serial {
		t.Fatalf("renewed serial %q (old %q)", got, serial)
	}
	// The portal's page shows the new certificate.
	ff.waitForTab(func(url string) bool { return url == link })
	ff.waitFor("page shows the renewal", ff.visible(`#renew[data-state="renewed"] #new-serial`))
	if s, _ := ff.eval(`document.getElementById("new-serial").textContent`); admin.NormalizeSerial(strings.Trim(s, `"`)) != admin.NormalizeSerial(got) {
		t.Fatalf("the portal page shows serial %s, the extension %s", s, got)
	}
	if l, err := p.Store.RenewalLink(context.Background(), linkID); err != nil || !l.Used {
		t.Fatalf("the renewal did not spend the link's token (%v)", err)
	}
}

// waitForTab switches the driver to the first tab whose URL matches.
func (b *bidi) waitForTab(match func(string) bool) {
	b.t.Helper()
	for i := 0; i < 300; i++ {
		var tree struct {
			Contexts []struct {
				Context string `json:"context"`
				URL     string `json:"url"`
			} `json:"contexts"`
		}
		json.Unmarshal(b.call("browsingContext.getTree", map[string]any{}), &tree)
		for _, c := range tree.Contexts {
			if match(c.URL) {
				b.tab = c.Context
				return
			}
		}
		b.sleep()
	}
	b.t.Fatal("no matching tab")
}

// TestFirefoxPresentsSoftwareKey: a certificate enrolled and renewed from
// Firefox has a software key, which lives in ~/.pki/nssdb (the database
// Chromium reads, not Firefox's profile). The host registers that database
// read-only in the Firefox profile when it starts, so after a restart
// Firefox itself completes a client-certificate request to the portal's
// /mtls/whoami with the renewed certificate.
func TestFirefoxPresentsSoftwareKey(t *testing.T) {
	u, p, code := firefoxUser(t)
	// The profile u.firefox uses, listed in profiles.ini as Firefox's
	// profile manager lists it: that is where the host finds it.
	profile := filepath.Join(u.home, "ff-profile")
	ffRoot := filepath.Join(u.home, ".mozilla", "firefox")
	os.MkdirAll(ffRoot, 0o700)
	ini := "[Profile0]\nName=default-esr\nIsRelative=0\nPath=" + profile + "\nDefault=1\n"
	if err := os.WriteFile(filepath.Join(ffRoot, "profiles.ini"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}

	ff := u.firefox(t, "en")
	_, serial2 := ffEnrollAndRenew(t, u, ff, p.URL, code, "en")
	ff.stop()

	// The key is a software key in ~/.pki/nssdb, not in the profile.
	nssdb := "sql:" + filepath.Join(u.home, ".pki", "nssdb")
	if out, err := exec.Command("certutil", "-K", "-d", nssdb).CombinedOutput(); err != nil || !strings.Contains(string(out), "< 0>") {
		t.Fatalf("no software key in ~/.pki/nssdb: %v\n%s", err, out)
	}
	if out, _ := exec.Command("certutil", "-K", "-d", "sql:"+profile).CombinedOutput(); strings.Contains(string(out), "< 0>") {
		t.Fatalf("the key was copied into the Firefox profile:\n%s", out)
	}

	// doctor says so for the profile.
	out := u.host(t, "", "doctor")
	if !slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool {
		return strings.Contains(l, profile) && strings.HasSuffix(strings.TrimSpace(l), "Firefox profile, software keys shared")
	}) {
		t.Fatalf("doctor does not show the profile sharing the software keys:\n%s", out)
	}

	ff = u.firefox(t, "en", `user_pref("security.default_personal_cert", "Select Automatically");`)
	ff.navigate(p.URL + "/mtls/whoami")
	raw, err := ff.eval(`document.body ? document.body.textContent.trim() : ""`)
	var got string
	json.Unmarshal([]byte(raw), &got)
	if err != nil || got != serial2 {
		t.Fatalf("Firefox presented %q (%v), want the renewed serial %s", got, err, serial2)
	}
	ff.shot("ff-en-06-softkey-whoami")
	t.Logf("Firefox presented the renewed software-key certificate %s", got)
}
