package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/portal/admin"
)

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
	ff.typeInto("#password", password)
	ff.click("#activate")
	ff.waitFor("renewed", ff.visible("#done"))
	if got := ff.attr("#done", "data-serial"); got == "" || admin.NormalizeSerial(got) == serial {
		t.Fatalf("renewed serial %q (old %q)", got, serial)
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
