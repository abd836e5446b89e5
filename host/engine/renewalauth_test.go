package engine_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// sameDir is an engine on f's state directory with cfg's changes.
func (f *fixture) sameDir(t *testing.T, change func(*engine.Config)) *engine.Engine {
	cfg := f.config(t)
	cfg.Dir = filepath.Join(f.dir, "state")
	if change != nil {
		change(&cfg)
	}
	return engine.New(cfg)
}

// Issue 13, point 1: the host asks the portal which renewal-auth policy
// applies before it asks anyone anything or makes a key. Under "password"
// a renewal without a password stops with password_required, with no key
// made and nothing sent; under "certificate" it renews on the certificate
// alone.
func TestRenewOnCertificateAlone(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "alice")
	if a, err := f.eng.RenewalAuth(ctx, c.ID); err != nil || a != est.RenewalAuthPassword {
		t.Fatalf("RenewalAuth = %q %v", a, err)
	}
	keysBefore := countFiles(t, filepath.Join(f.dir, "keys"))
	_, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID}, nil)
	if !errors.Is(err, engine.ErrPasswordRequired) || wire.Error(err, "en").Code != errcode.PasswordRequired {
		t.Fatalf("renew without a password under the password policy: %v", err)
	}
	if n := countFiles(t, filepath.Join(f.dir, "keys")); n != keysBefore {
		t.Fatalf("a key was made: %d key files, were %d", n, keysBefore)
	}

	f.portal.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
	if a, err := f.eng.RenewalAuth(ctx, c.ID); err != nil || a != est.RenewalAuthCertificate {
		t.Fatalf("RenewalAuth = %q %v", a, err)
	}
	r, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID}, nil)
	if err != nil {
		t.Fatalf("renew on the certificate alone: %v", err)
	}
	_, id := f.identity(t, c.ID)
	if got := f.whoami(t, id); got != r.Identity.Serial || r.OldSerial != c.Serial {
		t.Fatalf("whoami %s, renewed %+v", got, r)
	}
}

// Issue 13, point 1, attack review: a portal (here a hostile front of the
// real one) that says "certificate" where the real policy is "password"
// gets no password and no Authorization header; the renewal ends with
// password_required, and the old identity stays.
func TestHostilePortalSaysCertificate(t *testing.T) {
	var auth atomic.Int32
	f := setupWith(t, portaltest.Options{Front: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				auth.Add(1)
			}
			if r.URL.Path == est.RenewalAuthPath && r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"renewalAuth":"certificate"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	ctx := context.Background()
	c := f.enroll(t, "alice")
	auth.Store(0) // enrollment sends Basic, as it must.
	_, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID}, nil)
	if got := wire.Error(err, "en").Code; got != errcode.PasswordRequired {
		t.Fatalf("renewal against the lying portal: %v (%s)", err, got)
	}
	if auth.Load() != 0 {
		t.Fatal("the host sent an Authorization header")
	}
	ids, _ := f.eng.List(ctx)
	if len(ids) != 1 || ids[0].Serial != c.Serial {
		t.Fatalf("identities after the refusal: %+v", ids)
	}
}

// front answers simplereenroll as a busy or slow portal would, in front of
// the real one: the first busy503 requests get 503 (not passed on), then
// the request is passed on (the portal issues) but the first accepted202
// answers are 202; after that it passes everything, unless forever.
type front struct {
	busy503, accepted202 int
	retryAfter           string
	mu                   sync.Mutex
	forever              bool
	seen                 int
	bodies               [][]byte
}

