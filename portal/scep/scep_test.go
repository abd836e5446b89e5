package scep_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	smscep "github.com/smallstep/scep"

	"github.com/certrenew/certrenew/internal/racetest"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/scep"
	"github.com/certrenew/certrenew/portal/scep/sceptest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/pgtest"
)

const (
	alice   = "alice"
	alicePw = "correct horse battery staple"
)

// enrolled starts a portal on dsn ("" is SQLite) with alice enrolled over
// EST, and returns it with her certificate's serial.
func enrolled(t *testing.T, dsn string) (*portaltest.Portal, string) {
	t.Helper()
	p := portaltest.StartWith(t, portaltest.Options{PostgresDSN: dsn})
	sceptest.Trust(p.Roots)
	p.AddUser(t, alice, alicePw)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return p, p.Enroll(t, alice, alicePw, key, p.Invite(t, alice)).SerialNumber.Text(16)
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func challenge(t *testing.T, p *portaltest.Portal, serial string) string {
	t.Helper()
	ch, err := scep.NewChallenge(context.Background(), p.Store, alice, serial, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func failInfo(err error) smscep.FailInfo {
	var f *sceptest.Failed
	if errors.As(err, &f) {
		return f.Info
	}
	return ""
}

// A device enrolls with a challenge over SCEP (micromdm's client): it gets
// a certificate for its key with the user's usual subject, chained to the
// portal's root, recorded as the re-issue of the bound certificate; the
// challenge then fails, as does a wrong one, and neither reaches the log.
func TestEnroll(t *testing.T) {
	pgtest.Engines(t, func(t *testing.T, dsn string) {
		p, serial := enrolled(t, dsn)
		ctx := context.Background()
		ch := challenge(t, p, serial)
		key := rsaKey(t)
		req := sceptest.Request{URL: p.URL + scep.Path, Challenge: ch, Subject: pkix.Name{CommonName: alice}, Key: key}
		cert, cas, err := sceptest.Enroll(ctx, req)
		if err != nil {
			t.Fatalf("SCEP enrollment: %v", err)
		}
		if len(cas) != 3 || cas[0].KeyUsage&x509.KeyUsageKeyEncipherment == 0 || !bytes.Equal(cas[1].Raw, p.CA.Issuing.Raw) || !bytes.Equal(cas[2].Raw, p.CA.Root.Raw) {
			t.Fatalf("GetCACert: %d certificates, want the RA, the issuing CA and the root", len(cas))
		}
		if cert.Subject.String() != "CN="+alice || !key.PublicKey.Equal(cert.PublicKey) {
			t.Fatalf("issued %q for another key or subject", cert.Subject)
		}
		inter := x509.NewCertPool()
		inter.AddCert(p.CA.Issuing)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: p.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Fatalf("issued certificate does not chain for client auth: %v", err)
		}
		rec, err := p.Store.Cert(ctx, cert.SerialNumber.Text(16))
		if err != nil || rec.Replaces != serial || rec.Status != store.StatusActive || rec.UserID != alice {
			t.Fatalf("history: %+v %v", rec, err)
		}
		if old, _ := p.Store.Cert(ctx, serial); old.Status != store.StatusSuperseded {
			t.Fatalf("re-issued certificate is %s, want superseded", old.Status)
		}
		// The same request again (a lost CertRep) gets the same certificate.
		again, _, err := sceptest.Enroll(ctx, req)
		if err != nil || !bytes.Equal(again.Raw, cert.Raw) {
			t.Fatalf("same CSR again: %v", err)
		}
		// The challenge with another key: spent.
		req.Key = rsaKey(t)
		if _, _, err := sceptest.Enroll(ctx, req); failInfo(err) != smscep.BadMessageCheck {
			t.Fatalf("reused challenge: %v, want failInfo badMessageCheck", err)
		}
		wrong := "WRONGCHALLENGE" + strings.Repeat("A", 18)
		req.Challenge = wrong
		if _, _, err := sceptest.Enroll(ctx, req); failInfo(err) != smscep.BadMessageCheck {
			t.Fatalf("wrong challenge: %v, want failInfo badMessageCheck", err)
		}
		req.Challenge = ""
		if _, _, err := sceptest.Enroll(ctx, req); failInfo(err) != smscep.BadRequest {
			t.Fatalf("no challenge: %v, want failInfo badRequest", err)
		}
		logged, err := os.ReadFile(p.LogPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{ch, wrong} {
			if bytes.Contains(logged, []byte(s)) {
				t.Fatal("a challenge is in the log")
			}
		}
		for _, s := range []string{"challenge already used", "unknown challenge", "re-issued over SCEP"} {
			if !bytes.Contains(logged, []byte(s)) {
				t.Errorf("log lacks %q", s)
			}
		}
	})
}

// Of many devices racing with one challenge (on two connections when on
// PostgreSQL: the store is what decides), exactly one gets a certificate.
func TestChallengeRace(t *testing.T) {
	pgtest.Engines(t, func(t *testing.T, dsn string) {
		p, serial := enrolled(t, dsn)
		ch := challenge(t, p, serial)
		const n = 6
		keys := make([]*rsa.PrivateKey, n)
		for i := range keys {
			keys[i] = rsaKey(t)
		}
		racetest.OneWins(t, n, "enrollment", func(i int) error {
			_, _, err := sceptest.Enroll(context.Background(), sceptest.Request{
				URL: p.URL + scep.Path, Challenge: ch, Subject: pkix.Name{CommonName: alice}, Key: keys[i],
			})
			return err
		}, func(err error) bool { return failInfo(err) == smscep.BadMessageCheck })
		certs, _ := p.Store.Certs(context.Background(), alice)
		if len(certs) != 2 {
			t.Fatalf("%d certificates recorded, want 2", len(certs))
		}
	})
}

// RenewalReq (RFC 8894, Section 3.3.1.2) is signed by the certificate it
// renews; one signed by anything else is refused (badCertID).
func TestRenewalReq(t *testing.T) {
	p, serial := enrolled(t, "")
	ctx := context.Background()
	key := rsaKey(t)
	cert, _, err := sceptest.Enroll(ctx, sceptest.Request{URL: p.URL + scep.Path, Challenge: challenge(t, p, serial), Subject: pkix.Name{CommonName: alice}, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	sn := cert.SerialNumber.Text(16)
	// Signed by a self-signed certificate: refused.
	_, _, err = sceptest.Enroll(ctx, sceptest.Request{URL: p.URL + scep.Path, Challenge: challenge(t, p, sn), Subject: pkix.Name{CommonName: alice}, Key: rsaKey(t), Type: smscep.RenewalReq})
	if failInfo(err) != smscep.BadCertID {
		t.Fatalf("RenewalReq not signed by the renewed certificate: %v, want badCertID", err)
	}
	next, _, err := sceptest.Enroll(ctx, sceptest.Request{
		URL: p.URL + scep.Path, Challenge: challenge(t, p, sn), Subject: pkix.Name{CommonName: alice}, Key: rsaKey(t),
		Type: smscep.RenewalReq, SignerCert: cert, SignerKey: key,
	})
	if err != nil {
		t.Fatalf("RenewalReq: %v", err)
	}
	if rec, _ := p.Store.Cert(ctx, next.SerialNumber.Text(16)); rec.Replaces != sn {
		t.Fatalf("renewal replaces %q, want %s", rec.Replaces, sn)
	}
	if rec, _ := p.Store.Cert(ctx, sn); rec.ConfirmedAt.IsZero() {
		t.Fatal("a RenewalReq signed by the certificate did not confirm it")
	}
}

// The re-issue permission holds for SCEP as for EST: no challenge is made
// without it, and a challenge made before it was withdrawn is refused.
func TestReissueDenied(t *testing.T) {
	p, serial := enrolled(t, "")
	ch := challenge(t, p, serial)
	p.SetReissue(t, alice, false)
	if _, err := scep.NewChallenge(context.Background(), p.Store, alice, serial, 0, time.Now()); !errors.Is(err, scep.ErrReissueDenied) {
		t.Fatalf("challenge without re-issue permission: %v", err)
	}
	_, _, err := sceptest.Enroll(context.Background(), sceptest.Request{URL: p.URL + scep.Path, Challenge: ch, Subject: pkix.Name{CommonName: alice}, Key: rsaKey(t)})
	if failInfo(err) != smscep.BadRequest {
		t.Fatalf("re-issue withdrawn: %v, want badRequest", err)
	}
	// Another subject than the user's is refused too.
	p.SetReissue(t, alice, true)
	_, _, err = sceptest.Enroll(context.Background(), sceptest.Request{URL: p.URL + scep.Path, Challenge: ch, Subject: pkix.Name{CommonName: "mallory"}, Key: rsaKey(t)})
	if failInfo(err) != smscep.BadRequest {
		t.Fatalf("CSR for another user: %v, want badRequest", err)
	}
}

// A PKIOperation body over MaxMessageSize is refused before it is read
// whole, and so is a GET message over the bound.
func TestOversized(t *testing.T) {
	p, _ := enrolled(t, "")
	c := p.Client(nil)
	big := bytes.Repeat([]byte{0x30}, scep.MaxMessageSize+1)
	resp, err := c.Post(p.URL+scep.Path+"?operation=PKIOperation", "application/x-pki-message", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized POST: %d", resp.StatusCode)
	}
	// Without a Content-Length (chunked), the reader's bound stops it.
	req, _ := http.NewRequest(http.MethodPost, p.URL+scep.Path+"?operation=PKIOperation", struct{ *bytes.Reader }{bytes.NewReader(big)})
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized chunked POST: %d", resp.StatusCode)
	}
	// Garbage of an acceptable size: an HTTP error, no CertRep.
	resp, err = c.Post(p.URL+scep.Path+"?operation=PKIOperation", "application/x-pki-message", strings.NewReader("not CMS"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("garbage PKIOperation answered 200")
	}
	_ = fmt.Sprint()
}

// PKIOperations that end in no certificate are bounded per client address
// (Handler.Refusals): beyond limit's window the portal answers 503 with
// Retry-After before any decryption; an enrollment gives its use back;
// GetCACaps is not counted; another address is not held back.
func TestRefusalsBoundedPerAddress(t *testing.T) {
	p, serial := enrolled(t, "")
	post := func(c *http.Client) *http.Response {
		t.Helper()
		r, err := c.Post(p.URL+scep.Path+"?operation=PKIOperation", "application/x-pki-message", strings.NewReader("not a SCEP message"))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r
	}
	c := p.Client(nil)
	for i := range limit.DefaultWindowMax - 1 {
		if r := post(c); r.StatusCode == http.StatusServiceUnavailable || r.StatusCode == http.StatusOK {
			t.Fatalf("refused message %d: %d, want an error that is not 503", i+1, r.StatusCode)
		}
	}
	key := rsaKey(t)
	if _, _, err := sceptest.Enroll(context.Background(), sceptest.Request{URL: p.URL + scep.Path, Challenge: challenge(t, p, serial), Subject: pkix.Name{CommonName: alice}, Key: key}); err != nil {
		t.Fatalf("an enrollment within the budget: %v", err)
	}
	if r := post(c); r.StatusCode == http.StatusServiceUnavailable {
		t.Fatalf("the enrollment's use was not given back: %d", r.StatusCode)
	}
	r := post(c)
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("message %d from one address: %d, want 503", limit.DefaultWindowMax+1, r.StatusCode)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > int(limit.DefaultWindowPer/time.Second) {
		t.Fatalf("Retry-After %q, want 1 to %d seconds", r.Header.Get("Retry-After"), int(limit.DefaultWindowPer/time.Second))
	}
	if caps, err := c.Get(p.URL + scep.Path + "?operation=GetCACaps"); err != nil || caps.StatusCode != http.StatusOK {
		t.Fatalf("GetCACaps from the refused address: %v %v", caps, err)
	} else {
		caps.Body.Close()
	}
	if r := post(p.ClientFrom("127.0.0.2", nil)); r.StatusCode == http.StatusServiceUnavailable {
		t.Fatal("another address is refused too")
	}
}
