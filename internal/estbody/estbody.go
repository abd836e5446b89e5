// Package estbody reads and writes the base64 bodies of EST (RFC 7030,
// Section 4, as clarified by RFC 8951, Section 3.2): written as plain
// base64 (RFC 4648, Section 4) without line breaks, read liberally, with
// or without line breaks (any of CR, LF, CRLF, spaces, tabs, as MIME
// writers wrap at 64 or 76 columns) and with or without padding. Whether a
// Content-Transfer-Encoding header came with the body does not matter:
// HTTP is binary-clean, and RFC 8951 says the body is base64 all the same.
package estbody

import (
	"encoding/base64"
	"errors"
	"strings"
)

// Encode encodes der as one line of base64, with padding and no line
// break. See RFC 8951, Section 3.2.2.
func Encode(der []byte) []byte {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(der)))
	base64.StdEncoding.Encode(out, der)
	return out
}

// Wrap encodes der as base64 in lines of width characters, each, the last
// too, ended by CRLF: the MIME form (RFC 2045, Section 6.8) some EST
// peers write. certrenew never sends it; tests feed it to the readers.
func Wrap(der []byte, width int) []byte {
	s := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	b.Grow(len(s) + len(s)/width*2 + 2)
	for len(s) > width {
		b.WriteString(s[:width])
		b.WriteString("\r\n")
		s = s[width:]
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return []byte(b.String())
}

// ErrNotBase64 reports a body that is not base64, whatever its breaks.
var ErrNotBase64 = errors.New("estbody: not base64")

// Decode decodes a base64 body: white space (SP, HT, CR, LF) anywhere is
// dropped, padding is optional. Anything else outside the base64
// alphabet, or a body of white space only, is ErrNotBase64.
func Decode(body []byte) ([]byte, error) {
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	if len(clean) == 0 {
		return nil, ErrNotBase64
	}
	enc := base64.StdEncoding
	if len(clean)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(clean)))
	n, err := enc.Decode(out, clean)
	if err != nil || n == 0 {
		return nil, ErrNotBase64
	}
	return out[:n], nil
}
