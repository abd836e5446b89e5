package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/certrenew/certrenew/host/est"
)

// What the lookup's answer allows: only a final word undoes; anything the
// host could learn more about later keeps the record.
func TestSettled(t *testing.T) {
	type errCase struct {
		err  error
		want bool
	}
	for _, g := range []struct {
		what  string // the call, with %v for the error
		f     func(error) bool
		cases []errCase
	}{
		{"settled(%v)", func(err error) bool { return settled(err, false) }, []errCase{
			{fmt.Errorf("%w: x", est.ErrNotIssued), true},
			{&est.ServerError{Status: 403, Code: "cert_revoked"}, true},
			{&est.ServerError{Status: 404}, true}, // a portal without the lookup
			{&est.ServerError{Status: 405}, true},
			{&est.ServerError{Status: 500, Code: "internal"}, false},
			{&est.ServerError{Status: 503}, false},
			{&est.ServerError{Status: 400, Code: "bad_request"}, false},
			{fmt.Errorf("%w: EOF", est.ErrUnreachable), false},
			{errors.New("context deadline exceeded"), false},
		}},
		// From a portal known to have the lookup (it took a confirmation),
		// a bare 404/405/501 is a proxy or an outage: the record stays. Its
		// own final words still undo.
		{"settled(%v) from a portal with the lookup", func(err error) bool { return settled(err, true) }, []errCase{
			{fmt.Errorf("%w: x", est.ErrNotIssued), true},
			{&est.ServerError{Status: 403, Code: "cert_revoked"}, true},
			{&est.ServerError{Status: 404}, false},
			{&est.ServerError{Status: 405}, false},
			{&est.ServerError{Status: 501}, false},
			{&est.ServerError{Status: 503}, false},
		}},
		{"refused(%v)", refused, []errCase{
			{&est.ServerError{Status: 409, Code: "key_refused"}, true},
			{&est.ServerError{Status: 401}, true},
			{&est.ServerError{Status: 503, Code: "server_busy"}, true},
			{&est.ServerError{Status: 502}, false},
			{&est.ServerError{Status: 500, Code: "internal"}, false},
			{fmt.Errorf("%w: EOF", est.ErrUnreachable), false},
		}},
	} {
		for _, tc := range g.cases {
			if got := g.f(tc.err); got != tc.want {
				t.Errorf(g.what+" = %v, want %v", tc.err, got, tc.want)
			}
		}
	}
}
