package est

import (
	"errors"
	"testing"
	"time"
)

// FuzzParseCertsOnly feeds arbitrary server responses to the EST response
// parser: it must return certificates or ErrBadResponse, never crash.
func FuzzParseCertsOnly(f *testing.F) {
	good, _, k := chainBody(f)
	f.Add(good)
	f.Add([]byte("MIAGCSqGSIb3DQEHAqCAMIACAQExADALBgkqhkiG9w0BBwGggDCCAX0wggEk"))
	f.Add([]byte{0x30, 0x80, 0x06, 0x09})
	f.Fuzz(func(t *testing.T, body []byte) {
		certs, err := ParseCertsOnly(body)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error not ErrBadResponse: %v", err)
			}
			return
		}
		_, _, _ = PickLeaf(certs, k.Public())
	})
}

// FuzzParseProblem covers the error-document parser.
func FuzzParseProblem(f *testing.F) {
	f.Add(403, "application/problem+json", []byte(`{"code":"bad_password","detail":"x"}`))
	f.Add(500, "text/plain", []byte("boom"))
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		var se *ServerError
		if !errors.As(parseProblem(status, ctype, body), &se) || len(se.Detail) > 300 {
			t.Fatal("bad problem parse")
		}
	})
}

// FuzzParseRetryAfter: any header value gives a bounded, non-negative wait
// or none.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"2", "0", "120", "999999", "1000000", "-1", "1.5", "Fri, 31 Dec 1999 23:59:59 GMT", " 2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v)
		if ok && (d < 0 || d > 999999*time.Second) {
			t.Fatalf("%q: %v", v, d)
		}
	})
}

// FuzzParseRenewalAuth: any answer of a portal is one of the two
// policies, and "certificate" only for that exact answer.
func FuzzParseRenewalAuth(f *testing.F) {
	for _, s := range []string{`{"renewalAuth":"certificate"}`, `{"renewalAuth":"password"}`, `{"renewalAuth":"Certificate"}`, `{"renewalAuth":1}`, `null`, ``, `{"renewalAuth":"certificate","renewalAuth":"none"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		switch ParseRenewalAuth(body) {
		case RenewalAuthPassword, RenewalAuthCertificate:
		default:
			t.Fatal("a third policy")
		}
	})
}
