package hsmtest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/pkcs10"
	"github.com/certrenew/certrenew/internal/testpki"
)

// Env is one fresh backend on a fresh device, made for one subtest.
type Env struct {
	Backend hsm.Backend
	// Restart returns a backend over the same device and files, as a new
	// process would make it.
	Restart func(t *testing.T) hsm.Backend
	// PIN is the token PIN; "" for backends without one.
	PIN string
	// RSA reports whether the backend makes RSA-2048 keys.
	RSA bool
	// RemoveDevice makes the device absent (token deleted, TPM stopped);
	// nil when the backend has no device.
	RemoveDevice func(t *testing.T)
	// FillMemory occupies the device's object memory from outside the
	// backend and returns a function that frees it; nil when not applicable.
	FillMemory func(t *testing.T) (release func())
}

// Reopening returns an Env whose Backend and Restart each make a backend
// with open, closed when the test that made it ends; the caller sets the
// other fields.
func Reopening(t *testing.T, open func() hsm.Backend) *Env {
	newBackend := func(t *testing.T) hsm.Backend {
		b := open()
		t.Cleanup(func() { closeBackend(b) })
		return b
	}
	return &Env{Backend: newBackend(t), Restart: newBackend}
}

// Run runs the conformance suite. newEnv is called once per subtest (and
// once to learn which checks apply; a check that cannot apply to a backend,
// such as a wrong PIN for software keys, is reported in the log, not skipped).
func Run(t *testing.T, newEnv func(t *testing.T) *Env) {
	algs := func(e *Env) []hsm.Algorithm {
		if e.RSA {
			return []hsm.Algorithm{hsm.ECDSAP256, hsm.RSA2048}
		}
		return []hsm.Algorithm{hsm.ECDSAP256}
	}
	t.Run("GenerateSignCSR", func(t *testing.T) {
		e := newEnv(t)
		ctx := e.ctx()
		for _, alg := range algs(e) {
			k := mustGenerate(t, ctx, e.Backend, alg)
			checkSigns(t, k, alg)
			csr, err := pkcs10.Create(k, pkcs10.Request{Subject: pkix.Name{CommonName: "alice"}})
			if err != nil {
				t.Fatalf("%s: CSR: %v", alg, err)
			}
			req, err := x509.ParseCertificateRequest(csr)
			if err != nil || req.CheckSignature() != nil {
				t.Fatalf("%s: CSR does not verify: %v", alg, err)
			}
		}
	})
	t.Run("TLSClientAuth", func(t *testing.T) {
		e := newEnv(t)
		ctx := e.ctx()
		for _, alg := range algs(e) {
			k := mustGenerate(t, ctx, e.Backend, alg)
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				checkTLS(t, k, v)
			}
		}
	})
	t.Run("ReopenAfterRestart", func(t *testing.T) {
		e := newEnv(t)
		k, b2 := keyAcrossRestart(t, e, nil)
		k2, err := b2.Open(e.ctx(), k.URI())
		if err != nil {
			t.Fatalf("reopen %s: %v", k.URI(), err)
		}
		if !publicEqual(k.Public(), k2.Public()) {
			t.Fatal("reopened key has another public key")
		}
		checkSigns(t, k2, hsm.ECDSAP256)
		if l, ok := b2.(hsm.Lister); ok {
			uris, err := l.List(e.ctx())
			if err != nil || !contains(uris, k.URI()) {
				t.Fatalf("List = %v, %v; want %s in it", uris, err, k.URI())
			}
		}
	})
	t.Run("GenerateNear", func(t *testing.T) {
		e := newEnv(t)
		k := mustGenerate(t, e.ctx(), e.Backend, hsm.ECDSAP256)
		k2, err := e.Backend.Generate(e.ctx(), hsm.GenerateRequest{Near: k.URI(), Label: "near"})
		if err != nil {
			t.Fatalf("generate near %s: %v", k.URI(), err)
		}
		if s1, _ := hsm.Scheme(k.URI()); !sameScheme(s1, k2.URI()) || k.URI() == k2.URI() {
			t.Fatalf("near key %s is not a new key beside %s", k2.URI(), k.URI())
		}
		checkSigns(t, k2, hsm.ECDSAP256)
	})
	t.Run("Delete", func(t *testing.T) {
		e := newEnv(t)
		k := mustGenerate(t, e.ctx(), e.Backend, hsm.ECDSAP256)
		other := mustGenerate(t, e.ctx(), e.Backend, hsm.ECDSAP256)
		if err := e.Backend.Delete(e.ctx(), k.URI()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := e.Backend.Open(e.ctx(), k.URI()); !errors.Is(err, hsm.ErrNotFound) {
			t.Fatalf("open after delete = %v, want ErrNotFound", err)
		}
		if err := e.Backend.Delete(e.ctx(), k.URI()); err != nil {
			t.Fatalf("second delete = %v, want nil", err)
		}
		if _, err := e.Backend.Open(e.ctx(), other.URI()); err != nil {
			t.Fatalf("delete took another key with it: %v", err)
		}
	})
	t.Run("ReclaimByID", func(t *testing.T) {
		// A key whose URI the caller never learned (killed right after
		// Generate) is found and destroyed by the ID it asked for.
		e := newEnv(t)
		r, ok := e.Backend.(hsm.Reclaimer)
		if !ok {
			t.Fatalf("%T does not implement hsm.Reclaimer", e.Backend)
		}
		near := mustGenerate(t, e.ctx(), e.Backend, hsm.ECDSAP256)
		id := hsm.NewKeyID()
		k, err := e.Backend.Generate(e.ctx(), hsm.GenerateRequest{ID: id, Near: near.URI(), Label: "reclaim"})
		if err != nil {
			t.Fatalf("generate with ID: %v", err)
		}
		if err := r.Reclaim(e.ctx(), near.URI(), id); err != nil {
			t.Fatalf("reclaim: %v", err)
		}
		if _, err := e.Backend.Open(e.ctx(), k.URI()); !errors.Is(err, hsm.ErrNotFound) {
			t.Fatalf("open after reclaim = %v, want ErrNotFound", err)
		}
		if err := r.Reclaim(e.ctx(), near.URI(), id); err != nil {
			t.Fatalf("second reclaim = %v, want nil", err)
		}
		if err := r.Reclaim(e.ctx(), near.URI(), hsm.NewKeyID()); err != nil {
			t.Fatalf("reclaiming a key never made = %v, want nil", err)
		}
		if _, err := e.Backend.Open(e.ctx(), near.URI()); err != nil {
			t.Fatalf("reclaim took another key with it: %v", err)
		}
	})
	probe := newEnv(t)
	runIf(t, "WrongPIN", probe.PIN != "", "this backend's keys have no PIN", func(t *testing.T) {
		e := newEnv(t)
		k, b2 := keyAcrossRestart(t, e, nil)
		const wrong = "wrong-pin-0000"
		_, err := b2.Open(hsm.WithPIN(context.Background(), wrong), k.URI())
		if !errors.Is(err, hsm.ErrPINIncorrect) {
			t.Fatalf("open with a wrong PIN = %v, want ErrPINIncorrect", err)
		}
		if containsStr(err.Error(), wrong) {
			t.Fatalf("error carries the PIN: %v", err)
		}
		if _, err := b2.Generate(hsm.WithPIN(context.Background(), wrong), hsm.GenerateRequest{Near: k.URI()}); !errors.Is(err, hsm.ErrPINIncorrect) {
			t.Fatalf("generate with a wrong PIN = %v, want ErrPINIncorrect", err)
		}
		if _, err := b2.Open(e.ctx(), k.URI()); err != nil {
			t.Fatalf("right PIN after a wrong one: %v", err)
		}
	})
	runIf(t, "DeviceAbsent", probe.RemoveDevice != nil, "software keys have no device", func(t *testing.T) {
		e := newEnv(t)
		k, b2 := keyAcrossRestart(t, e, e.RemoveDevice)
		var err error
		if k2, oerr := b2.Open(e.ctx(), k.URI()); oerr != nil {
			err = oerr
		} else {
			d := sha256.Sum256([]byte("x"))
			_, err = k2.Sign(rand.Reader, d[:], crypto.SHA256)
		}
		if !errors.Is(err, hsm.ErrTokenAbsent) {
			t.Fatalf("use with the device absent = %v, want ErrTokenAbsent", err)
		}
	})
	runIf(t, "ObjectMemoryExhausted", probe.FillMemory != nil, "no bounded object memory that can be filled from outside", func(t *testing.T) {
		e := newEnv(t)
		release := e.FillMemory(t)
		_, err := e.Backend.Generate(e.ctx(), hsm.GenerateRequest{})
		if !errors.Is(err, hsm.ErrDeviceFull) {
			t.Fatalf("generate with the object memory full = %v, want ErrDeviceFull", err)
		}
		closeBackend(e.Backend)
		release()
		checkSigns(t, mustGenerate(t, e.ctx(), e.Backend, hsm.ECDSAP256), hsm.ECDSAP256)
	})
}

