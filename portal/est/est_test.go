package est_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

const (
	alice   = "alice"
	alicePw = "alice-secret-pw"
)

var newKey = testpki.NewKey

func cn(s string) pkix.Name { return pkix.Name{CommonName: s} }

// enrollNew is simpleenroll as user with password pw, for a fresh key with
// user as subject and code as challengePassword.
func enrollNew(t *testing.T, p *portaltest.Portal, user, pw, code string) *portaltest.Response {
	t.Helper()
	return p.Post(t, "simpleenroll", user, pw, portaltest.CSR(t, newKey(t), cn(user), code), nil)
}

// clocked starts a portal with alice on a clock the test moves (o.Now).
func clocked(t *testing.T, o portaltest.Options) (*portaltest.Portal, *portaltest.Clock) {
	t.Helper()
	clk := portaltest.NewClock()
	o.Now = clk.Now
	p := portaltest.StartWith(t, o)
	p.AddUser(t, alice, alicePw)
	return p, clk
}

// setup starts a portal with alice and one invitation of hers.
func setup(t *testing.T) (*portaltest.Portal, string) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	return p, p.Invite(t, alice)
}

// enroll makes a first certificate for alice and returns it with its key.
func enroll(t *testing.T, p *portaltest.Portal, code string) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key := newKey(t)
	return p.Enroll(t, alice, alicePw, key, code), key
}

func wantProblem(t *testing.T, r *portaltest.Response, status int, code errcode.Code) {
	t.Helper()
	if r.Status != status || r.Problem != string(code) {
		t.Fatalf("got %d %q (%s); want %d %q", r.Status, r.Problem, r.Body, status, code)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
}

// wantBusy wants r refused for load: 503 server_busy, with Retry-After.
func wantBusy(t *testing.T, r *portaltest.Response) {
	t.Helper()
	wantProblem(t, r, http.StatusServiceUnavailable, errcode.ServerBusy)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("server_busy without Retry-After")
	}
}

func TestEnroll(t *testing.T) {
	p, code := setup(t)
	key := newKey(t)
	r := p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, key, cn(alice), code), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != est.ContentTypeCertOnly {
		t.Fatalf("Content-Type %q", ct)
	}
	if len(r.Certs) != 1 {
		t.Fatalf("%d certs", len(r.Certs))
	}
	c := r.Certs[0]
	if c.Subject.CommonName != alice || !c.PublicKey.(*ecdsa.PublicKey).Equal(key.Public()) {
		t.Fatal("wrong subject or key")
	}
	inter := x509.NewCertPool()
	inter.AddCert(p.CA.Issuing)
	if _, err := c.Verify(x509.VerifyOptions{Roots: p.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	sc, err := p.Store.Cert(context.Background(), c.SerialNumber.Text(16))
	if err != nil || sc.Status != store.StatusActive || sc.UserID != alice {
		t.Fatalf("stored %+v, %v", sc, err)
	}
	// Same invitation again while the certificate is held: refused, the
	// certificate is renewed instead (see TestSameInvitationAgain).
	r = enrollNew(t, p, alice, alicePw, strings.ToLower(code))
	wantProblem(t, r, http.StatusForbidden, errcode.AlreadyEnrolled)
}

func TestEnrollBodyForms(t *testing.T) {
	p, code := setup(t)
	der := portaltest.CSR(t, newKey(t), cn(""), code)
	b64 := base64.StdEncoding.EncodeToString(der)
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 64 {
		wrapped.WriteString(b64[i:min(i+64, len(b64))] + "\r\n")
	}
	for name, body := range map[string]string{"wrapped": wrapped.String(), "der": string(der)} {
		req, _ := http.NewRequest(http.MethodPost, p.URL+"/.well-known/est/simpleenroll", strings.NewReader(body))
		req.SetBasicAuth(alice, alicePw)
		resp, err := p.Client(nil).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", name, resp.StatusCode, b)
		}
	}
}

