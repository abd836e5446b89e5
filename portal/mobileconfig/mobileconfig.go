// Package mobileconfig makes the Apple configuration profile (iOS, iPadOS,
// macOS) that has a device enroll for a client certificate over SCEP: a
// SCEP payload (com.apple.security.scep) with a one-time challenge, the
// CA certificates the chain needs, and stable identifiers per user and
// certificate lineage, so installing the profile for the next re-issue
// replaces the one before. The profile is a property list (howett.net/plist)
// in a CMS SignedData (RFC 5652, Section 5; github.com/smallstep/pkcs7)
// signed by the portal, so the device shows who it is from.
package mobileconfig

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/smallstep/pkcs7"
	"howett.net/plist"
)

// ContentType is the MIME type Safari hands to the profile installer.
const ContentType = "application/x-apple-aspen-config"

// Platforms a profile is made for.
const (
	IOS   = "ios"   // iOS and iPadOS: the device keychain
	MacOS = "macos" // macOS: the user's login keychain
)

// Profile is what a profile says.
type Profile struct {
	Platform string // IOS or MacOS
	User     string // the portal user ID: the certificate's subject CN
	// Lineage names the certificate lineage (scep.Lineage): with the
	// portal's host it makes the identifiers, the same at every re-issue.
	Lineage   string
	SCEPURL   string // https://portal.example/scep
	Challenge string // one-time (scep.NewChallenge)
	// Chain is the issuing CA, then the root (ca.CA.Chain).
	Chain []*x509.Certificate
	// ServerTrust is the SHA-256 fingerprints of the CAs the organisation
	// named for server trust (docs/trust.md, serverTrustCAs): only a root
	// named here goes in as a trusted root (com.apple.security.root);
	// every other CA certificate goes in as a plain certificate
	// (com.apple.security.pkcs1), present for the chain, trusted for
	// nothing.
	ServerTrust [][]byte
	// Organization is shown by the installer; "" is "certrenew".
	Organization string
}

// Identifier is the profile's PayloadIdentifier: the portal's host, the
// user and the lineage, hashed (a user ID may hold any character).
func (p Profile) Identifier() (string, error) {
	u, err := url.Parse(p.SCEPURL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return "", fmt.Errorf("mobileconfig: SCEP URL %q must be https", p.SCEPURL)
	}
	if p.User == "" || p.Lineage == "" {
		return "", errors.New("mobileconfig: a profile needs a user and a lineage")
	}
	host := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, strings.ToLower(u.Hostname()))
	sum := sha256.Sum256([]byte(u.Hostname() + "\x00" + p.User + "\x00" + p.Lineage))
	return fmt.Sprintf("certrenew.%s.client-cert.%x", host, sum[:8]), nil
}

// uuidFor is a name-based UUID (RFC 9562, Section 5.8, SHA-256) for one
// payload of the profile: stable, so a new profile replaces the old one
// payload by payload.
func uuidFor(id, role string) string {
	h := sha256.Sum256([]byte(id + "/" + role))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Build returns the unsigned profile (an XML property list).
func (p Profile) Build() ([]byte, error) {
	if p.Platform != IOS && p.Platform != MacOS {
		return nil, fmt.Errorf("mobileconfig: platform %q is not ios or macos", p.Platform)
	}
	if p.Challenge == "" || len(p.Chain) == 0 {
		return nil, errors.New("mobileconfig: a profile needs a challenge and the CA chain")
	}
	id, err := p.Identifier()
	if err != nil {
		return nil, err
	}
	org := p.Organization
	if org == "" {
		org = "certrenew"
	}
	var content []map[string]any
	for i, c := range p.Chain {
		typ := "com.apple.security.pkcs1"
		sum := sha256.Sum256(c.Raw)
		if c.IsCA && bytes.Equal(c.RawIssuer, c.RawSubject) && slices.ContainsFunc(p.ServerTrust, func(f []byte) bool { return bytes.Equal(f, sum[:]) }) {
			typ = "com.apple.security.root"
		}
		role := fmt.Sprintf("ca%d", i)
		content = append(content, map[string]any{
			"PayloadType":                typ,
			"PayloadVersion":             1,
			"PayloadIdentifier":          id + "." + role,
			"PayloadUUID":                uuidFor(id, role),
			"PayloadDisplayName":         c.Subject.CommonName,
			"PayloadCertificateFileName": role + ".cer",
			"PayloadContent":             c.Raw,
		})
	}
	scep := map[string]any{
		"URL":       p.SCEPURL,
		"Name":      "certrenew",
		"Subject":   [][][]string{{{"CN", p.User}}},
		"Challenge": p.Challenge,
		"Keysize":   2048,
		"Key Type":  "RSA",
		// 1 is signing: the key authenticates the device (TLS client
		// authentication) and decrypts nothing.
		"Key Usage":        1,
		"KeyIsExtractable": false,
		"Retries":          3,
		"RetryDelay":       10,
	}
	if p.Platform == MacOS {
		scep["AllowAllAppsAccess"] = false
	}
	content = append(content, map[string]any{
		"PayloadType":        "com.apple.security.scep",
		"PayloadVersion":     1,
		"PayloadIdentifier":  id + ".scep",
		"PayloadUUID":        uuidFor(id, "scep"),
		"PayloadDisplayName": "Client certificate for " + p.User,
		"PayloadContent":     scep,
	})
	top := map[string]any{
		"PayloadType":              "Configuration",
		"PayloadVersion":           1,
		"PayloadIdentifier":        id,
		"PayloadUUID":              uuidFor(id, "profile"),
		"PayloadDisplayName":       org + ": client certificate (" + p.User + ")",
		"PayloadDescription":       "Enrolls this device for its client certificate. The key is made on the device and never leaves it.",
		"PayloadOrganization":      org,
		"PayloadRemovalDisallowed": false,
		"PayloadContent":           content,
	}
	if p.Platform == MacOS {
		top["PayloadScope"] = "User"
	}
	return plist.MarshalIndent(top, plist.XMLFormat, "\t")
}

// Sign wraps a profile in a CMS SignedData (RFC 5652, Section 5) signed
// with SHA-256 by key, whose certificate cert goes in with chain (the
// issuing CA: the device builds the path to a root it knows, if any).
func Sign(profile []byte, cert *x509.Certificate, key crypto.Signer, chain ...*x509.Certificate) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(profile)
	if err != nil {
		return nil, fmt.Errorf("mobileconfig: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(cert, key, chain, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("mobileconfig: sign: %w", err)
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("mobileconfig: sign: %w", err)
	}
	return der, nil
}
