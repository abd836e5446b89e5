package e2e

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/chromedp/chromedp"
)

// TestDeadPortal: a certificate enrolled through a portal address that
// then stops answering (a TCP relay in front of the real portal, closed).
// Renewing fails with server_unreachable and an error that says the
// certificate still works, with help and diagnostics; the list then shows
// the portal unreachable since when, not a plain green "Valid"; the enroll
// form does not pre-fill the dead address; and ⁝ → Remove… takes the
// certificate out of NSS. In both languages.
func TestDeadPortal(t *testing.T) {
	inBothLanguages(t, func(t *testing.T, lang string) {
		testenv.Need(t, "chromium", "certutil", "pk12util")
		u, p, code := chromiumUser(t)
		relay := newRelay(t, strings.TrimPrefix(p.URL, "https://"))
		dead := "https://" + relay.addr()
		out := u.host(t, password+"\n"+code+"\n", "enroll", "--portal", dead, "--user", userID, "--password-stdin", "--invitation-stdin", "--json")
		serial, id := jsonField(t, out, "serial"), jsonField(t, out, "id")
		relay.close()

		browser := u.browserLang(t, lang)
		ctx, closeTab := openExt(t, browser, "popup.html")
		defer closeTab()
		row := `.cert-row[data-cert-id="` + id + `"]`
		run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(`#cert-list[aria-busy="false"] `+row)))
		openRenewal(t, ctx, id)
		run(t, ctx, "renew", chromedp.SendKeys(chromedp.CSS("#password"), password), chromedp.Click(chromedp.CSS("#activate")),
			chromedp.WaitVisible(chromedp.CSS(`#error[data-code="server_unreachable"]`)))
		if s := text(t, ctx, "#error-cert-state"); !strings.Contains(s, map[string]string{"en": "still works until", "ja": "引き続き使用できます"}[lang]) {
			t.Fatalf("the error does not say the certificate still works: %q", s)
		}
		if h := attr(t, ctx, "#error-help", "href"); !strings.HasSuffix(h, "/docs/troubleshooting.md#the-portal-cannot-be-reached") {
			t.Fatalf("help link %q", h)
		}
		shotLang(t, ctx, lang, "x1-error-unreachable")
		// The renewal told the host the portal is unreachable.
		run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(row+".is-unreachable")))
		// Again, this time on to diagnostics and back.
		openRenewal(t, ctx, id)
		run(t, ctx, "renew again", chromedp.SendKeys(chromedp.CSS("#password"), password), chromedp.Click(chromedp.CSS("#activate")),
			chromedp.WaitVisible(chromedp.CSS(`#error[data-code="server_unreachable"]`)))
		run(t, ctx, "diagnostics", chromedp.Click(chromedp.CSS("#error-diagnostics")),
			chromedp.WaitVisible(chromedp.CSS(`#diag-portals .badge-bad`)))
		shotLang(t, ctx, lang, "x2-diagnostics")
		run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(row+".is-unreachable")))
		if b := text(t, ctx, row+" .badge"); b != map[string]string{"en": "Portal unreachable", "ja": "ポータルに接続不可"}[lang] {
			t.Fatalf("badge %q", b)
		}
		if l := text(t, ctx, row+" .cert-unreachable"); !strings.Contains(l, relay.addr()) {
			t.Fatalf("unreachable line %q does not name the portal", l)
		}
		shotLang(t, ctx, lang, "x3-list-unreachable")
		run(t, ctx, "enroll", chromedp.Click(chromedp.CSS("#nav-enroll")), chromedp.WaitVisible(chromedp.CSS("#enroll-portal")))
		if v := eval[string](t, ctx, "portal", `document.getElementById("enroll-portal").value`); v == dead {
			t.Fatalf("the enroll form offers the dead portal %s", v)
		}
		run(t, ctx, "back", chromedp.Click(chromedp.CSS(".form-screen #back")), chromedp.WaitVisible(chromedp.CSS(row)))
		run(t, ctx, "remove", chromedp.Click(chromedp.CSS(row+" .cert-menu")), chromedp.Click(chromedp.CSS(row+" .menu-remove")),
			chromedp.Click(chromedp.CSS("#confirm-ok")), chromedp.WaitNotPresent(chromedp.CSS(row)))
		shotLang(t, ctx, lang, "x4-removed")
		if v := u.nss(t); len(v.clients) != 0 {
			t.Fatalf("serial %s still in NSS:\n%s", serial, v.listing)
		}
	})
}

// relay forwards TCP connections to a backend until closed: a portal
// address that can be made to stop answering.
type relay struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newRelay(t *testing.T, backend string) *relay {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{l: l}
	t.Cleanup(r.close)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, b)
			r.mu.Unlock()
			go func() { io.Copy(b, c); b.Close() }()
			go func() { io.Copy(c, b); c.Close() }()
		}
	}()
	return r
}

func (r *relay) addr() string { return r.l.Addr().String() }

// close stops listening and cuts every relayed connection.
func (r *relay) close() {
	r.l.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}
