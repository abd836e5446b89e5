package est

import (
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/certrenew/certrenew/portal/store"
)

// TestCRLCache (derCache, as the EK CRLs use it): a CRL is parsed once while the store holds it (the same
// parsed list comes back), a removed one is dropped, one added again is
// parsed again, and a CRL that does not parse is an error that leaves the
// cache as it was.
func TestCRLCache(t *testing.T) {
	ca := testpki.NewRoot(t, "Maker EK CA")
	crl := func(serial int64) store.EKCRL {
		der := hsmtest.SignCRL(t, ca.Cert, ca.Key, time.Now().Add(time.Hour), big.NewInt(serial))
		sum := sha256.Sum256(der)
		return store.EKCRL{Hash: sum[:], DER: der}
	}
	a, b := crl(1), crl(2)
	var c derCache[*x509.RevocationList]
	parse := func(crls ...store.EKCRL) ([]*x509.RevocationList, error) {
		var hashes, ders [][]byte
		for _, l := range crls {
			hashes, ders = append(hashes, l.Hash), append(ders, l.DER)
		}
		return c.parse(hashes, ders, x509.ParseRevocationList)
	}
	first, err := parse(a, b)
	if err != nil || len(first) != 2 || first[0].RevokedCertificateEntries[0].SerialNumber.Int64() != 1 {
		t.Fatalf("parse: %v %v", first, err)
	}
	again, err := parse(a, b)
	if err != nil || again[0] != first[0] || again[1] != first[1] {
		t.Fatal("a CRL the store still holds was parsed again")
	}
	if only, _ := parse(b); len(only) != 1 || only[0] != first[1] || len(c.parsed) != 1 {
		t.Fatalf("after a removal: %d parsed, %d kept", len(only), len(c.parsed))
	}
	if back, _ := parse(a, b); back[0] == first[0] || back[1] != first[1] {
		t.Fatal("a CRL added again was not parsed again")
	}
	bad := store.EKCRL{Hash: []byte("bad"), DER: []byte("not a CRL")}
	if _, err := parse(a, bad); err == nil {
		t.Fatal("a CRL that does not parse was accepted")
	}
	if len(c.parsed) != 2 {
		t.Fatalf("a failed parse changed the cache: %d kept", len(c.parsed))
	}
}
