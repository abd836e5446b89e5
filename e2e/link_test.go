package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/chromedp/chromedp"
	_ "modernc.org/sqlite"
)

// renewPage stands in for a portal's renewal page on origins that are not
// the test's portal (a page from another origin, a second portal): like
// the portal's contract-v2 page (portal/web/static/renew.js) it gets the
// link's token from its own server with a POST, never from its URL, then
// posts the link to the window for the content script and sends it to the
// extension (externally_connectable), and waits for the ack. ?only=content
// or ?only=external keeps one path, to test each.
const renewPage = `<!doctype html><meta charset="utf-8"><title>renew</title>
<div id="renew" data-state="working"><p id="reason"></p></div>
<script>
(function () {
  var root = document.getElementById("renew");
  var only = new URLSearchParams(location.search).get("only");
  var done = false;
  function settle(ack) {
    if (done) return;
    done = true;
    document.getElementById("reason").textContent = ack && ack.reason || "";
    root.setAttribute("data-state", ack ? (ack.ok ? "handed" : "refused") : "noext");
  }
  window.addEventListener("message", function (ev) {
    if (ev.source === window && ev.data && ev.data.type === "certrenew-renewal-link-ack") settle(ev.data);
  });
  fetch(location.pathname + "/token", {method: "POST", cache: "no-store"}).then(function (r) { return r.json(); }).then(function (b) {
    var payload = {type: "certrenew-renewal-link", version: 1, token: b.token, serial: b.serial, user: b.user, portal: location.origin};
    if (only !== "external") window.postMessage(payload, location.origin);
    if (only !== "content" && window.chrome && chrome.runtime && chrome.runtime.sendMessage) {
      chrome.runtime.sendMessage("` + extensionID + `", payload, function (r) {
        if (!chrome.runtime.lastError && r && r.type === "certrenew-renewal-link-ack") settle(r);
      });
    }
  });
})();
</script>`

// fakePortal serves renewPage at /renew/{id} and each link's
// {token, serial, user} at POST /renew/{id}/token (no-store).
type fakePortal struct {
	*httptest.Server
	mu    sync.Mutex
	links map[string]map[string]string
}

func renewServer(t *testing.T) *fakePortal {
	t.Helper()
	f := &fakePortal{links: map[string]map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /renew/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(renewPage))
	})
	mux.HandleFunc("POST /renew/{id}/token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		l, ok := f.links[r.PathValue("id")]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(l)
	})
	f.Server = httptest.NewTLSServer(mux)
	t.Cleanup(f.Close)
	return f
}

// link registers a link whose page hands token, serial and user, and
// returns its URL (which holds none of them).
func (f *fakePortal) link(token, serial, user string) string {
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	f.mu.Lock()
	f.links[id] = map[string]string{"token": token, "serial": serial, "user": user}
	f.mu.Unlock()
	return f.URL + "/renew/" + id
}

