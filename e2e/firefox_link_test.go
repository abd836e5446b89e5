package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// TestFirefoxRenewalLink hands a portal renewal link to the Firefox build
// through its content script (Firefox has no externally_connectable): the
// page gets the ack and the extension opens the password screen of the
// certificate with that serial.
func TestFirefoxRenewalLink(t *testing.T) {
	testenv.Need(t, "firefox-esr", "certutil", "pk12util")
	p := portaltest.Start(t)
	p.AddUser(t, userID, password)
	code := p.Invite(t, userID)
	u := newUser(t)
	installForFirefox(t, u, "--portal-ca", p.Dir+"/ca/root.pem")
	out := u.host(t, password+"\n", "enroll", "--portal", p.URL, "--user", userID, "--invitation", code, "--password-stdin", "--json")
	serial := jsonField(t, out, "serial")
	portal := renewServer(t)

	ff := u.firefox(t, "en")
	ff.openExt(portal.URL+"/", "options.html")
	ff.typeInto("#set-portals", portal.URL)
	ff.click("#settings-save")
	ff.waitFor("saved", ff.visible("#settings-saved"))

	token := newLinkToken(t)
	ff.navigate(portal.URL + "/renew?only=content#token=" + token + "&serial=" + serial + "&user=" + userID)
	ff.waitFor("ack", `document.getElementById("renew").getAttribute("data-state") !== "working"`)
	if st := ff.attr("#renew", "data-state"); st != "handed" {
		reason, _ := ff.eval(`document.getElementById("reason").textContent`)
		t.Fatalf("renewal page state %q (reason %s)", st, reason)
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
	if strings.Contains(tabURL, token) {
		t.Fatal("the app tab's URL holds the token")
	}
	ff.waitFor("password", ff.visible("#password"))
	ff.shot("ff-en-06-link-password")
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
