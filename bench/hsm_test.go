package bench

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/host/store/storetest"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/nsskey"
	"github.com/certrenew/certrenew/hsm/pkcs11"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/certrenew/certrenew/hsm/tpm2pkcs11"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/rs/zerolog"
)

// hsmBackends makes one fresh backend per kind: soft (the baseline),
// SoftHSM2 (a token of its own) and swtpm (an instance of its own). The
// context carries the token PIN.
func hsmBackends(b *testing.B) []struct {
	name string
	be   hsm.Backend
	ctx  context.Context
} {
	b.Helper()
	s := hsmtest.NewSoftHSM(b)
	p11 := pkcs11.New(pkcs11.Config{Module: s.Module, Token: s.Label})
	b.Cleanup(func() { p11.Close() })
	sw := hsmtest.StartSWTPM(b)
	tb := tpm.NewWithOpener(b.TempDir(), tpm.DialSocket(sw.Socket))
	// A second swtpm behind tpm2-abrmd, the resource manager that lets
	// the host and tpm2-pkcs11 (the browser's way to TPM keys) share it.
	rm := hsmtest.StartTabrmd(b, hsmtest.StartSWTPM(b))
	b.Setenv("DBUS_SESSION_BUS_ADDRESS", rm.BusAddress)
	tabrmd, err := tpm.ParseTabrmdConfig(strings.TrimPrefix(rm.TCTI, "tabrmd:"))
	if err != nil {
		b.Fatal(err)
	}
	tbrm := tpm.NewWithOpener(b.TempDir(), tpm.DialTabrmd(tabrmd))
	// Software keys as the Linux host makes them: in an NSS database.
	nssDir := filepath.Join(b.TempDir(), "nssdb")
	db, err := nss.Open(context.Background(), nssDir)
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	nk := nsskey.New(nssDir)
	b.Cleanup(func() { nk.Close() })
	bg := context.Background()
	return []struct {
		name string
		be   hsm.Backend
		ctx  context.Context
	}{
		{"soft", soft.New(b.TempDir()), bg},
		{"nss", nk, bg},
		{"softhsm", p11, hsm.WithPIN(bg, s.PIN)},
		{"swtpm", tb, bg},
		{"swtpm-rm", tbrm, hsm.WithPIN(bg, benchTPMPIN)},
	}
}

// benchTPMPIN is the user PIN of the benchmark's tpm2-pkcs11 token.
const benchTPMPIN = "bench-tpm-pin"

// BenchmarkHSMKeygen: one ECDSA P-256 key generated (and deleted, outside
// the sample) per iteration, per backend; soft is the baseline.
func BenchmarkHSMKeygen(b *testing.B) {
	for _, be := range hsmBackends(b) {
		b.Run(be.name, func(b *testing.B) {
			var s samples
			for b.Loop() {
				start := time.Now()
				k, err := be.be.Generate(be.ctx, hsm.GenerateRequest{Label: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				s = append(s, time.Since(start))
				if err := be.be.Delete(be.ctx, k.URI()); err != nil {
					b.Fatal(err)
				}
			}
			s.report(b, "")
		})
	}
}

// BenchmarkHSMSign: one ECDSA P-256 / SHA-256 signature per iteration.
func BenchmarkHSMSign(b *testing.B) {
	d := sha256.Sum256([]byte("certrenew bench"))
	for _, be := range hsmBackends(b) {
		b.Run(be.name, func(b *testing.B) {
			k, err := be.be.Generate(be.ctx, hsm.GenerateRequest{Label: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			var s samples
			for b.Loop() {
				start := time.Now()
				if _, err := k.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
				s = append(s, time.Since(start))
			}
			s.report(b, "")
		})
	}
}

// BenchmarkHSMRenewal: engine.Renew end to end (new key in the same
// backend, CSR, EST simplereenroll over mutual TLS signed by the old key,
// install, verify, old key destroyed) against an in-process portal.
//
//	soft-nss, softhsm-nss: the real NSS store (a SoftHSM2 identity is
//	    written to the token and its module registered);
//	swtpm-nss: the real NSS store for a TPM key: swtpm behind tpm2-abrmd,
//	    the key linked into a tpm2-pkcs11 token by writing the token's
//	    store (no tpm2_ptool process: that runs once, at enrollment, to
//	    make the token) and the module registered;
//	soft-mem, softhsm-mem, swtpm-mem: an in-memory store, to see the key
//	    backend's share without the OS store. Compare with soft-mem.
func BenchmarkHSMRenewal(b *testing.B) {
	testenv.Need(b, "certutil", "pk12util", "modutil")
	p := portaltest.Start(b)
	bes := hsmBackends(b)
	for _, tc := range []struct {
		name, backend string
		nss           bool
	}{
		{"soft-nss", "soft", true}, {"nsskey-nss", "nss", true}, {"softhsm-nss", "softhsm", true}, {"swtpm-nss", "swtpm-rm", true},
		{"soft-mem", "soft", false}, {"softhsm-mem", "softhsm", false}, {"swtpm-mem", "swtpm", false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var be hsm.Backend
			var ctx context.Context
			for _, x := range bes {
				if x.name == tc.backend {
					be, ctx = x.be, x.ctx
				}
			}
			dir := b.TempDir()
			var st store.Store = &storetest.Mem{}
			if tc.nss {
				db, err := nss.Open(ctx, filepath.Join(dir, "nssdb"))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				db.TPM = &tpm2pkcs11.Config{TCTI: "tabrmd:bus_type=session", Store: filepath.Join(dir, "tpm2-pkcs11"),
					TPM: tpm.DialTabrmd(tpm.TabrmdConfig{BusName: "com.intel.tss2.Tabrmd", BusType: "session"})}
				st = db
				if tc.backend == "nss" {
					// The key must live in the store's own database.
					nk := nsskey.New(filepath.Join(dir, "nssdb"))
					b.Cleanup(func() { nk.Close() })
					be = nk
				}
			}
			lf, _ := os.Create(filepath.Join(dir, "host.log"))
			b.Cleanup(func() { lf.Close() })
			reg := &hsm.Registry{}
			reg.Add(be)
			eng := engine.New(engine.Config{Dir: filepath.Join(dir, "state"), Keys: reg, Store: st, Log: zerolog.New(lf), Roots: p.Roots})
			user := "bench-" + tc.name
			p.AddUser(b, user, benchPassword)
			res, err := eng.Enroll(ctx, engine.EnrollRequest{Portal: p.URL, User: user, Password: benchPassword, Invitation: p.Invite(b, user), Backend: be.Scheme()}, nil)
			if err != nil {
				b.Fatalf("enroll: %v", err)
			}
			var s samples
			for b.Loop() {
				start := time.Now()
				if _, err := eng.Renew(ctx, engine.RenewRequest{CertID: res.ID, Password: benchPassword}, nil); err != nil {
					b.Fatalf("renew: %v", err)
				}
				s = append(s, time.Since(start))
			}
			s.report(b, "")
		})
	}
}
