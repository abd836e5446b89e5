// Package serverkey issues certificates for keys the portal makes itself,
// for devices that cannot enroll with their own (Android's certificate
// installer takes a PKCS#12, the seed's Android path). Such a key is not
// hardware-bound: it existed outside the device. So this is off unless the
// tenant enables it (`serve --server-keygen`), and the key lives only for
// the one answer that carries it: a PKCS#12 (RFC 7292) under a password
// derived from the one-time challenge the download redeems, shown to the
// user once and never stored.
package serverkey

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/scep"
	"github.com/certrenew/certrenew/portal/store"
)

// ErrSpent reports a challenge that is unknown, used (also by a
// concurrent download), expired, or for another user or certificate.
var ErrSpent = errors.New("serverkey: the download was used or has expired")

// Request is one re-issue with a server-made key.
type Request struct {
	Store store.Store
	CA    *ca.CA
	User  string
	// Serial is the certificate re-issued; Challenge the one-time
	// challenge bound to it (scep.NewChallenge).
	Serial, Challenge string
	// Validity: see ca.CA.IssueClient.
	Validity time.Duration
	Now      time.Time
}

// Reissue makes an RSA-2048 key (what every Android version's installer
// takes) and re-issues r.Serial for it under the portal's re-issue rules
// (scep.Reissuable), redeeming the challenge in the transaction that
// records the certificate, so a download is one-time even when two race.
func Reissue(ctx context.Context, r Request) (*rsa.PrivateKey, *x509.Certificate, error) {
	hash := scep.HashChallenge(r.Challenge)
	ch, err := r.Store.SCEPChallenge(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrSpent
	}
	if err != nil {
		return nil, nil, err
	}
	if ch.UserID != r.User || ch.Serial != r.Serial || ch.Used || !r.Now.Before(ch.Expires) {
		return nil, nil, ErrSpent
	}
	u, err := r.Store.User(ctx, r.User)
	if err != nil {
		return nil, nil, err
	}
	bound, err := r.Store.Cert(ctx, r.Serial)
	if err != nil {
		return nil, nil, err
	}
	if err := scep.HardwareAllowed(ctx, r.Store, u.ID); err != nil {
		return nil, nil, err
	}
	if err := scep.Reissuable(u, bound); err != nil {
		if again, err := r.Store.SCEPChallenge(ctx, hash); err == nil && again.Used {
			return nil, nil, ErrSpent
		}
		return nil, nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	cert, err := r.CA.IssueClient(&key.PublicKey, u.ID, r.Validity)
	if err != nil {
		return nil, nil, err
	}
	kh, err := est.KeyHash(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	sc := store.Cert{
		Serial: cert.SerialNumber.Text(16), UserID: u.ID, Status: store.StatusActive,
		InvitationID: bound.InvitationID, Replaces: bound.Serial,
		NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, DER: cert.Raw, KeyHash: kh,
		Hardware: store.HardwareSoftware,
	}
	switch err := r.Store.ReissueWithSCEPChallenge(ctx, sc, hash, r.Now); {
	case errors.Is(err, store.ErrChallengeSpent):
		return nil, nil, ErrSpent
	case err != nil:
		return nil, nil, err
	}
	return key, cert, nil
}

// Password is the PKCS#12 password of the download that redeems
// challenge: 80 bits from HMAC-SHA256 keyed with the challenge, in base32,
// grouped by four (XXXX-XXXX-XXXX-XXXX) to be typed on a phone. It is
// shown once with the download and recomputed for it; nothing keeps it.
func Password(challenge string) string {
	m := hmac.New(sha256.New, []byte(challenge))
	m.Write([]byte("certrenew pkcs12 password"))
	s := base32.StdEncoding.EncodeToString(m.Sum(nil)[:10])
	return strings.Join([]string{s[0:4], s[4:8], s[8:12], s[12:16]}, "-")
}

// PKCS12 packs key and cert under password, RFC 7292 with PBES2/AES-256
// and PBKDF2-SHA256 (go-pkcs12's Modern2023, which OpenSSL 3 and current
// Android read). No CA certificate goes in: Android's installer would add
// it to the user's trusted CAs, which browsers there trust for servers
// (docs/trust.md); the portal sends the chain in the TLS handshake.
func PKCS12(key *rsa.PrivateKey, cert *x509.Certificate, password string) ([]byte, error) {
	return pkcs12.Modern2023.Encode(key, cert, nil, password)
}
