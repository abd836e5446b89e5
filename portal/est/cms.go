package est

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"strconv"

	"github.com/smallstep/pkcs7"

	"github.com/certrenew/certrenew/internal/estbody"
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

// writeCMS sends der as an EST response body: base64 without line breaks
// (RFC 8951, Section 3.2.2), which every base64 decoder reads, whatever it
// does with MIME line breaks. Content-Transfer-Encoding: base64 still goes
// with it, since clients written to RFC 7030 as first published (the
// globalsign/est client among them) refuse a response without it; RFC
// 8951 has clients ignore it. Every EST answer of the portal (cacerts,
// simpleenroll, simplereenroll, the lost-answer lookup) goes through here.
func writeCMS(w http.ResponseWriter, contentType string, der []byte) {
	body := estbody.Encode(der)
	w.Header().Set("Content-Type", contentType)
	// A length, never chunked: some clients (strongSwan's pki --est)
	// read exactly Content-Length bytes and know no other framing.
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Content-Transfer-Encoding", "base64")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