// runIf runs the check name when it applies, and otherwise says in the log
// why not (a check that cannot apply is not a skip).
func runIf(t *testing.T, name string, applies bool, why string, check func(t *testing.T)) {
	t.Helper()
	if !applies {
		t.Logf("%s: not applicable, %s", name, why)
		return
	}
	t.Run(name, check)
}

// keyAcrossRestart makes a P-256 key, closes the backend as an exiting
// process would, runs between (unless nil), and returns the key and a
// backend over the same device as a new process would make it.
func keyAcrossRestart(t *testing.T, e *Env, between func(t *testing.T)) (hsm.Key, hsm.Backend) {
	t.Helper()
	k := mustGenerate(t, e.ctx(), e.Backend, hsm.ECDSAP256)
	closeBackend(e.Backend)
	if between != nil {
		between(t)
	}
	return k, e.Restart(t)
}

func (e *Env) ctx() context.Context { return hsm.WithPIN(context.Background(), e.PIN) }

func mustGenerate(t *testing.T, ctx context.Context, b hsm.Backend, alg hsm.Algorithm) hsm.Key {
	t.Helper()
	k, err := b.Generate(ctx, hsm.GenerateRequest{Algorithm: alg, Label: "certrenew test"})
	if err != nil {
		t.Fatalf("generate %s: %v", alg, err)
	}
	if s, _ := hsm.Scheme(k.URI()); s != b.Scheme() {
		t.Fatalf("key URI %q is not of scheme %s", k.URI(), b.Scheme())
	}
	return k
}