func (fr *front) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/simplereenroll") {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		fr.mu.Lock()
		fr.seen++
		n, forever := fr.seen, fr.forever
		fr.bodies = append(fr.bodies, body)
		fr.mu.Unlock()
		switch {
		case n <= fr.busy503:
			w.Header().Set("Retry-After", fr.retryAfter)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"code":"server_busy","title":"busy"}`))
		case n <= fr.busy503+fr.accepted202 || forever:
			next.ServeHTTP(httptest.NewRecorder(), r) // the portal does the work; the answer is "later"
			w.Header().Set("Retry-After", fr.retryAfter)
			w.WriteHeader(http.StatusAccepted)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (fr *front) heal() {
	fr.mu.Lock()
	fr.forever = false
	fr.accepted202 = 0
	fr.busy503 = 0
	fr.mu.Unlock()
}

// Issue 13, point 3: a portal that answers 503 then 200, or 202 then 200,
// with Retry-After: the host waits, says so (a server_busy notice with the
// seconds), asks again with the same request and renews; the portal
// issued one certificate.
func TestRenewThroughBusyPortal(t *testing.T) {
	for _, tc := range []struct {
		name string
		fr   *front
	}{
		{"503 then 200", &front{busy503: 2, retryAfter: "1"}},
		{"202 then 200", &front{accepted202: 1, retryAfter: "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setupWith(t, portaltest.Options{Front: tc.fr.wrap})
			f.portal.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
			c := f.enroll(t, "alice")
			var notices []engine.Notice
			ctx := engine.WithNotice(context.Background(), func(n engine.Notice) { notices = append(notices, n) })
			r, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID}, nil)
			if err != nil {
				t.Fatalf("renew: %v", err)
			}
			waits := tc.fr.busy503 + tc.fr.accepted202
			if len(notices) != waits {
				t.Fatalf("notices %+v, want %d", notices, waits)
			}
			for _, n := range notices {
				if n.Kind != engine.NoticeServerBusy || n.RetryIn != time.Second {
					t.Fatalf("notice %+v", n)
				}
			}
			if len(tc.fr.bodies) != waits+1 {
				t.Fatalf("%d requests", len(tc.fr.bodies))
			}
			for _, b := range tc.fr.bodies {
				if !bytes.Equal(b, tc.fr.bodies[0]) || bytes.ContainsAny(b, "\r\n") {
					t.Fatal("the retries sent another request, or line breaks")
				}
			}
			certs, err := f.portal.Store.Certs(context.Background(), "alice")
			if err != nil || len(certs) != 2 || !hasSerial(certs, r.Identity.Serial) {
				t.Fatalf("portal records %+v: %v", certs, err)
			}
		})
	}
}

// Issue 13, point 3: a portal that keeps answering 202 past the host's cap
// (here 2 s of waiting in all): the renewal ends with request_pending, the
// old identity stays in use, the journal keeps the operation, and the next
// start (Recover) finishes it with the certificate the portal issued.
func TestRenewAcceptedPastTheCap(t *testing.T) {
	fr := &front{forever: true, retryAfter: "1"}
	f := setupWith(t, portaltest.Options{Front: fr.wrap})
	f.portal.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
	c := f.enroll(t, "alice")
	eng := f.sameDir(t, func(cfg *engine.Config) { cfg.Busy = est.BusyPolicy{MaxTotal: 2 * time.Second} })
	ctx := context.Background()
	_, err := eng.Renew(ctx, engine.RenewRequest{CertID: c.ID}, nil)
	if !errors.Is(err, est.ErrPending) || wire.Error(err, "ja").Code != errcode.RequestPending {
		t.Fatalf("renew past the cap: %v", err)
	}
	if len(fr.bodies) != 3 {
		t.Fatalf("%d requests, want 3 (waits of 1 s up to 2 s)", len(fr.bodies))
	}
	ids, _ := eng.List(ctx)
	if len(ids) != 1 || ids[0].Serial != c.Serial {
		t.Fatalf("identities: %+v", ids)
	}
	if n := countFiles(t, filepath.Join(f.dir, "state", "journal")); n == 0 {
		t.Fatal("the journal kept nothing")
	}
	certs, _ := f.portal.Store.Certs(ctx, "alice")
	var issued string
	for _, sc := range certs {
		if sc.Replaces == c.Serial {
			issued = sc.Serial
		}
	}
	if len(certs) != 2 || issued == "" {
		t.Fatalf("the portal recorded %+v", certs)
	}

	fr.heal()
	got, err := eng.Recover(ctx)
	if err != nil || len(got) != 1 || got[0] != c.ID {
		t.Fatalf("recover: %v %v", got, err)
	}
	ids, _ = eng.List(ctx)
	if len(ids) != 1 || ids[0].Serial != issued {
		t.Fatalf("after recovery %+v, the portal issued %s", ids, issued)
	}
	_, id := f.identity(t, c.ID)
	if f.whoami(t, id) != issued {
		t.Fatal("the store does not present the issued certificate")
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func hasSerial(certs []store.Cert, serial string) bool {
	for _, c := range certs {
		if c.Serial == serial {
			return true
		}
	}
	return false
}
