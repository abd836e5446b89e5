package est

import (
	"crypto/x509"
	"fmt"
	"net/http"

	"github.com/smallstep/pkcs7"

	"github.com/certrenew/certrenew/internal/base64lines"
)

// Content types of EST responses, RFC 7030, Sections 4.1.3 and 4.2.3.
const (
	ContentTypeCACerts  = "application/pkcs7-mime"
	ContentTypeCertOnly = "application/pkcs7-mime; smime-type=certs-only"
)

// certsOnly returns a degenerate (certs-only) CMS SignedData holding certs,
// RFC 5652, Section 5, as EST uses it (RFC 7030, Section 4.1.3).
func certsOnly(certs ...*x509.Certificate) ([]byte, error) {
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	der, err := pkcs7.DegenerateCertificate(raw)
	if err != nil {
		return nil, fmt.Errorf("certs-only CMS: %w", err)
	}
	return der, nil
}

// Base64Lines encodes der as base64 wrapped at 76 columns with CRLF line
// ends, the MIME form EST bodies use (RFC 7030, Section 4; RFC 2045,
// Section 6.8).
func Base64Lines(der []byte) []byte { return base64lines.Encode(der, 76) }

// writeCMS sends der as a base64 EST response body.
func writeCMS(w http.ResponseWriter, contentType string, der []byte) {
	body := Base64Lines(der)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Transfer-Encoding", "base64")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
