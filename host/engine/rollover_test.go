package engine_test

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/certrenew/certrenew/internal/nsstest"
	"github.com/certrenew/certrenew/portal/ca"
)

// Seed rule: after the CA is rebuilt, renewing installs BOTH the rebuilt
// CA's certificate and the new client certificate; no invitation code.
// The host accepts the new root only through the NewWithOld link
// certificate checked against the root it trusted, and keeps the old root.
func TestRenewAcrossCARebuild(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "gail")
	oldRoot := f.portal.CA.Root
	ca2 := f.portal.RebuildCA(t)

	res, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID, Password: password}, nil)
	if err != nil {
		t.Fatalf("renew across rebuild: %v", err)
	}
	_, newID := f.identity(t, c.ID)
	if err := f.db.VerifyIdentity(ctx, newID); err != nil {
		t.Fatalf("new identity: %v", err)
	}
	inter := x509.NewCertPool()
	inter.AddCert(ca2.Issuing)
	if _, err := newID.Cert.Verify(x509.VerifyOptions{Roots: ca2.RootPool(), Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("renewed cert does not chain to CA2: %v", err)
	}
	anchors := trustAnchors(t, f)
	if !containsRaw(anchors, ca2.Root) {
		t.Fatal("NSS does not trust the new root")
	}
	if !containsRaw(anchors, oldRoot) {
		t.Fatal("the old root was removed")
	}
	if got := f.whoami(t, newID); got != res.Identity.Serial {
		t.Fatalf("mTLS after rollover: whoami %q", got)
	}
	assertNoJournal(t, f)
}

// A portal whose root changes without a link certificate is refused, and
// the old identity stays in place.
func TestRenewRefusesUnlinkedNewRoot(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "hal")
	_, oldID := f.identity(t, c.ID)
	f.portal.RebuildCA(t)
	for _, name := range []string{ca.NewWithOldFile, ca.OldWithNewFile} {
		if err := os.Remove(filepath.Join(f.portal.Dir, "ca", name)); err != nil {
			t.Fatal(err)
		}
	}
	f.portal.ReloadCA(t)
	_, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID, Password: password}, nil)
	if got := wire.Error(err, "en").Code; got != errcode.BadResponse {
		t.Fatalf("unlinked root: %s (%v)", got, err)
	}
	if err := f.db.VerifyIdentity(ctx, oldID); err != nil {
		t.Fatalf("old identity damaged: %v", err)
	}
}

// trustAnchors returns the NSS listing (nickname and trust flags per line).
func trustAnchors(t *testing.T, f *fixture) string {
	t.Helper()
	return nsstest.List(t, f.db.Dir)
}

// containsRaw reports whether the listing trusts c as a client-auth anchor,
// and for nothing else ("T,,": never for TLS servers).
func containsRaw(listing string, c *x509.Certificate) bool {
	for _, line := range strings.Split(listing, "\n") {
		if f := strings.Fields(line); strings.HasPrefix(line, nss.CANickname(c)) && f[len(f)-1] == "T,," {
			return true
		}
	}
	return false
}

// A host that enrolled under G1 and slept through two CA rebuilds renews:
// it reaches the portal through the TLS chain's two NewWithOld links,
// accepts G3 by walking G2-by-G1 and G3-by-G2, and installs G3 as a trust
// anchor, keeping G1.
func TestRenewAcrossTwoRebuilds(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "ian")
	g1 := f.portal.CA.Root
	f.portal.RebuildCA(t)
	g3 := f.portal.RebuildCA(t)
	if err := f.portal.Server.RenewServerCert(); err != nil { // now a G3 server certificate.
		t.Fatal(err)
	}
	res, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID, Password: password}, nil)
	if err != nil {
		t.Fatalf("renew across two rebuilds: %v", err)
	}
	_, newID := f.identity(t, c.ID)
	if err := newID.Cert.CheckSignatureFrom(g3.Issuing); err != nil {
		t.Fatal("renewed certificate is not from G3")
	}
	anchors := trustAnchors(t, f)
	if !containsRaw(anchors, g3.Root) || !containsRaw(anchors, g1) {
		t.Fatalf("NSS anchors after two rebuilds:\n%s", anchors)
	}
	if got := f.whoami(t, newID); got != res.Identity.Serial {
		t.Fatalf("mTLS after two rebuilds: whoami %q", got)
	}
	assertNoJournal(t, f)
}
