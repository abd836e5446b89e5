package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/engine/enginetest"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
)

const benchPassword = "bench-password-not-secret"

// BenchmarkRenewal measures one whole renewal (new soft key, CSR, EST
// simplereenroll over mutual TLS, install into a real NSS DB, verify,
// remove the old identity) of the same certificate again and again. The
// mtls-whoami sub-benchmark is the baseline: one GET of /mtls/whoami with
// the current certificate on a fresh connection, the network and TLS part
// that no renewal can skip.
func BenchmarkRenewal(b *testing.B) {
	testenv.Need(b, "certutil", "pk12util")
	ctx := context.Background()
	p := portaltest.Start(b)
	h := enginetest.NewHost(b, p.Roots)
	eng, keys, stateDir := h.Engine, h.Keys, h.StateDir()

	p.AddUser(b, "bench", benchPassword)
	res, err := eng.Enroll(ctx, engine.EnrollRequest{Portal: p.URL, User: "bench", Password: benchPassword, Invitation: p.Invite(b, "bench")}, nil)
	if err != nil {
		b.Fatalf("enroll: %v", err)
	}
	certID := res.ID

	b.Run("mtls-whoami", func(b *testing.B) {
		cert, serial := currentIdentity(b, stateDir, keys, certID)
		var s samples
		for b.Loop() {
			start := time.Now()
			got, err := whoami(p, cert)
			if err != nil {
				b.Fatal(err)
			}
			s = append(s, time.Since(start))
			if got != serial {
				b.Fatalf("whoami says %s, want %s", got, serial)
			}
		}
		s.report(b, "")
	})
	b.Run("renew", func(b *testing.B) {
		var s samples
		for b.Loop() {
			start := time.Now()
			if _, err := eng.Renew(ctx, engine.RenewRequest{CertID: certID, Password: benchPassword}, nil); err != nil {
				b.Fatalf("renew: %v", err)
			}
			s = append(s, time.Since(start))
		}
		s.report(b, "")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renewals/s")
	})
}

// currentIdentity loads the managed certificate and its soft key as a TLS
// client certificate, with the issuing CA so the portal can build the chain.
func currentIdentity(b *testing.B, stateDir string, keys *soft.Backend, id string) (*tls.Certificate, string) {
	b.Helper()
	ent, err := (&state.File{Path: filepath.Join(stateDir, "certs.json")}).Get(id)
	if err != nil {
		b.Fatal(err)
	}
	c, err := ent.Certificate()
	if err != nil {
		b.Fatal(err)
	}
	k, err := keys.Open(context.Background(), ent.KeyURI)
	if err != nil {
		b.Fatal(err)
	}
	chain := [][]byte{c.Raw}
	if cas, err := ent.ChainCerts(); err == nil {
		for _, ca := range cas {
			chain = append(chain, ca.Raw)
		}
	}
	return &tls.Certificate{Certificate: chain, PrivateKey: k, Leaf: c}, engine.Serial(c)
}

// whoami does one GET on a new transport, so every call pays a full TCP
// and TLS handshake (no keep-alive, no session resumption), as a renewal
// does.
func whoami(p *portaltest.Portal, cert *tls.Certificate) (string, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs:              p.Roots,
		MinVersion:           tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil },
	}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Get(p.URL + "/mtls/whoami")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("whoami: %s: %s", resp.Status, body)
	}
	return strings.TrimSpace(string(body)), nil
}