// checkSigns signs with every scheme the key type allows and verifies.
func checkSigns(t *testing.T, k hsm.Key, alg hsm.Algorithm) {
	t.Helper()
	d := sha256.Sum256([]byte("certrenew conformance"))
	switch pub := k.Public().(type) {
	case *ecdsa.PublicKey:
		sig, err := k.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil || !ecdsa.VerifyASN1(pub, d[:], sig) {
			t.Fatalf("ECDSA signature does not verify: %v", err)
		}
	case *rsa.PublicKey:
		sig, err := k.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil || rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) != nil {
			t.Fatalf("RSA PKCS#1 v1.5 signature does not verify: %v", err)
		}
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
		sig, err = k.Sign(rand.Reader, d[:], opts)
		if err != nil {
			t.Fatalf("RSA-PSS: %v", err)
		}
		if err := rsa.VerifyPSS(pub, crypto.SHA256, d[:], sig, opts); err != nil {
			t.Fatalf("RSA-PSS signature (salt = hash length) does not verify: %v", err)
		}
	default:
		t.Fatalf("%s: unexpected public key %T", alg, pub)
	}
}

// checkTLS runs a TLS handshake of version v against a Go server that
// requires a client certificate, the client signing with k.
func checkTLS(t *testing.T, k hsm.Key, v uint16) {
	t.Helper()
	ca := testpki.NewRoot(t, "conformance CA")
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvCert := ca.Issue(t, "server", srvKey.Public())
	cliCert := ca.Issue(t, "client", k.Public())
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		tc := tls.Server(c, &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{srvCert.Raw}, PrivateKey: srvKey}},
			ClientAuth:   tls.RequireAnyClientCert, ClientCAs: pool, MinVersion: v, MaxVersion: v,
		})
		if err := tc.Handshake(); err != nil {
			srvErr <- err
			return
		}
		if pc := tc.ConnectionState().PeerCertificates; len(pc) == 0 || !pc[0].Equal(cliCert) {
			srvErr <- errors.New("server saw another client certificate")
			return
		}
		_, err = io.WriteString(tc, "ok")
		srvErr <- err
	}()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
		RootCAs: roots, ServerName: "server", MinVersion: v, MaxVersion: v, InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{Certificate: [][]byte{cliCert.Raw}, PrivateKey: k}, nil
		},
	})
	if err != nil {
		t.Fatalf("TLS %x client: %v (server: %v)", v, err, <-srvErr)
	}
	defer c.Close()
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("TLS %x read: %v (server: %v)", v, err, <-srvErr)
	}
	if err := <-srvErr; err != nil {
		t.Fatalf("TLS %x server: %v", v, err)
	}
}

func closeBackend(b hsm.Backend) {
	if c, ok := b.(interface{ Close() error }); ok {
		c.Close()
	}
}

func publicEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

func sameScheme(s, uri string) bool { s2, _ := hsm.Scheme(uri); return s == s2 }

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }
