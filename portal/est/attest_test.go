package est_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/certrenew/certrenew/internal/keyattest"
	"github.com/certrenew/certrenew/internal/pkcs10"
	"github.com/certrenew/certrenew/portal/attest"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// tpmDevice is a manufactured swtpm (EK certificate from ca) and a key
// backend on it.
type tpmDevice struct {
	b *tpm.Backend
}

func newTPM(t *testing.T, ca *hsmtest.EKCA) tpmDevice {
	sw := hsmtest.StartSWTPMWithEK(t, ca)
	return tpmDevice{b: tpm.NewWithOpener(t.TempDir(), tpm.DialSocket(sw.Socket))}
}

func (d tpmDevice) key(t *testing.T) hsm.Key {
	k, err := d.b.Generate(context.Background(), hsm.GenerateRequest{Algorithm: hsm.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// challengeError is a refusal of the challenge endpoint.
type challengeError struct{ code string }

func (e *challengeError) Error() string { return "challenge refused: " + e.code }

// portalChallenger asks p's challenge endpoint, as certrenew-host does.
func portalChallenger(p *portaltest.Portal) hsm.Challenger {
	return func(ctx context.Context, ek, ak []byte) ([]byte, []byte, error) {
		body, _ := json.Marshal(keyattest.ChallengeRequest{EKCert: ek, AKPublic: ak})
		rsp, err := p.Client(nil).Post(p.URL+keyattest.ChallengePath, "application/json", bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		defer rsp.Body.Close()
		b, _ := io.ReadAll(rsp.Body)
		if rsp.StatusCode != http.StatusOK {
			return nil, nil, &challengeError{portaltest.ProblemCode(b)}
		}
		var cr keyattest.ChallengeResponse
		if err := json.Unmarshal(b, &cr); err != nil {
			return nil, nil, err
		}
		return cr.Credential, cr.Secret, nil
	}
}

// evidence attests k on d through challenger.
func evidence(t *testing.T, d tpmDevice, k hsm.Key, challenger hsm.Challenger) []byte {
	t.Helper()
	ev, err := d.b.Attest(context.Background(), k, challenger)
	if err != nil {
		t.Fatalf("attest: %v", err)
	}
	attr, err := keyattest.Attribute(keyattest.Certify{Attest: ev.Attest, Signature: ev.Signature, Public: ev.Public})
	if err != nil {
		t.Fatal(err)
	}
	return attr
}

// csrWith is a CSR for key carrying the evidence attribute (nil: none).
func csrWith(t *testing.T, key crypto.Signer, subject string, challenge string, attr []byte) []byte {
	t.Helper()
	req := pkcs10.Request{Subject: cn(subject), ChallengePassword: challenge}
	if attr != nil {
		req.Attributes = [][]byte{attr}
	}
	der, err := pkcs10.Create(key, req)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func hardwareOf(t *testing.T, p *portaltest.Portal, c *x509.Certificate) store.Hardware {
	t.Helper()
	sc, err := p.Store.Cert(context.Background(), c.SerialNumber.Text(16))
	if err != nil {
		t.Fatal(err)
	}
	return sc.Hardware
}

// TestAttestedEnrollAndRenew: under the tenant's hardware-attested
// policy, a TPM key with evidence is enrolled and renewed, each
// certificate recorded "verified"; the evidence is spent by its request.
func TestAttestedEnrollAndRenew(t *testing.T) {
	ca := hsmtest.NewEKCA(t)
	d := newTPM(t, ca)
	p, code := setup(t)
	p.AddEKRoots(t, ca.Certs(t)...)
	p.SetHardwarePolicy(t, "", store.HardwareAttested)
	k := d.key(t)
	attr := evidence(t, d, k, portalChallenger(p))
	r := p.Post(t, "simpleenroll", alice, alicePw, csrWith(t, k, alice, code, attr), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("enroll: %d %s", r.Status, r.Body)
	}
	if hw := hardwareOf(t, p, r.Certs[0]); hw != store.HardwareVerified {
		t.Fatalf("enrolled: hardware %q, want verified", hw)
	}
	k2 := d.key(t)
	attr2 := evidence(t, d, k2, portalChallenger(p))
	r2 := p.Post(t, "simplereenroll", alice, alicePw, csrWith(t, k2, alice, "", attr2), portaltest.TLSCert(r.Certs[0], k))
	if r2.Status != http.StatusOK {
		t.Fatalf("renew: %d %s", r2.Status, r2.Body)
	}
	if hw := hardwareOf(t, p, r2.Certs[0]); hw != store.HardwareVerified {
		t.Fatalf("renewed: hardware %q, want verified", hw)
	}

	// Replayed evidence (in a new CSR for the same key, from the
	// superseded certificate): the challenge it answered is spent.
	r3 := p.Post(t, "simplereenroll", alice, alicePw, csrWith(t, k2, alice, "", attr2), portaltest.TLSCert(r.Certs[0], k))
	wantProblem(t, r3, http.StatusForbidden, errcode.AttestationNotActivated)
}

// TestAttestationRefusals: each way a request fails the policy or the
// evidence, with its code.
func TestAttestationRefusals(t *testing.T) {
	trusted, other := hsmtest.NewEKCAForCRLs(t), hsmtest.NewEKCA(t)
	a, b := newTPM(t, trusted), newTPM(t, trusted)
	stranger := newTPM(t, other)
	p, code := setup(t)
	p.AddEKRoots(t, trusted.Certs(t)...)
	ctx := context.Background()
	p.SetHardwarePolicy(t, alice, store.HardwareAttested)
	enroll := func(key crypto.Signer, attr []byte, claim bool) *portaltest.Response {
		return p.PostVia(t, &http.Client{Transport: claimTransport{p.Client(nil).Transport, claim}}, "simpleenroll", alice, alicePw, csrWith(t, key, alice, code, attr))
	}

	t.Run("software key", func(t *testing.T) {
		wantProblem(t, enroll(newKey(t), nil, false), http.StatusForbidden, errcode.AttestationRequired)
	})
	t.Run("claimed token key", func(t *testing.T) {
		wantProblem(t, enroll(newKey(t), nil, true), http.StatusForbidden, errcode.AttestationRequired)
	})
	t.Run("EK outside the roots", func(t *testing.T) {
		_, err := stranger.b.Attest(ctx, stranger.key(t), portalChallenger(p))
		if ce, ok := err.(*challengeError); !ok || ce.code != string(errcode.EKUntrusted) {
			t.Fatalf("challenge: %v, want %s", err, errcode.EKUntrusted)
		}
	})
	t.Run("offer", func(t *testing.T) {
		// GET lists the EK roots' subjects: the host sends A's EK
		// certificate, not the stranger's; a portal without roots lists
		// none.
		offer := func(p *portaltest.Portal) keyattest.Offer {
			rsp, err := p.Client(nil).Get(p.URL + keyattest.ChallengePath)
			if err != nil {
				t.Fatal(err)
			}
			defer rsp.Body.Close()
			b, _ := io.ReadAll(rsp.Body)
			o, err := keyattest.ParseOffer(b)
			if rsp.StatusCode != http.StatusOK || err != nil {
				t.Fatalf("offer: %d %s %v", rsp.StatusCode, b, err)
			}
			return o
		}
		o := offer(p)
		if len(o.Issuers) != len(trusted.Certs(t)) {
			t.Fatalf("offer lists %d subjects, want %d", len(o.Issuers), len(trusted.Certs(t)))
		}
		ekA, _ := readEK(t, a)
		ekStranger, _ := readEK(t, stranger)
		if !o.Accepts(ekA) || o.Accepts(ekStranger) {
			t.Fatalf("offer accepts the trusted maker's EK: %v, the stranger's: %v", o.Accepts(ekA), o.Accepts(ekStranger))
		}
		if none := offer(portaltest.Start(t)); len(none.Issuers) != 0 || none.Accepts(ekA) {
			t.Fatalf("a portal without EK roots offers %d subjects", len(none.Issuers))
		}
	})
	t.Run("certify of another key", func(t *testing.T) {
		k1, k2 := a.key(t), a.key(t)
		attr := evidence(t, a, k1, portalChallenger(p))
		wantProblem(t, enroll(k2, attr, false), http.StatusForbidden, errcode.AttestationKeyMismatch)
		// A software key with a TPM key's evidence: the same.
		attr = evidence(t, a, k1, portalChallenger(p))
		wantProblem(t, enroll(newKey(t), attr, false), http.StatusForbidden, errcode.AttestationKeyMismatch)
	})
	t.Run("evidence from a different TPM", func(t *testing.T) {
		// TPM A answers the portal's challenge; TPM B, under the same
		// attacker, certifies its own key over A's activated secret with
		// a credential the attacker made for B's EK and AK.
		attrA := evidence(t, a, a.key(t), portalChallenger(p))
		c, err := keyattest.FromTBS(csrTBS(t, a.key(t), attrA))
		if err != nil {
			t.Fatal(err)
		}
		nonceA, err := attest.Nonce(c)
		if err != nil {
			t.Fatal(err)
		}
		kb := b.key(t)
		attrB := evidence(t, b, kb, func(ctx context.Context, ek, ak []byte) ([]byte, []byte, error) {
			ch, err := attest.NewChallenge(bytes.NewReader(append(nonceA, make([]byte, 4096)...)),
				keyattest.ChallengeRequest{EKCert: ek, AKPublic: ak}, attest.NewAnchors(trusted.Certs(t)), time.Now())
			return ch.Response.Credential, ch.Response.Secret, err
		})
		wantProblem(t, enroll(kb, attrB, false), http.StatusForbidden, errcode.AttestationInvalid)
		// B's AK with A's EK certificate: B cannot activate the credential.
		_, err = b.b.Attest(ctx, b.key(t), func(ctx context.Context, _, ak []byte) ([]byte, []byte, error) {
			ek, _ := readEK(t, a)
			return portalChallenger(p)(ctx, ek, ak)
		})
		if err == nil || !strings.Contains(err.Error(), "activate") {
			t.Fatalf("activation of another TPM's credential: %v", err)
		}
	})
	t.Run("malformed evidence", func(t *testing.T) {
		bad, _ := keyattest.Attribute(keyattest.Certify{Attest: []byte("x"), Signature: []byte("y"), Public: []byte("z")})
		wantProblem(t, enroll(newKey(t), bad, false), http.StatusForbidden, errcode.AttestationInvalid)
	})
	t.Run("oversized evidence", func(t *testing.T) {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(keyattest.OIDEvidence)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(make([]byte, keyattest.MaxAttribute))
			})
		})
		wantProblem(t, enroll(newKey(t), b.BytesOrPanic(), false), http.StatusForbidden, errcode.AttestationInvalid)
	})
	t.Run("oversized challenge request", func(t *testing.T) {
		body := `{"ekCert":"` + strings.Repeat("A", keyattest.MaxChallengeBody) + `"}`
		rsp, err := p.Client(nil).Post(p.URL+keyattest.ChallengePath, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rsp.Body)
		rsp.Body.Close()
		if got := portaltest.ProblemCode(b); got != string(errcode.BadRequest) {
			t.Fatalf("oversized: %d %s", rsp.StatusCode, b)
		}
	})
	t.Run("verified, and recorded", func(t *testing.T) {
		k := a.key(t)
		r := enroll(k, evidence(t, a, k, portalChallenger(p)), false)
		if r.Status != http.StatusOK {
			t.Fatalf("enroll: %d %s", r.Status, r.Body)
		}
		if hw := hardwareOf(t, p, r.Certs[0]); hw != store.HardwareVerified {
			t.Fatalf("hardware %q", hw)
		}
	})
	t.Run("revoked EK", func(t *testing.T) {
		// The maker's CRL lists TPM B's EK certificate (past its next
		// update: still applied): B gets no challenge; A still does.
		ekB, _ := readEK(t, b)
		cert, err := x509.ParseCertificate(ekB)
		if err != nil {
			t.Fatal(err)
		}
		crl := trusted.CRL(t, "issuer", time.Now().Add(-time.Hour), cert.SerialNumber)
		sum := sha256.Sum256(crl)
		if err := p.Store.AddEKCRL(ctx, store.EKCRL{Hash: sum[:], DER: crl, Added: time.Now()}); err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(keyattest.ChallengeRequest{EKCert: ekB})
		rsp, err := p.Client(nil).Post(p.URL+keyattest.ChallengePath, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rsp.Body)
		rsp.Body.Close()
		if portaltest.ProblemCode(got) != string(errcode.EKUntrusted) || !strings.Contains(string(got), "revoked") {
			t.Fatalf("revoked EK: %d %s", rsp.StatusCode, got)
		}
		if _, err := b.b.Attest(ctx, b.key(t), portalChallenger(p)); err == nil {
			t.Fatal("revoked EK attested")
		}
		k := a.key(t)
		evidence(t, a, k, portalChallenger(p)) // fails the test if A is refused
	})
}

// TestHardwareRecordedWithoutPolicy: without the policy, keys without
// evidence are issued and recorded as what the client said.
func TestHardwareRecordedWithoutPolicy(t *testing.T) {
	p := portaltest.Start(t)
	for i, claim := range []bool{false, true} {
		user := fmt.Sprintf("user%d", i)
		p.AddUser(t, user, alicePw)
		code := p.Invite(t, user)
		c := &http.Client{Transport: claimTransport{p.Client(nil).Transport, claim}}
		r := p.PostVia(t, c, "simpleenroll", user, alicePw, csrWith(t, newKey(t), user, code, nil))
		if r.Status != http.StatusOK {
			t.Fatalf("enroll: %d %s", r.Status, r.Body)
		}
		want := store.HardwareSoftware
		if claim {
			want = store.HardwareClaimed
		}
		if hw := hardwareOf(t, p, r.Certs[0]); hw != want {
			t.Errorf("claim %v: hardware %q, want %q", claim, hw, want)
		}
	}
}

// claimTransport adds the hardware claim header when claim is set.
type claimTransport struct {
	rt    http.RoundTripper
	claim bool
}

func (c claimTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.claim {
		r = r.Clone(r.Context())
		r.Header.Set(est.KeyStorageHeader, "hardware")
	}
	return c.rt.RoundTrip(r)
}

func csrTBS(t *testing.T, key crypto.Signer, attr []byte) []byte {
	csr, err := x509.ParseCertificateRequest(csrWith(t, key, alice, "", attr))
	if err != nil {
		t.Fatal(err)
	}
	return csr.RawTBSCertificateRequest
}

// readEK returns d's EK certificate as its host sends it.
func readEK(t *testing.T, d tpmDevice) ([]byte, error) {
	var ek []byte
	_, _ = d.b.Attest(context.Background(), d.key(t), func(ctx context.Context, e, _ []byte) ([]byte, []byte, error) {
		ek = e
		return nil, nil, fmt.Errorf("only the EK wanted")
	})
	return ek, nil
}
