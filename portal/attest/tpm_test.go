package attest_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/certrenew/certrenew/internal/keyattest"
	"github.com/certrenew/certrenew/portal/attest"
)

// device is one manufactured swtpm and a key backend on it.
type device struct {
	b *tpm.Backend
}

func newDevice(t *testing.T, ca *hsmtest.EKCA) device {
	sw := hsmtest.StartSWTPMWithEK(t, ca)
	return device{b: tpm.NewWithOpener(t.TempDir(), tpm.DialSocket(sw.Socket))}
}

func (d device) key(t *testing.T, alg hsm.Algorithm) hsm.Key {
	k, err := d.b.Generate(context.Background(), hsm.GenerateRequest{Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// portal plays the portal's side: it challenges with anchors and keeps
// the challenges it made, by nonce.
type portal struct {
	anchors attest.Anchors
	rnd     func() []byte // a nonce to use instead of a random one, or nil
	made    []attest.Challenge
}

func (p *portal) challenger(t testing.TB) hsm.Challenger {
	return func(ctx context.Context, ek, ak []byte) ([]byte, []byte, error) {
		r := rand.Reader
		if p.rnd != nil {
			r = &prefixReader{p.rnd()}
		}
		ch, err := attest.NewChallenge(r, keyattest.ChallengeRequest{EKCert: ek, AKPublic: ak}, p.anchors, time.Now())
		if err != nil {
			return nil, nil, err
		}
		p.made = append(p.made, ch)
		return ch.Response.Credential, ch.Response.Secret, nil
	}
}

// verify is the portal's check of evidence for csrKey.
func (p *portal) verify(ev hsm.Evidence, csrKey any) error {
	c := keyattest.Certify{Attest: ev.Attest, Signature: ev.Signature, Public: ev.Public}
	// Through the CSR attribute's encoding, as the portal receives it.
	attr, err := keyattest.Attribute(c)
	if err != nil {
		return err
	}
	_ = attr
	nonce, err := attest.Nonce(c)
	if err != nil {
		return err
	}
	for _, ch := range p.made {
		if bytes.Equal(ch.Nonce, nonce) {
			return attest.Verify(c, ch.AKPublic, ch.Nonce, csrKey)
		}
	}
	return errors.New("no challenge answered (not activated)")
}

type prefixReader struct{ b []byte }

func (r *prefixReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return rand.Read(p)
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestVerified: a key made in a TPM whose EK chains to the configured
// CA is attested, ECC and RSA keys alike, with an RSA-2048 EK and with an
// ECC P-256 EK (the credential is then made with ECDH to the EK).
func TestVerified(t *testing.T) {
	ca := hsmtest.NewEKCA(t)
	rsaEK := newDevice(t, ca)
	eccEK := device{b: tpm.NewWithOpener(t.TempDir(), tpm.DialSocket(hsmtest.StartSWTPMWithECCEK(t, ca).Socket))}
	p := &portal{anchors: attest.NewAnchors(ca.Certs(t))}
	for _, tc := range []struct {
		ek string
		d  device
	}{{"RSA EK", rsaEK}, {"ECC P-256 EK", eccEK}} {
		for _, alg := range []hsm.Algorithm{hsm.ECDSAP256, hsm.RSA2048} {
			k := tc.d.key(t, alg)
			ev, err := tc.d.b.Attest(context.Background(), k, p.challenger(t))
			if err != nil {
				t.Fatalf("%s, %s key: attest: %v", tc.ek, alg, err)
			}
			if err := p.verify(ev, k.Public()); err != nil {
				t.Fatalf("%s, %s key: verify: %v", tc.ek, alg, err)
			}
		}
	}
	// The ECC device has no RSA EK certificate: what it sent is P-256.
	var sent *x509.Certificate
	eccEK.b.Attest(context.Background(), eccEK.key(t, hsm.ECDSAP256), func(ctx context.Context, ek, ak []byte) ([]byte, []byte, error) {
		sent, _ = x509.ParseCertificate(ek)
		return nil, nil, errors.New("only the EK certificate wanted")
	})
	if sent == nil {
		t.Fatal("the ECC device sent no EK certificate")
	}
	if k, ok := sent.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Fatalf("the ECC device sent an EK certificate for %T", sent.PublicKey)
	}
}

// TestEKOutsideRoots: a TPM whose EK certificate comes from another CA
// gets no challenge.
func TestEKOutsideRoots(t *testing.T) {
	trusted, other := hsmtest.NewEKCA(t), hsmtest.NewEKCA(t)
	newDevice(t, trusted) // makes the trusted CA
	d := newDevice(t, other)
	p := &portal{anchors: attest.NewAnchors(trusted.Certs(t))}
	_, err := d.b.Attest(context.Background(), d.key(t, hsm.ECDSAP256), p.challenger(t))
	if !errors.Is(err, attest.ErrEKUntrusted) {
		t.Fatalf("err = %v, want ErrEKUntrusted", err)
	}
	// No roots configured: nothing is trusted.
	p = &portal{}
	if _, err := d.b.Attest(context.Background(), d.key(t, hsm.ECDSAP256), p.challenger(t)); !errors.Is(err, attest.ErrEKUntrusted) {
		t.Fatalf("no roots: err = %v, want ErrEKUntrusted", err)
	}
}

// TestDifferentTPM: evidence made by another TPM than the challenged one
// is refused, both ways an attacker holding two trusted TPMs could try.
func TestDifferentTPM(t *testing.T) {
	ca := hsmtest.NewEKCA(t)
	a, b := newDevice(t, ca), newDevice(t, ca)
	p := &portal{anchors: attest.NewAnchors(ca.Certs(t))}

	// 1. TPM B's AK presented with TPM A's EK certificate: the credential
	// is encrypted to A's EK, and B cannot activate it.
	var ekA []byte
	if _, err := a.b.Attest(context.Background(), a.key(t, hsm.ECDSAP256), func(ctx context.Context, ek, ak []byte) ([]byte, []byte, error) {
		ekA = ek
		return p.challenger(t)(ctx, ek, ak)
	}); err != nil {
		t.Fatal(err)
	}
	_, err := b.b.Attest(context.Background(), b.key(t, hsm.ECDSAP256), func(ctx context.Context, _, ak []byte) ([]byte, []byte, error) {
		return p.challenger(t)(ctx, ekA, ak)
	})
	if err == nil {
		t.Fatal("TPM B activated a credential made for TPM A's EK")
	}
	t.Logf("activation on the wrong TPM: %v", err)

	// 2. TPM A's activated secret used by TPM B to certify B's key: the
	// certify is signed by B's AK, not the AK challenged with A's EK.
	nonceA := p.made[0].Nonce
	p.made = p.made[:1]
	pb := &portal{anchors: p.anchors, rnd: func() []byte { return nonceA }}
	kb := b.key(t, hsm.ECDSAP256)
	ev, err := b.b.Attest(context.Background(), kb, pb.challenger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.verify(ev, kb.Public()); !errors.Is(err, attest.ErrInvalid) {
		t.Fatalf("certify by another TPM's AK: err = %v, want ErrInvalid", err)
	}
}

// TestCertifyOfAnotherKey: evidence for one key does not vouch for
// another, whether the CSR carries another key (TPM, software, RSA for an
// ECC certify) or the evidence swaps in another public area.
func TestCertifyOfAnotherKey(t *testing.T) {
	ca := hsmtest.NewEKCA(t)
	d := newDevice(t, ca)
	p := &portal{anchors: attest.NewAnchors(ca.Certs(t))}
	k1, k2, kr := d.key(t, hsm.ECDSAP256), d.key(t, hsm.ECDSAP256), d.key(t, hsm.RSA2048)
	ev, err := d.b.Attest(context.Background(), k1, p.challenger(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, pub := range map[string]any{"another TPM key": k2.Public(), "an RSA key": kr.Public()} {
		if err := p.verify(ev, pub); !errors.Is(err, attest.ErrKeyMismatch) {
			t.Errorf("%s: err = %v, want ErrKeyMismatch", name, err)
		}
	}
	k2t := k2.(*tpm.Key)
	swapped := ev
	swapped.Public = publicArea(t, k2t)
	if err := p.verify(swapped, k2.Public()); !errors.Is(err, attest.ErrKeyMismatch) {
		t.Errorf("swapped public area: err = %v, want ErrKeyMismatch", err)
	}
	tampered := ev
	tampered.Attest = append([]byte(nil), ev.Attest...)
	tampered.Attest[len(tampered.Attest)-1] ^= 1
	if err := p.verify(tampered, k1.Public()); !errors.Is(err, attest.ErrInvalid) {
		t.Errorf("tampered attest: err = %v, want ErrInvalid", err)
	}
}

func publicArea(t *testing.T, k *tpm.Key) []byte { return k.PublicArea() }

// TestAKNotRestricted: an "AK" that is an ordinary signing key (it could
// sign a forged TPMS_ATTEST) gets no challenge, nor does a malformed one.
func TestAKNotRestricted(t *testing.T) {
	ca := hsmtest.NewEKCA(t)
	d := newDevice(t, ca)
	anchors := attest.NewAnchors(ca.Certs(t))
	k := d.key(t, hsm.ECDSAP256).(*tpm.Key)
	var ek []byte
	d.b.Attest(context.Background(), k, func(ctx context.Context, e, ak []byte) ([]byte, []byte, error) {
		ek = e
		return nil, nil, errors.New("stop")
	})
	pub := k.PublicArea()
	// A TPM2B_PUBLIC around the key's own TPMT_PUBLIC.
	asAK := append([]byte{byte(len(pub) >> 8), byte(len(pub))}, pub...)
	for name, ak := range map[string][]byte{"unrestricted": asAK, "truncated": asAK[:len(asAK)-3], "trailing": append(asAK, 0), "empty": nil} {
		_, err := attest.NewChallenge(rand.Reader, keyattest.ChallengeRequest{EKCert: ek, AKPublic: ak}, anchors, time.Now())
		if !errors.Is(err, attest.ErrInvalid) {
			t.Errorf("%s AK: %v, want ErrInvalid", name, err)
		}
	}
}

// BenchmarkAttest measures what attestation adds to an issuance on this
// TPM (swtpm): EK certificate, AK, the portal's challenge (in process),
// activation and certify.
func BenchmarkAttest(b *testing.B) {
	ca := hsmtest.NewEKCA(b)
	sw := hsmtest.StartSWTPMWithEK(b, ca)
	be := tpm.NewWithOpener(b.TempDir(), tpm.DialSocket(sw.Socket))
	k, err := be.Generate(context.Background(), hsm.GenerateRequest{Algorithm: hsm.ECDSAP256})
	if err != nil {
		b.Fatal(err)
	}
	p := &portal{anchors: attest.NewAnchors(ca.Certs(b))}
	b.ResetTimer()
	for b.Loop() {
		p.made = nil
		if _, err := be.Attest(context.Background(), k, p.challenger(nil)); err != nil {
			b.Fatal(err)
		}
	}
}
