package engine_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/engine/enginetest"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// BenchmarkRenewCertificateOnly is issue 13's host figure: `renew` of a
// soft key end to end (Engine.Renew, as `certrenew-host renew` runs it:
// the policy question, keygen, CSR, simplereenroll, /cacerts, the NSS
// writes, the check, the cleanup, the confirmation) on the
// certificate-only path against an in-process portal, next to one GET
// over mutual TLS on a fresh connection with the same (newest)
// identity, the unit of the physical limit (keygen + 2 signatures + 1
// handshake + the store writes). Each iteration does one of each;
// medians are reported, and their ratio, plus the median time of each
// renewal step (Progress is told each step as it starts).
func BenchmarkRenewCertificateOnly(b *testing.B) {
	testenv.Need(b, "certutil", "pk12util")
	ctx := context.Background()
	p := portaltest.Start(b)
	p.SetRenewalAuth(b, "", store.RenewalAuthCertificate)
	h := enginetest.NewHost(b, p.Roots)
	p.AddUser(b, "bench", password)
	id, err := h.Engine.Enroll(ctx, engine.EnrollRequest{Portal: p.URL, User: "bench", Password: password, Invitation: p.Invite(b, "bench")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	// get is one mutual-TLS GET on a new connection with the managed
	// certificate's current identity.
	get := func() time.Duration {
		ent, err := (&state.File{Path: filepath.Join(h.StateDir(), "certs.json")}).Get(id.ID)
		if err != nil {
			b.Fatal(err)
		}
		c, err := ent.Certificate()
		if err != nil {
			b.Fatal(err)
		}
		k, err := h.Keys.Open(ctx, ent.KeyURI)
		if err != nil {
			b.Fatal(err)
		}
		hc := p.Client(portaltest.TLSCert(c, k))
		defer hc.CloseIdleConnections()
		t0 := time.Now()
		resp, err := hc.Get(p.URL + "/mtls/whoami")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("whoami: %d", resp.StatusCode)
		}
		return time.Since(t0)
	}
	steps := map[engine.Step][]time.Duration{}
	var renews, gets []time.Duration
	get() // warm: the first handshake pays for lazy set-up on both sides
	b.ResetTimer()
	for range b.N {
		var last engine.Step = -1
		var at time.Time
		t0 := time.Now()
		if _, err := h.Engine.Renew(ctx, engine.RenewRequest{CertID: id.ID}, func(s engine.Step) {
			now := time.Now()
			if last >= 0 {
				steps[last] = append(steps[last], now.Sub(at))
			} else {
				steps[-1] = append(steps[-1], now.Sub(t0)) // before keygen: the policy question
			}
			last, at = s, now
		}); err != nil {
			b.Fatal(err)
		}
		renews = append(renews, time.Since(t0))
		b.StopTimer()
		gets = append(gets, get())
		b.StartTimer()
	}
	b.StopTimer()
	med := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	b.ReportMetric(med(renews), "renew-ms")
	b.ReportMetric(med(gets), "mtls-get-ms")
	b.ReportMetric(med(renews)/med(gets), "renew/get")
	for s, name := range map[engine.Step]string{-1: "policy", engine.StepKeygen: "keygen", engine.StepCSR: "csr",
		engine.StepSubmit: "submit", engine.StepInstall: "install", engine.StepVerify: "verify", engine.StepCleanup: "cleanup+confirm"} {
		if len(steps[s]) > 0 {
			b.ReportMetric(med(steps[s]), name+"-ms")
		}
	}
}
