package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
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
	ff.click("#enroll-submit")
	ff.waitFor("enrolled", ff.visible("#done"))
	serial1 = ff.attr("#done", "data-serial")
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
	ff.click("#activate")
	ff.waitFor("renewed", ff.visible("#done"))
	serial2 = ff.attr("#done", "data-serial")
	ff.shot("ff-" + lang + "-05-renewed")
	if serial2 == "" || serial2 == serial1 {
		t.Fatalf("renewed serial %q (old %q)", serial2, serial1)
	}
	u.nss(t).only(t, serial2)
	return serial1, serial2
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
