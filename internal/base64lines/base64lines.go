// Package base64lines writes the base64 bodies of EST: the MIME form, in
// lines of a fixed width with CRLF ends (RFC 7030, Section 4; RFC 2045,
// Section 6.8).
package base64lines

import (
	"encoding/base64"
	"strings"
)

// Encode encodes der as base64 in lines of width characters, each, the
// last too, ended by CRLF.
func Encode(der []byte, width int) []byte {
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
