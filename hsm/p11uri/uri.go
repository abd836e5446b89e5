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
			if err := u.pathAttr(attr, seen); err != nil {
				return nil, err
			}
		}
	}
	if query != "" {
		for _, attr := range strings.Split(query, "&") {
			if err := u.queryAttr(attr, seen); err != nil {
				return nil, err
			}
		}
	}
	if u.PINSource != "" && u.PINValue != "" {
		return nil, fmt.Errorf("%w: pin-source and pin-value are mutually exclusive (RFC 7512, Section 2.3)", ErrMalformed)
	}
	return u, nil
}

// pathAttr parses one path attribute into u.
func (u *URI) pathAttr(attr string, seen map[string]bool) error {
	k, v, ok := cutAttr(attr)
	switch {
	case !ok:
		return fmt.Errorf("%w: path attribute %q has no value", ErrMalformed, clip(attr))
	case !pathAttrs[k]:
		return fmt.Errorf("%w: unknown path attribute %q", ErrMalformed, clip(k))
	}
	val, err := once(seen, k, k, v, "attribute")
	if err != nil {
		return err
	}
	return u.setPath(k, val)
}

// queryAttr parses one query attribute into u. Its text is never quoted
// in an error: it may be a pin-value.
func (u *URI) queryAttr(attr string, seen map[string]bool) error {
	k, v, ok := cutAttr(attr)
	if !ok {
		return fmt.Errorf("%w: query attribute has no value", ErrMalformed)
	}
	val, err := once(seen, "?"+k, k, v, "query attribute")
	if err != nil {
		return err
	}
	// Unknown query attributes are ignored (RFC 7512, Section 2.4).
	if f, ok := map[string]*string{"pin-source": &u.PINSource, "pin-value": &u.PINValue,
		"module-path": &u.ModulePath, "module-name": &u.ModuleName}[k]; ok {
		*f = val
	}
	return nil
}

// once returns attribute k's unescaped value v, refusing a second
// attribute of that key (path and query attributes have keys of their
// own); what names the attribute in errors.
func once(seen map[string]bool, key, k, v, what string) (string, error) {
	if seen[key] {
		return "", fmt.Errorf("%w: attribute %q repeated", ErrMalformed, clip(k))
	}
	seen[key] = true
	val, err := unescape(v)
	if err != nil {
		return "", fmt.Errorf("%w: %s %q: %v", ErrMalformed, what, clip(k), err)
	}
	return val, nil
}

// cutAttr splits "name=value" into the lower-cased name and the value;
// ok is false without "=" or without a name.
func cutAttr(attr string) (k, v string, ok bool) {
	k, v, ok = strings.Cut(attr, "=")
	return strings.ToLower(k), v, ok && k != ""
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
	var path, q []string
	add := func(list *[]string, k, v string) {
		if v != "" {
			*list = append(*list, k+"="+escape(v))
		}
	}
	add(&path, "token", u.Token)
	add(&path, "serial", u.Serial)
	add(&path, "manufacturer", u.Manufacturer)
	add(&path, "model", u.Model)
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
	add(&path, "object", u.Object)
	add(&path, "type", u.Type)
	add(&q, "module-name", u.ModuleName)
	add(&q, "module-path", u.ModulePath)
	add(&q, "pin-source", u.PINSource)
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
