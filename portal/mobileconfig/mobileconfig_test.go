package mobileconfig

import (
	"crypto/x509"
	"strings"
	"testing"
)

// Identifiers depend on the portal's host, the user and the lineage only:
// a new challenge or platform keeps them (the new profile replaces the
// old), another user or lineage changes them.
func TestIdentifiersStable(t *testing.T) {
	base := Profile{Platform: IOS, User: "alice", Lineage: "1a", SCEPURL: "https://portal.example/scep", Challenge: "A", Chain: []*x509.Certificate{{Raw: []byte{1}}}}
	id, err := base.Identifier()
	if err != nil || !strings.HasPrefix(id, "certrenew.portal.example.client-cert.") {
		t.Fatalf("identifier %q %v", id, err)
	}
	same := base
	same.Challenge, same.Platform = "B", MacOS
	for _, other := range []Profile{same} {
		if got, _ := other.Identifier(); got != id {
			t.Fatalf("identifier changed with the challenge: %s", got)
		}
	}
	for _, p := range []Profile{
		{User: "bob", Lineage: "1a", SCEPURL: base.SCEPURL},
		{User: "alice", Lineage: "2b", SCEPURL: base.SCEPURL},
		{User: "alice", Lineage: "1a", SCEPURL: "https://other.example/scep"},
	} {
		if got, _ := p.Identifier(); got == id {
			t.Fatalf("%+v has the same identifier", p)
		}
	}
	if uuidFor(id, "scep") != uuidFor(id, "scep") || uuidFor(id, "scep") == uuidFor(id, "profile") {
		t.Fatal("payload UUIDs are not stable and distinct")
	}
	if u := uuidFor(id, "scep"); len(u) != 36 || u[14] != '8' {
		t.Fatalf("UUID %s is not an RFC 9562 version 8 UUID", u)
	}
	bad := base
	bad.SCEPURL = "http://portal.example/scep"
	if _, err := bad.Build(); err == nil {
		t.Fatal("profile with a plain-HTTP SCEP URL")
	}
	bad = base
	bad.Platform = "android"
	if _, err := bad.Build(); err == nil {
		t.Fatal("profile for android")
	}
}
