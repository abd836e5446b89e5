package web_test

import (
	"crypto/x509/pkix"
	"net/http"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/portaltest"
)

type claimHeader struct{ rt http.RoundTripper }

func (c claimHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(est.KeyStorageHeader, "hardware")
	return c.rt.RoundTrip(r)
}

// The certificate pages show each certificate's hardware status, in
// English and Japanese: here a software key and a claimed token key
// (a verified one: e2e.TestTPMAttestedInChromium).
func TestHardwareStatusShown(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	soft := p.Enroll(t, alice, alicePw, testpki.NewKey(t), p.Invite(t, alice))
	p.Admin.Revoke(t.Context(), soft.SerialNumber.Text(16))
	c := &http.Client{Transport: claimHeader{p.Client(nil).Transport}}
	claimed := p.PostVia(t, c, "simpleenroll", alice, alicePw, portaltest.CSR(t, testpki.NewKey(t), pkix.Name{CommonName: alice}, p.Invite(t, alice)))
	if claimed.Status != http.StatusOK {
		t.Fatalf("enroll: %d %s", claimed.Status, claimed.Body)
	}
	b := newClient(t, p)
	b.login(alice, alicePw)
	for serial, want := range map[string][2]string{
		soft.SerialNumber.Text(16):             {`data-hardware="software" class="muted">Software key`, "ソフトウェア鍵"},
		claimed.Certs[0].SerialNumber.Text(16): {`data-hardware="claimed" class="muted">Claimed:`, "申告のみ"},
	} {
		if _, page := b.do("GET", "/certs/"+serial+"?lang=en", nil, ""); !strings.Contains(page, want[0]) {
			t.Errorf("details of %s lack %q:\n%s", serial, want[0], page)
		}
		if _, page := b.do("GET", "/certs/"+serial+"?lang=ja", nil, ""); !strings.Contains(page, want[1]) {
			t.Errorf("details of %s (ja) lack %q", serial, want[1])
		}
	}
	if _, list := b.do("GET", "/certs?all=1&lang=en", nil, ""); !strings.Contains(list, `class="hw hint" data-hardware="claimed"`) || !strings.Contains(list, `data-hardware="software"`) {
		t.Errorf("list lacks the hardware status:\n%s", list)
	}
}
