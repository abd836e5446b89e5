package bridge

import (
	"time"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Queued is a message the worker sent before the page took its port
// (early.js queued it), still as the JavaScript object it came as.
type Queued struct{ v app.Value }

// Message decodes q as every message is decoded.
func (q Queued) Message() (Message, bool) { return decode(q.v) }

// CachedList is the certificate list that q carries when q is the
// worker's state with a list and no operation in flight, else nil: what
// the popup's first render shows. It reads the list straight from the
// JavaScript object, without encoding/json, whose first run in a new page
// (compiling and preparing its decoder for these types) delayed the first
// open's list by 10 to 35 ms (docs/extension.md, "Size and start-up"). The
// page decodes q in full (Message) once that list is on the screen. A
// value it cannot read (a field of the wrong type) gives nil: the page
// then waits for the full decode.
func (q Queued) CachedList() *proto.ListResult {
	if q.v.Type() != app.TypeObject || str(q.v, "kind") != KindState {
		return nil
	}
	st := obj(q.v, "state")
	if st == nil || obj(st, "op") != nil {
		return nil
	}
	l := obj(st, "list")
	if l == nil {
		return nil
	}
	out := &proto.ListResult{WarnDays: num(l, "warnDays")}
	certs := l.Get("certs")
	switch certs.Type() {
	case app.TypeNull, app.TypeUndefined:
		return out // no certificates, as encoding/json reads null
	case app.TypeObject:
		n := certs.Get("length")
		if n.Type() != app.TypeNumber || n.Int() < 0 || n.Int() > maxCachedCerts {
			return nil // not an array: let encoding/json say what it is
		}
		out.Certs = make([]proto.Cert, n.Int())
	default:
		return nil
	}
	for i := range out.Certs {
		c, x := certs.Index(i), &out.Certs[i]
		if c.Type() != app.TypeObject {
			return nil
		}
		// Tables, not a call per field: in Go's WASM every call site
		// costs code.
		for _, f := range [...]struct {
			name string
			to   *string
		}{{"id", &x.ID}, {"subject", &x.Subject}, {"issuer", &x.Issuer}, {"serial", &x.Serial},
			{"status", &x.Status}, {"backend", &x.Backend}, {"portal", &x.Portal}, {"user", &x.User},
			{"sha256", &x.SHA256}, {"hardware", &x.Hardware}} {
			*f.to = str(c, f.name)
		}
		for _, f := range [...]struct {
			name string
			to   *time.Time
		}{{"notBefore", &x.NotBefore}, {"notAfter", &x.NotAfter}, {"portalUnreachableSince", &x.PortalUnreachableSince}} {
			var ok bool
			if *f.to, ok = when(c, f.name); !ok {
				return nil
			}
		}
		x.DaysLeft = num(c, "daysLeft")
	}
	return out
}

// maxCachedCerts bounds the list CachedList reads; a longer one waits
// for the full decode.
const maxCachedCerts = 1000

// obj is v's property name when that is an object, else nil.
func obj(v app.Value, name string) app.Value {
	if p := v.Get(name); p.Type() == app.TypeObject {
		return p
	}
	return nil
}

// str is v's property name when that is a string, else "".
func str(v app.Value, name string) string {
	if p := v.Get(name); p.Type() == app.TypeString {
		return p.String()
	}
	return ""
}

// num is v's property name when that is a number, else 0.
func num(v app.Value, name string) int {
	if p := v.Get(name); p.Type() == app.TypeNumber {
		return p.Int()
	}
	return 0
}

// when is v's property name as encoding/json reads a time.Time: an RFC
// 3339 string; the zero time when the property is absent; false when it
// is anything else.
func when(v app.Value, name string) (time.Time, bool) {
	p := v.Get(name)
	switch p.Type() {
	case app.TypeUndefined:
		return time.Time{}, true
	case app.TypeString:
		var t time.Time // as encoding/json: no second copy of time.Parse in the WASM
		err := t.UnmarshalText([]byte(p.String()))
		return t, err == nil
	}
	return time.Time{}, false
}
