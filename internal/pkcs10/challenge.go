package pkcs10

import (
	"encoding/asn1"
	"errors"
	"fmt"
)

// ChallengePassword extracts the PKCS#9 challengePassword (RFC 2985,
// Section 5.4.1) from a DER CertificationRequestInfo
// (x509.CertificateRequest.RawTBSCertificateRequest). The value is a
// DirectoryString; the PrintableString, UTF8String and IA5String forms are
// accepted. Exactly one attribute with exactly one value is allowed
// (SINGLE VALUE TRUE). It returns ErrNoChallenge when there is none.
func ChallengePassword(tbs []byte) (string, error) {
	var req tbsRequest
	rest, err := asn1.Unmarshal(tbs, &req)
	if err != nil {
		return "", fmt.Errorf("CSR attributes: %w", err)
	}
	if len(rest) != 0 {
		return "", errors.New("CSR attributes: trailing data")
	}
	found := false
	var out string
	for _, raw := range req.Attributes {
		var a attribute
		if rest, err := asn1.Unmarshal(raw.FullBytes, &a); err != nil || len(rest) != 0 {
			return "", errors.New("CSR attributes: malformed attribute")
		}
		if !a.Type.Equal(OIDChallengePassword) {
			continue
		}
		if found {
			return "", errors.New("CSR has more than one challengePassword")
		}
		found = true
		if a.Values.Class != asn1.ClassUniversal || a.Values.Tag != asn1.TagSet || !a.Values.IsCompound {
			return "", errors.New("challengePassword values are not a SET")
		}
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(a.Values.Bytes, &v)
		if err != nil || len(rest) != 0 {
			return "", errors.New("challengePassword must hold exactly one value")
		}
		if v.Class != asn1.ClassUniversal {
			return "", errors.New("challengePassword has a non-universal tag")
		}
		switch v.Tag {
		case asn1.TagPrintableString, asn1.TagUTF8String, asn1.TagIA5String:
			out = string(v.Bytes)
		default:
			return "", fmt.Errorf("challengePassword has unsupported string type %d", v.Tag)
		}
	}
	if !found {
		return "", ErrNoChallenge
	}
	return out, nil
}
