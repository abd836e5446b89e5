// Package p11uri parses and formats RFC 7512 "pkcs11:" URIs, the names of
// keys on PKCS#11 tokens. It is pure Go, so a build without cgo can still
// read (and refuse) such URIs with a clear error.
//
// Supported path attributes (RFC 7512, Section 2.3): token, serial,
// manufacturer, model, slot-id, id, object, type. Query attributes:
// pin-source, pin-value, module-path, module-name. Unknown path attributes
// are rejected, unknown query attributes ignored (Section 2.4 lets a
// consumer refuse what it does not understand in the path).
package p11uri

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ErrMalformed reports a URI that does not follow RFC 7512.
var ErrMalformed = errors.New("malformed pkcs11 URI")

// URI is a parsed pkcs11: URI.
type URI struct {
	Token        string // token label (CK_TOKEN_INFO.label)
	Serial       string // token serial number
	Manufacturer string
	Model        string
	SlotID       *uint
	ID           []byte // CKA_ID
	Object       string // CKA_LABEL
	Type         string // "private", "public", "cert", "secret-key", "data"
	// PINSource is where the PIN is read from (RFC 7512, Section 2.3,
	// "pin-source"): a "file:" URI or an absolute path.
	PINSource string
	// PINValue is the PIN itself. certrenew never writes one into a URI,
	// and String omits it, so it cannot reach state files or logs.
	PINValue   string
	ModulePath string
	ModuleName string
}

var pathAttrs = map[string]bool{"token": true, "serial": true, "manufacturer": true, "model": true,
	"slot-id": true, "id": true, "object": true, "type": true, "library-manufacturer": true,
	"library-description": true, "library-version": true, "slot-description": true, "slot-manufacturer": true}

// Parse parses s, which must start with "pkcs11:".
func Parse(s string) (*URI, error) {
	rest, ok := cutPrefixFold(s, "pkcs11:")
	if !ok {
		return nil, fmt.Errorf("%w: scheme is not pkcs11", ErrMalformed)
	}
	path, query, _ := strings.Cut(rest, "?")
	u := &URI{}
	seen := map[string]bool{}
	if path != "" {
		for _, attr := range strings.Split(path, ";") {
			k, v, ok := strings.Cut(attr, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%w: path attribute %q has no value", ErrMalformed, clip(attr))
			}
			k = strings.ToLower(k)
			if !pathAttrs[k] {
				return nil, fmt.Errorf("%w: unknown path attribute %q", ErrMalformed, clip(k))
			}
			if seen[k] {
				return nil, fmt.Errorf("%w: attribute %q repeated", ErrMalformed, k)
			}
			seen[k] = true
			val, err := unescape(v)
			if err != nil {
				return nil, fmt.Errorf("%w: attribute %q: %v", ErrMalformed, k, err)
			}
			if err := u.setPath(k, val); err != nil {
				return nil, err
			}
		}
	}
	if query != "" {
		for _, attr := range strings.Split(query, "&") {
			k, v, ok := strings.Cut(attr, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%w: query attribute has no value", ErrMalformed)
			}
			k = strings.ToLower(k)
			if seen["?"+k] {
				return nil, fmt.Errorf("%w: attribute %q repeated", ErrMalformed, clip(k))
			}
			seen["?"+k] = true
			val, err := unescape(v)
			if err != nil {
				return nil, fmt.Errorf("%w: query attribute %q: %v", ErrMalformed, clip(k), err)
			}
			switch k {
			case "pin-source":
				u.PINSource = val
			case "pin-value":
				u.PINValue = val
			case "module-path":
				u.ModulePath = val
			case "module-name":
				u.ModuleName = val
			}
		}
	}
	if u.PINSource != "" && u.PINValue != "" {
		return nil, fmt.Errorf("%w: pin-source and pin-value are mutually exclusive (RFC 7512, Section 2.3)", ErrMalformed)
	}
	return u, nil
}

func (u *URI) setPath(k, v string) error {
	switch k {
	case "token":
		u.Token = v
	case "serial":
		u.Serial = v
	case "manufacturer":
		u.Manufacturer = v
	case "model":
		u.Model = v
	case "slot-id":
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("%w: slot-id must be a decimal number", ErrMalformed)
		}
		id := uint(n)
		u.SlotID = &id
	case "id":
		u.ID = []byte(v)
	case "object":
		u.Object = v
	case "type":
		switch v {
		case "private", "public", "cert", "secret-key", "data":
			u.Type = v
		default:
			return fmt.Errorf("%w: unknown object type %q", ErrMalformed, clip(v))
		}
	}
	return nil
}

// String formats u. Every byte of id is percent-encoded, as RFC 7512,
// Section 2.3 recommends; the PIN value is never written.
func (u *URI) String() string {
	var path []string
	add := func(k, v string) {
		if v != "" {
			path = append(path, k+"="+escape(v))
		}
	}
	add("token", u.Token)
	add("serial", u.Serial)
	add("manufacturer", u.Manufacturer)
	add("model", u.Model)
	if u.SlotID != nil {
		path = append(path, "slot-id="+strconv.FormatUint(uint64(*u.SlotID), 10))
	}
	if len(u.ID) > 0 {
		var b strings.Builder
		for _, c := range u.ID {
			fmt.Fprintf(&b, "%%%02X", c)
		}
		path = append(path, "id="+b.String())
	}
	add("object", u.Object)
	add("type", u.Type)
	var q []string
	qadd := func(k, v string) {
		if v != "" {
			q = append(q, k+"="+escape(v))
		}
	}
	qadd("module-name", u.ModuleName)
	qadd("module-path", u.ModulePath)
	qadd("pin-source", u.PINSource)
	sort.Strings(q)
	s := "pkcs11:" + strings.Join(path, ";")
	if len(q) > 0 {
		s += "?" + strings.Join(q, "&")
	}
	return s
}

// PINFile returns the file pin-source names, if any: "file:" URIs and
// absolute paths are accepted (RFC 7512, Section 2.3).
func (u *URI) PINFile() (string, error) {
	if u.PINSource == "" {
		return "", nil
	}
	if strings.HasPrefix(u.PINSource, "/") {
		return u.PINSource, nil
	}
	pu, err := url.Parse(u.PINSource)
	if err != nil || pu.Scheme != "file" || pu.Path == "" {
		return "", fmt.Errorf("%w: pin-source must be a file: URI or an absolute path", ErrMalformed)
	}
	return pu.Path, nil
}

// unreserved bytes of RFC 3986 plus the RFC 7512 pchar extras that need no
// escaping in attribute values.
func isPlain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("-._~:[]@!$'()*+,/", c) >= 0
}

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isPlain(s[i]) {
			b.WriteByte(s[i])
		} else {
			fmt.Fprintf(&b, "%%%02X", s[i])
		}
	}
	return b.String()
}

func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("truncated percent escape")
		}
		h, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", errors.New("bad percent escape")
		}
		b.WriteByte(byte(h))
		i += 2
	}
	return b.String(), nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

func clip(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.ToValidUTF8(s, "?")
}
