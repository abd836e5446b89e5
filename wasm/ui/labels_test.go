package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
)

// TestRowLabels: a name that appears once stays the name; names that
// repeat get portal host, key storage and expiry, and the serial when even
// those agree, so that no two labels are the same.
func TestRowLabels(t *testing.T) {
	exp := time.Date(2027, 6, 21, 12, 0, 0, 0, time.Local)
	c := func(id, cn, portal, backend, serial string) proto.Cert {
		return proto.Cert{ID: id, Subject: "CN=" + cn + ",O=X", Portal: portal, Backend: backend, Serial: serial, NotAfter: exp}
	}
	certs := []proto.Cert{
		c("1", "alice", "https://a.example", "soft", "01"),
		c("2", "alice", "https://b.example:8443", "tpm", "02"),
		c("3", "bob", "https://a.example", "soft", "03"),
		c("4", "alice", "https://a.example", "soft", "04"),
	}
	got := rowLabels(i18n.For("en"), certs)
	want := []string{
		"alice (a.example, Software, expires 2027-06-21)",
		"alice (b.example:8443, TPM, expires 2027-06-21)",
		"bob",
		"alice (a.example, Software, expires 2027-06-21) #04",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("label %d = %q, want %q", i, got[i], want[i])
		}
	}
	if ja := rowLabels(i18n.For("ja"), certs)[1]; !strings.Contains(ja, "有効期限 2027-06-21") || !strings.Contains(ja, "b.example:8443") {
		t.Errorf("ja label %q", ja)
	}
}

// TestCertState: what an error screen says of the certificate concerned.
func TestCertState(t *testing.T) {
	s := i18n.For("en")
	valid := &proto.Cert{NotAfter: time.Now().Add(48 * time.Hour), DaysLeft: 2}
	expired := &proto.Cert{NotAfter: time.Now().Add(-time.Hour), DaysLeft: -1, Status: proto.StatusExpired}
	for _, tc := range []struct {
		cmd  string
		cert *proto.Cert
		code errcode.Code
		want string
	}{
		{proto.CmdRenew, valid, errcode.ServerUnreachable, "still works until"},
		{proto.CmdRenew, expired, errcode.ServerUnreachable, "has expired"},
		// bad_password's renewal text says it itself.
		{proto.CmdRenew, valid, errcode.BadPassword, ""},
		{proto.CmdEnroll, nil, errcode.BadInvitation, "Nothing was installed"},
		{proto.CmdRemove, valid, errcode.Busy, "still installed"},
		{proto.CmdRemove, valid, errcode.StoreFailed, "finishes it the next time"},
		{proto.CmdRemove, valid, errcode.RemovalNotAllowed, ""},
		{"", nil, errcode.HostMissing, "without certrenew-host"},
		{"", nil, errcode.BadResponse, "Nothing was changed"},
	} {
		v := &errorView{S: s, Err: &proto.Error{Code: tc.code}, Command: tc.cmd, Cert: tc.cert}
		got := v.certState()
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s %s: %q, want %q", tc.cmd, tc.code, got, tc.want)
		}
	}
}

// TestHardwareShown: the portal's record of the key's hardware binding
// (proto.Cert.Hardware) is in the row's line and the details' key
// storage, in both languages; a TPM key the portal only has the client's
// word for is not called attested, and a record of "software" wins over a
// hardware backend.
func TestHardwareShown(t *testing.T) {
	for _, tc := range []struct {
		lang, backend, hw string
		meta, storage     string
	}{
		{"en", "tpm", proto.HardwareVerified, "TPM-attested", "proven to the portal by TPM attestation"},
		{"ja", "tpm", proto.HardwareVerified, "TPM 証明済み", "TPM の証明をポータルが検証済み"},
		{"en", "pkcs11", proto.HardwareClaimed, "hardware not proven", "not proven to the portal"},
		{"ja", "pkcs11", proto.HardwareClaimed, "ハードウェア未証明", "ポータルへの証明なし"},
		{"en", "tpm", "", "", "the key cannot leave it"},
		{"en", "tpm", proto.HardwareSoftware, "", "not hardware-bound"},
	} {
		s := i18n.For(tc.lang)
		c := proto.Cert{ID: "1", Subject: "CN=a", Portal: "https://p.example", Backend: tc.backend, Hardware: tc.hw}
		meta := certMeta(s, c)
		if tc.meta != "" && !strings.Contains(meta, tc.meta) {
			t.Errorf("%s %s/%q: row line %q lacks %q", tc.lang, tc.backend, tc.hw, meta, tc.meta)
		}
		if tc.meta == "" && (strings.Contains(meta, s.More().KeyAttested) || strings.Contains(meta, s.More().KeyUnproven)) {
			t.Errorf("%s %s/%q: row line %q speaks of attestation", tc.lang, tc.backend, tc.hw, meta)
		}
		v := &detailsView{S: s, Cert: &c}
		if got := v.fact("storage").value; !strings.Contains(got, tc.storage) {
			t.Errorf("%s %s/%q: key storage %q lacks %q", tc.lang, tc.backend, tc.hw, got, tc.storage)
		}
	}
}