func TestEnrollRefusals(t *testing.T) {
	p, code := setup(t)
	p.AddUser(t, "bob", "bob-secret-pw")
	bobCode := p.Invite(t, "bob")
	csr := func(c string) []byte { return portaltest.CSR(t, newKey(t), cn(alice), c) }

	for _, tc := range []struct {
		name, user, pw string
		csr            []byte
		status         int
		code           errcode.Code
	}{
		{"wrong password", alice, "nope-nope-nope", csr(code), 401, errcode.BadPassword},
		{"unknown user", "mallory", alicePw, csr(code), 401, errcode.BadPassword},
		{"no credentials", "", "", csr(code), 401, errcode.BadPassword},
		{"wrong invitation", alice, alicePw, csr("ABCD-EFGH-JKLM-NPQR"), 403, errcode.BadInvitation},
		{"someone else's invitation", alice, alicePw, csr(bobCode), 403, errcode.BadInvitation},
		{"no challengePassword", alice, alicePw, csr(""), 403, errcode.BadInvitation},
		{"subject of another user", alice, alicePw, portaltest.CSR(t, newKey(t), cn("bob"), code), 400, errcode.BadRequest},
		{"garbage", alice, alicePw, []byte("not a csr"), 400, errcode.BadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Post(t, "simpleenroll", tc.user, tc.pw, tc.csr, nil)
			wantProblem(t, r, tc.status, tc.code)
			if tc.status == 401 && r.Header.Get("WWW-Authenticate") != `Basic realm="certrenew", charset="UTF-8"` {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
			if strings.Contains(string(r.Body), code) || strings.Contains(string(r.Body), alicePw) {
				t.Error("problem body echoes a secret")
			}
		})
	}
}

func TestInvitationConflict(t *testing.T) {
	p, code := setup(t)
	first, _ := enroll(t, p, code)
	second := p.Invite(t, alice)
	r := enrollNew(t, p, alice, alicePw, second)
	wantProblem(t, r, 403, errcode.InvitationConflict)
	// Once the old certificate is revoked, the new invitation works.
	if err := p.Admin.Revoke(context.Background(), first.SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	enroll(t, p, second)
}

func TestReenroll(t *testing.T) {
	p, code := setup(t)
	old, oldKey := enroll(t, p, code)
	newK := newKey(t)
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newK, cn(alice), ""), portaltest.TLSCert(old, oldKey))
	if r.Status != http.StatusOK || len(r.Certs) != 1 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	fresh := r.Certs[0]
	if !fresh.PublicKey.(*ecdsa.PublicKey).Equal(newK.Public()) || fresh.Subject.String() != old.Subject.String() {
		t.Fatal("wrong key or subject in re-issued certificate")
	}
	ctx := context.Background()
	oldRec, _ := p.Store.Cert(ctx, old.SerialNumber.Text(16))
	newRec, _ := p.Store.Cert(ctx, fresh.SerialNumber.Text(16))
	if oldRec.Status != store.StatusSuperseded || newRec.Status != store.StatusActive ||
		newRec.Replaces != oldRec.Serial || newRec.InvitationID != oldRec.InvitationID {
		t.Fatalf("old %+v new %+v", oldRec.Status, newRec)
	}
	// The superseded certificate still works, so an interrupted renewal can be retried.
	r = p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cn(alice), ""), portaltest.TLSCert(old, oldKey))
	if r.Status != http.StatusOK {
		t.Fatalf("retry with superseded cert: %d %s", r.Status, r.Body)
	}
	if rec, _ := p.Store.Cert(ctx, fresh.SerialNumber.Text(16)); rec.Status != store.StatusSuperseded {
		t.Fatalf("interrupted re-issue still %s", rec.Status)
	}
	// The re-issued certificate renews too.
	r = p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cn(alice), ""), portaltest.TLSCert(fresh, newK))
	if r.Status != http.StatusOK {
		t.Fatalf("renew the renewed: %d %s", r.Status, r.Body)
	}
}

func TestReenrollRefusals(t *testing.T) {
	p, code := setup(t)
	old, oldKey := enroll(t, p, code)
	client := portaltest.TLSCert(old, oldKey)
	p.AddUser(t, "bob", "bob-secret-pw")

	good := func() []byte { return portaltest.CSR(t, newKey(t), cn(alice), "") }
	cases := []struct {
		name, user, pw string
		csr            []byte
		client         bool
		status         int
		code           errcode.Code
	}{
		{"no client cert", alice, alicePw, good(), false, 403, errcode.ClientCertRequired},
		{"wrong password", alice, "wrong-password", good(), true, 401, errcode.BadPassword},
		{"other user's basic auth", "bob", "bob-secret-pw", good(), true, 401, errcode.BadPassword},
		{"same key", alice, alicePw, portaltest.CSR(t, oldKey, cn(alice), ""), true, 400, errcode.KeyReuse},
		{"subject mismatch", alice, alicePw, portaltest.CSR(t, newKey(t), cn("alice2"), ""), true, 400, errcode.BadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cc = client
			if !tc.client {
				cc = nil
			}
			r := p.Post(t, "simplereenroll", tc.user, tc.pw, tc.csr, cc)
			wantProblem(t, r, tc.status, tc.code)
			if tc.name == "subject mismatch" && !strings.Contains(string(r.Body), "subject") {
				t.Errorf("detail does not mention the subject: %s", r.Body)
			}
		})
	}
	t.Run("reissue denied", func(t *testing.T) {
		p.SetReissue(t, alice, false)
		defer p.SetReissue(t, alice, true)
		wantProblem(t, p.Post(t, "simplereenroll", alice, alicePw, good(), client), 403, errcode.ReissueNotAllowed)
	})
	t.Run("revoked", func(t *testing.T) {
		if err := p.Admin.Revoke(context.Background(), old.SerialNumber.Text(16)); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, p.Post(t, "simplereenroll", alice, alicePw, good(), client), 403, errcode.CertRevoked)
	})
	t.Run("cert from another CA", func(t *testing.T) {
		other := portaltest.Start(t)
		other.AddUser(t, alice, alicePw)
		foreign, fk := enroll(t, other, other.Invite(t, alice))
		// VerifyClientCertIfGiven: a certificate that does not chain to our
		// issuing CA fails the TLS handshake itself.
		fc := portaltest.TLSCert(foreign, fk)
		fc.Certificate = append(fc.Certificate, other.CA.Issuing.Raw)
		req, _ := http.NewRequest(http.MethodPost, p.URL+"/.well-known/est/simplereenroll", strings.NewReader(""))
		if resp, err := p.Client(fc).Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("foreign client certificate accepted: %d", resp.StatusCode)
		}
	})
}

