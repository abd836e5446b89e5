package serverkey_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"regexp"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/certrenew/certrenew/internal/racetest"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/scep"
	"github.com/certrenew/certrenew/portal/serverkey"
)

// The password is a function of the challenge alone, 16 base32 characters
// in groups of four, different for another challenge.
func TestPassword(t *testing.T) {
	a, b := serverkey.Password("AAAA"), serverkey.Password("AAAB")
	if a != serverkey.Password("AAAA") || a == b {
		t.Fatal("password not determined by the challenge")
	}
	if !regexp.MustCompile(`^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$`).MatchString(a) {
		t.Fatalf("password %q", a)
	}
}

// Of downloads racing with one challenge one gets a key and certificate;
// the PKCS#12 opens with the password and holds them, and no CA.
func TestReissueOnce(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, "alice", "alice-pw-123")
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial := p.Enroll(t, "alice", "alice-pw-123", k, p.Invite(t, "alice")).SerialNumber.Text(16)
	ctx := context.Background()
	ch, err := scep.NewChallenge(ctx, p.Store, "alice", serial, time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req := serverkey.Request{Store: p.Store, CA: p.CA, User: "alice", Serial: serial, Challenge: ch, Now: time.Now()}
	other := req
	other.User = "bob"
	if _, _, err := serverkey.Reissue(ctx, other); !errors.Is(err, serverkey.ErrSpent) {
		t.Fatalf("another user's download: %v", err)
	}
	const n = 4
	racetest.OneWins(t, n, "download", func(int) error {
		key, cert, err := serverkey.Reissue(ctx, req)
		if err != nil {
			return err
		}
		p12, err := serverkey.PKCS12(key, cert, serverkey.Password(ch))
		if err != nil {
			return err
		}
		gotKey, gotCert, cas, err := pkcs12.DecodeChain(p12, serverkey.Password(ch))
		if err != nil || !key.Equal(gotKey) || !gotCert.Equal(cert) || len(cas) != 0 {
			return errors.New("PKCS#12 does not round-trip with the password, or carries CAs")
		}
		return nil
	}, func(err error) bool { return errors.Is(err, serverkey.ErrSpent) })
}