func newLinkToken(t *testing.T) string {
	var b [32]byte
	rand.Read(b[:])
	return "rt1_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// recordHost points the browser's host manifest at a wrapper that copies
// what the browser sends the host into rec (a test-only file outside HOME)
// so that the test sees the token reach the host.
func recordHost(t *testing.T, u *user) string {
	t.Helper()
	rec := filepath.Join(t.TempDir(), "to-host.bin")
	wrapHost(t, u, "tee -a '"+rec+"' | '"+built.front+"' \"$@\"")
	return rec
}

// TestRenewalLinkHandoff follows the user's path to a renewal link in
// Chromium with the extension: log in to the portal, certificate
// management, ⁝ → show renewal URL, open the link. The link's page hands a
// one-time token to the extension, which opens the password screen of the
// certificate with that serial; the renewal sent to the host carries the
// token, and the link is then used. A link from a page that is not a
// configured portal is refused and shown; by externally_connectable, a
// serial not on this computer opens enrollment. After Chromium exits, no
// token is in any file under HOME: not in History, Sessions or ukm_db
// (contract v2 keeps it out of the URL), nor in extension storage, the
// host's state or log.
func TestRenewalLinkHandoff(t *testing.T) {
	inBothLanguages(t, renewalLinkHandoff)
}

func renewalLinkHandoff(t *testing.T, lang string) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	// The build names the test portal (CERTRENEW_PORTAL_MATCHES): host
	// access there, and no static content script (the worker registers it
	// for the configured portals; TestExtensionTrustsOwnPages).
	var mf struct {
		ContentScripts  []any                      `json:"content_scripts"`
		HostPermissions []string                   `json:"host_permissions"`
		External        struct{ Matches []string } `json:"externally_connectable"`
	}
	data, _ := os.ReadFile(filepath.Join(built.extension, "manifest.json"))
	if err := json.Unmarshal(data, &mf); err != nil || mf.ContentScripts != nil ||
		!slices.Equal(mf.HostPermissions, []string{portalMatches}) || !slices.Equal(mf.External.Matches, []string{portalMatches}) {
		t.Fatalf("built manifest content_scripts/host_permissions/externally_connectable: %s", data)
	}
	p, code := alicePortal(t)
	u := newUser(t)
	u.installPortal(t, p)
	rec := recordHost(t, u)

	portal, other := renewServer(t), renewServer(t)
	autoSelectPolicy(t, p.URL)
	browser := u.browserLang(t, lang, "ignore-certificate-errors")

	// Enrolling in the popup adds the portal to the portals (issue 17:
	// the demo's steps, with no portal added by hand).
	// The Apply click (a user gesture) asks for access to the portal's
	// host, where the link's content script runs; the build's
	// host_permissions hold it, so it is granted without a prompt.
	pop, closePop := openExt(t, browser, "popup.html")
	run(t, pop, "enroll form", chromedp.WaitVisible(chromedp.CSS("#cert-list")),
		chromedp.Click(chromedp.CSS("#nav-enroll")), chromedp.WaitVisible(chromedp.CSS("#enroll-portal")))
	recordPermissionRequests(t, pop)
	run(t, pop, "enroll", fillEnroll(p.URL, code), chromedp.Click(chromedp.CSS("#enroll-submit")), chromedp.WaitVisible(chromedp.CSS("#done")))
	if got := poll[string](t, pop, "permission asked", `self.__asked.length && self.__asked[0].result !== "pending" && JSON.stringify(self.__asked)`); got != `[{"origins":["https://127.0.0.1/*"],"result":"true"}]` {
		t.Fatalf("Apply asked for host access %s, want https://127.0.0.1/* granted", got)
	}
	serial := admin.NormalizeSerial(attr(t, pop, "#done", "data-serial"))
	run(t, pop, "list", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(`.cert-row[data-serial]`)))
	certID := attr(t, pop, `.cert-row[data-serial]`, "data-cert-id")
	closePop()

	// The options page shows it; another portal origin is added by hand.
	opt, closeOpt := openExt(t, browser, "options.html")
	defer closeOpt()
	run(t, opt, "options", chromedp.WaitVisible(chromedp.CSS("#set-portals")))
	if v := poll[string](t, opt, "enrolled portal", `document.getElementById("set-portals").value || null`); v != p.URL {
		t.Fatalf("portals after enrolling: %q, want %s", v, p.URL)
	}
	portals := p.URL + "\n" + portal.URL + "/"
	run(t, opt, "add portal", chromedp.Focus(chromedp.CSS("#set-portals")),
		chromedp.Evaluate[chromedp.Void](`(e => { e.setSelectionRange(e.value.length, e.value.length); })(document.getElementById("set-portals"))`),
		chromedp.SendKeys(chromedp.CSS("#set-portals"), "\n"+portal.URL+"/"))
	// Save only once the field holds everything typed.
	poll[bool](t, opt, "typed", `document.getElementById("set-portals").value === `+strconv.Quote(portals))
	run(t, opt, "save", chromedp.Click(chromedp.CSS("#settings-save")),
		chromedp.WaitVisible(chromedp.CSS("#settings-saved")))
	shotLang(t, opt, lang, "l0-options-portal")
	poll[bool](t, opt, "saved", `chrome.storage.local.get("certrenew.settings").then(v => ["`+p.URL+`", "`+portal.URL+`"].every(u => ((v["certrenew.settings"]||{}).portalURLs||[]).includes(u)))`)

	// 1. Another origin: refused, the page is told, a notification says so.
	token0 := newLinkToken(t)
	page, closePage := tab(t, browser)
	defer closePage()
	run(t, page, "refused link",
		chromedp.Navigate(other.link(token0, serial, userID)),
		chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="refused"]`)))
	if r := text(t, page, "#reason"); r != "origin_not_allowed" {
		t.Fatalf("refusal reason %q", r)
	}
	refusedID := poll[string](t, opt, "refused notification", `chrome.notifications.getAll().then(n => Object.keys(n).find(k => k.startsWith("refused:")))`)
	// Its click says what happened and leads to Settings.
	w := worker(t, browser)
	eval[bool](t, w, "click refused", `(onNotificationClicked(`+strconv.Quote(refusedID)+`), true)`)
	refused, _ := waitTab(t, browser, popupURL("app.html#refused="), nil)
	run(t, refused, "refused screen", chromedp.WaitVisible(chromedp.CSS(`#refused[data-code="origin_not_allowed"] #open-settings:focus`)))
	if m := text(t, refused, "#refused-message"); !strings.Contains(m, other.URL) {
		t.Fatalf("refusal %q does not name the page's origin %s", m, other.URL)
	}
	shotLang(t, refused, lang, "l1-link-origin-refused")
	run(t, refused, "to settings", chromedp.Click(chromedp.CSS("#open-settings")), chromedp.WaitVisible(chromedp.CSS("#set-portals")))

	// 2. The user's path in the real portal: log in, certificate
	// management, ⁝ → show renewal URL, open the link.
	row := `#certs tr[data-serial="` + serial + `"]`
	run(t, page, "portal login",
		chromedp.Navigate(p.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), userID),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#cert-mgmt")))
	run(t, page, "certificate management",
		chromedp.Click(chromedp.CSS("#cert-mgmt")),
		chromedp.WaitVisible(chromedp.CSS(row+" details.kebab summary")),
		chromedp.Click(chromedp.CSS(row+" details.kebab summary")),
		chromedp.WaitVisible(chromedp.CSS(row+" button.show-link")))
	shotLang(t, page, lang, "l2-portal-menu")
	run(t, page, "show renewal URL",
		chromedp.Click(chromedp.CSS(row+" button.show-link")),
		chromedp.WaitVisible(chromedp.CSS("#renewal-link")),
		chromedp.WaitVisible(chromedp.CSS("#qr")))
	link := attr(t, page, "#renewal-link", "href")
	linkID, ok := renewlink.ParseLinkID(strings.TrimPrefix(link, p.URL+"/renew/"))
	if !ok || link != p.URL+"/renew/"+linkID {
		t.Fatalf("the shown renewal URL %q is not {portal}/renew/{linkID}", link)
	}
	shotLang(t, page, lang, "l3-portal-link")
	run(t, page, "open the link",
		chromedp.Click(chromedp.CSS("#renewal-link")),
		chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="handed"]`)))
	shotLang(t, page, lang, "l4-portal-handed")
	if href := eval[string](t, page, "address", `location.href`); href != link {
		t.Errorf("the link's page moved from %s to another address", link) // not printed: it may hold a token
	}
	app, appURL := waitTab(t, browser, popupURL("app.html#link="), nil)
	run(t, app, "password screen", chromedp.WaitVisible(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("#link-note")))
	if n := text(t, app, "#link-note"); !strings.Contains(n, p.URL) {
		t.Fatalf("link note %q does not name the portal", n)
	}
	shotLang(t, app, lang, "l5-link-password")
	// A wrong password first: the extension's tab says so, and the
	// portal's page, still waiting, says the attempt failed (the code
	// only, from the content script); Try again, then the right one.
	run(t, app, "wrong password",
		chromedp.SendKeys(chromedp.CSS("#password"), "not-"+password),
		chromedp.Click(chromedp.CSS("#activate")),
		chromedp.WaitVisible(chromedp.CSS(`#error[data-code="bad_password"]`)))
	run(t, page, "page told", chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="handed"] #handed-failed`)))
	if c := text(t, page, "#failed-code"); c != "bad_password" {
		t.Fatalf("the portal page was told %q, want bad_password", c)
	}
	shotLang(t, page, lang, "l5b-portal-attempt-failed")
	run(t, app, "activate",
		chromedp.Click(chromedp.CSS("#retry")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#activate")),
		chromedp.WaitVisible(chromedp.CSS("#done")))
	shotLang(t, app, lang, "l6-link-done")
	run(t, page, "page shows the renewal", chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="renewed"] #new-serial`)))
	if got, want := admin.NormalizeSerial(text(t, page, "#new-serial")), admin.NormalizeSerial(attr(t, app, "#done", "data-serial")); got != want {
		t.Fatalf("the portal page shows serial %q, the extension %q", got, want)
	}
	if got := attr(t, app, "#done", "data-serial"); got == "" || admin.NormalizeSerial(got) == serial {
		t.Fatalf("renewed serial %q (old %q)", got, serial)
	} else {
		u.nss(t).only(t, got)
	}
	// The token the host got is the one the portal minted for the link,
	// and the renewal spent it.
	sent, _ := os.ReadFile(rec)
	m := regexp.MustCompile(`"token":"(rt1_[A-Za-z0-9_-]{43})"`).FindSubmatch(sent)
	if m == nil || !strings.Contains(string(sent), `"certId":"`+certID+`"`) {
		t.Fatalf("the renew request to the host lacks the link's token or cert ID")
	}
	token1 := string(m[1])
	if l, err := p.Store.RenewalLink(context.Background(), linkID); err != nil || string(l.TokenHash) != string(renewlink.Hash(token1)) || !l.Used {
		t.Fatalf("the host's token is not the link's redeemed token (%v)", err)
	}
	if strings.Contains(appURL, token1) {
		t.Fatal("the app tab's URL holds the token")
	}
	run(t, page, "used link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="used"] #used`)))

	// 3. externally_connectable path, a serial this computer does not
	// hold: enrollment for the link's portal and user, no invitation code.
	token2 := newLinkToken(t)
	var other8 [8]byte
	rand.Read(other8[:])
	run(t, page, "external link",
		chromedp.Navigate(portal.link(token2, hex.EncodeToString(other8[:]), "bob")+"?only=external"),
		chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="handed"]`)))
	app2, _ := waitTab(t, browser, popupURL("app.html#link="), map[string]bool{appURL: true})
	run(t, app2, "enroll screen", chromedp.WaitVisible(chromedp.CSS("#enroll-password")), chromedp.WaitVisible(chromedp.CSS("#link-note")))
	if v := eval[string](t, app2, "user", `document.getElementById("enroll-user").value`); v != "bob" {
		t.Fatalf("enroll user %q, want the link's", v)
	}
	if eval[bool](t, app2, "invitation", `!!document.getElementById("enroll-invitation")`) {
		t.Fatal("the link's enrollment asks for an invitation code")
	}
	shotLang(t, app2, lang, "l7-link-enroll")

	tokens := []string{token0, token1, token2}
	dump := eval[string](t, opt, "storage", `Promise.all([chrome.storage.local.get(null), chrome.storage.session.get(null), chrome.storage.sync.get(null)]).then(v => JSON.stringify(v))`)
	for _, tok := range tokens {
		if strings.Contains(dump, tok) {
			t.Fatal("extension storage holds a link token")
		}
	}
	chromedp.Cancel(browser) // Chromium exits and flushes the profile.
	if _, err := os.Stat(filepath.Join(u.home, ".config", "chromium", "Default", "Local Extension Settings", extensionID)); err != nil {
		t.Fatalf("the extension's storage is not where the test looks: %v", err)
	}

	// Every file under HOME (the Chromium profile with History, Sessions
	// and ukm_db, the host's state and log, the NSS DB), byte for byte:
	// no token, whole or its random part, in UTF-8 or UTF-16.
	var needles [][]byte
	for _, tok := range tokens {
		for _, s := range []string{tok, tok[len(renewlink.Prefix):]} {
			needles = append(needles, []byte(s), utf16le(s))
		}
	}
	linkSeen := map[string]bool{}
	files := 0
	filepath.Walk(u.home, func(path string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("reading %s: %v", path, err)
			return nil
		}
		files++
		rel, _ := filepath.Rel(u.home, path)
		for _, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s holds a link token", rel)
				break
			}
		}
		if bytes.Contains(b, []byte(linkID)) {
			linkSeen[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	// The scan reads where the browser records a visit: the link's URL
	// (no secret) is in History and the session files.
	profile := ".config/chromium/Default/"
	if !linkSeen[profile+"History"] || !slices.ContainsFunc(slices.Collect(maps.Keys(linkSeen)), func(f string) bool { return strings.HasPrefix(f, profile+"Sessions/") }) {
		t.Fatalf("the link's URL is not in History and Sessions (the scan of %d files would prove nothing): %v", files, linkSeen)
	}
	// History's urls, read with SQLite: the link's URL, and no token in
	// any URL or title.
	visited := false
	for _, row := range historyRows(t, filepath.Join(u.home, ".config", "chromium", "Default", "History")) {
		visited = visited || row.url == link
		for _, tok := range tokens {
			if strings.Contains(row.url, tok) || strings.Contains(row.title, tok) {
				t.Errorf("a History URL or title holds a link token") // not printed: the token is a secret
			}
		}
	}
	if !visited {
		t.Fatal("History does not hold the renewal link's URL")
	}
}

// utf16le is s in UTF-16 little-endian, as Chromium keeps some strings
// (page state in session files, DOM storage).
func utf16le(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

type historyRow struct{ url, title string }

// historyRows reads Chromium's History (SQLite) read-only with the pure-Go
// driver the portal uses.
func historyRows(t *testing.T, file string) []historyRow {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT url, title FROM urls")
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	defer rows.Close()
	var out []historyRow
	for rows.Next() {
		var r historyRow
		if err := rows.Scan(&r.url, &r.title); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		t.Fatal("History has no URLs: the test reads the wrong file")
	}
	return out
}