func TestCACerts(t *testing.T) {
	p := portaltest.Start(t)
	resp := portaltest.Get(t, p.Client(nil), p.URL+"/.well-known/est/cacerts")
	body := resp.Body
	if resp.Status != 200 || resp.Header.Get("Content-Type") != "application/pkcs7-mime" ||
		resp.Header.Get("Content-Transfer-Encoding") != "base64" {
		t.Fatalf("%d %v", resp.Status, resp.Header)
	}
	// RFC 8951, Section 3.2.2: one line of base64, no MIME line breaks
	// (TestRFC8951Bodies reads every answer so).
	if strings.ContainsAny(string(body), "\r\n") {
		t.Fatal("line breaks in the body")
	}
	certs, err := portaltest.ParseCertsOnly(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 || !certs[0].Equal(p.CA.Issuing) || !certs[1].Equal(p.CA.Root) {
		t.Fatalf("got %d certs", len(certs))
	}
}

// TestLogHasNoSecrets runs a full enroll and re-enroll, including refusals,
// and checks the log file never holds the password or the invitation code.
func TestLogHasNoSecrets(t *testing.T) {
	p, code := setup(t)
	enrollNew(t, p, alice, "wrong-"+alicePw, code)
	enrollNew(t, p, alice, alicePw, code+"X")
	old, key := enroll(t, p, code)
	p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cn(alice), ""), portaltest.TLSCert(old, key))
	log, err := os.ReadFile(p.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), `"enrolled"`) || !strings.Contains(string(log), `"re-enrolled"`) {
		t.Fatalf("log lacks the enrollment events:\n%s", log)
	}
	normalized := strings.ReplaceAll(code, "-", "")
	for _, secret := range []string{alicePw, code, normalized, strings.ToLower(normalized)} {
		if strings.Contains(string(log), secret) {
			t.Fatalf("log contains a secret")
		}
	}
}

// Every declared code the portal sends goes out as itself, with errcode's
// status and title, and the README's table of errors lists it with that
// status (and lists nothing else).
func TestEveryProblemCodeSentAndDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[errcode.Code]int{}
	for _, row := range regexp.MustCompile("(?m)^\\| (\\d{3}) \\| (.+?) \\|").FindAllSubmatch(readme, -1) {
		status, _ := strconv.Atoi(string(row[1]))
		for _, c := range regexp.MustCompile("`([a-z_]+)`").FindAllSubmatch(row[2], -1) {
			documented[errcode.Code(c[1])] = status
		}
	}
	n := 0
	for _, c := range errcode.Declared() {
		status, title, ok := errcode.Problem(c)
		if !ok {
			if _, listed := documented[c]; listed {
				t.Errorf("README lists %s, which the portal never sends", c)
			}
			continue
		}
		n++
		w := httptest.NewRecorder()
		est.WriteError(w, zerolog.Nop(), est.NewProblem(c, ""))
		var body est.Problem
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != status || body.Code != c || body.Title != title {
			t.Errorf("%s: sent %d %+v (%v), want %d %q", c, w.Code, body, err, status, title)
		}
		if documented[c] != status {
			t.Errorf("%s: README says status %d, errcode %d", c, documented[c], status)
		}
	}
	if n != len(documented) || n < 20 {
		t.Errorf("%d problem codes, %d in the README", n, len(documented))
	}
}
