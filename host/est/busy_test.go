package est

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A 503 with Retry-After (certrenew-portal's server_busy: nothing was
// counted) is asked again, at most maxBusyTries times in all; a wait
// beyond maxRetryAfter, or another refusal, is the answer at once.
func TestBusyRetried(t *testing.T) {
	for _, tc := range []struct {
		name       string
		busy       int // 503s before the 200
		retryAfter string
		requests   int32
		ok         bool
	}{
		{"two busy then ok", 2, "0", 3, true},
		{"always busy", 100, "0", maxBusyTries, false},
		{"wait too long", 1, "31", 1, false},
		{"no Retry-After", 1, "", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if int(n.Add(1)) <= tc.busy {
					if tc.retryAfter != "" {
						w.Header().Set("Retry-After", tc.retryAfter)
					}
					w.Header().Set("Content-Type", "application/problem+json")
					w.WriteHeader(http.StatusServiceUnavailable)
					w.Write([]byte(`{"code":"server_busy"}`))
					return
				}
				w.Write([]byte("done"))
			}))
			defer srv.Close()
			c, err := New(srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.Roots = srvRoots(srv)
			data, err := c.do(context.Background(), http.MethodGet, "cacerts", nil, nil, "", "")
			var se *ServerError
			switch {
			case tc.ok && (err != nil || string(data) != "done"):
				t.Fatalf("%q %v", data, err)
			case !tc.ok && (!errors.As(err, &se) || se.Status != 503 || se.Code != "server_busy"):
				t.Fatalf("want the 503: %v", err)
			}
			if got := n.Load(); got != tc.requests {
				t.Fatalf("%d requests, want %d", got, tc.requests)
			}
		})
	}
}

func srvRoots(s *httptest.Server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}
