// Package sceptest is a SCEP client for tests: micromdm/scep's client
// (its HTTP transport) with smallstep/scep's messages, the pair micromdm's
// scepclient command is made of, so the portal is tested against the
// library a device-management server would use, not against itself.
package sceptest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	kitlog "github.com/go-kit/kit/log"
	scepclient "github.com/micromdm/scep/v2/client"
	smscep "github.com/smallstep/scep"
	"github.com/smallstep/scep/x509util"
)

var trustOnce sync.Mutex

// Trust makes the default HTTP transport, which micromdm's client uses
// and offers no way to replace, trust roots (the test portal's root) and
// nothing else.
func Trust(roots *x509.CertPool) {
	trustOnce.Lock()
	defer trustOnce.Unlock()
	http.DefaultTransport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}

// Request is one enrollment.
type Request struct {
	URL       string // the SCEP URL, e.g. https://127.0.0.1:PORT/scep
	Challenge string
	Subject   pkix.Name
	Key       *rsa.PrivateKey // the device's new key
	// Type is PKCSReq (the zero value) or RenewalReq.
	Type smscep.MessageType
	// SignerCert and SignerKey sign the message; nil means a certificate
	// self-signed by Key (RFC 8894, Section 2.3).
	SignerCert *x509.Certificate
	SignerKey  crypto.PrivateKey
}

// Failed is a CertRep with pkiStatus FAILURE.
type Failed struct{ Info smscep.FailInfo }

func (f *Failed) Error() string { return "SCEP failure, failInfo " + f.Info.String() }

// Enroll runs GetCACaps, GetCACert and PKIOperation and returns the issued
// certificate and the CA certificates GetCACert returned; a FAILURE is a
// *Failed error.
func Enroll(ctx context.Context, r Request) (*x509.Certificate, []*x509.Certificate, error) {
	c, err := scepclient.New(r.URL, kitlog.NewNopLogger())
	if err != nil {
		return nil, nil, err
	}
	if _, err := c.GetCACaps(ctx); err != nil {
		return nil, nil, fmt.Errorf("GetCACaps: %w", err)
	}
	if !c.Supports("POSTPKIOperation") || !c.Supports("AES") || !c.Supports("SHA-256") {
		return nil, nil, errors.New("server lacks POSTPKIOperation, AES or SHA-256")
	}
	der, n, err := c.GetCACert(ctx, "")
	if err != nil {
		return nil, nil, fmt.Errorf("GetCACert: %w", err)
	}
	var cas []*x509.Certificate
	if n > 1 {
		cas, err = smscep.CACerts(der)
	} else {
		cas, err = x509.ParseCertificates(der)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("GetCACert: %w", err)
	}
	csrDER, err := x509util.CreateCertificateRequest(rand.Reader, &x509util.CertificateRequest{
		CertificateRequest: x509.CertificateRequest{Subject: r.Subject},
		ChallengePassword:  r.Challenge,
	}, r.Key)
	if err != nil {
		return nil, nil, err
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return nil, nil, err
	}
	signerCert, signerKey := r.SignerCert, r.SignerKey
	if signerCert == nil {
		if signerCert, err = selfSigned(r.Key); err != nil {
			return nil, nil, err
		}
		signerKey = r.Key
	}
	typ := r.Type
	if typ == "" {
		typ = smscep.PKCSReq
	}
	msg, err := smscep.NewCSRRequest(csr, &smscep.PKIMessage{
		MessageType: typ, Recipients: cas, SignerKey: signerKey, SignerCert: signerCert,
	}, smscep.WithCertsSelector(smscep.EnciphermentCertsSelector()))
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.PKIOperation(ctx, msg.Raw)
	if err != nil {
		return nil, cas, fmt.Errorf("PKIOperation: %w", err)
	}
	rep, err := smscep.ParsePKIMessage(resp, smscep.WithCACerts(cas))
	if err != nil {
		return nil, cas, fmt.Errorf("CertRep: %w", err)
	}
	if rep.MessageType != smscep.CertRep || rep.CertRepMessage == nil {
		return nil, cas, errors.New("answer is not a CertRep")
	}
	switch rep.PKIStatus {
	case smscep.FAILURE:
		return nil, cas, &Failed{Info: rep.FailInfo}
	case smscep.SUCCESS:
	default:
		return nil, cas, fmt.Errorf("pkiStatus %s", rep.PKIStatus)
	}
	if err := rep.DecryptPKIEnvelope(signerCert, signerKey); err != nil {
		return nil, cas, fmt.Errorf("CertRep envelope: %w", err)
	}
	return rep.CertRepMessage.Certificate, cas, nil
}

func selfSigned(key *rsa.PrivateKey) (*x509.Certificate, error) {
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "SCEP signer"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
