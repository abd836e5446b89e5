package est

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Issue 13, point 3: a 503 (busy, nothing done) or a 202 (accepted, not
// done yet; RFC 7030, Section 4.2.3) with Retry-After is asked again with
// the same request after the wait, within the BusyPolicy: each wait at
// most MaxWait, all at most MaxTotal, at most MaxTries requests. Past it,
// a 503 is the answer and a 202 is ErrPending. Each wait is told to
// OnRetry first. The waits are recorded, not slept.
func TestBusyAndAcceptedRetried(t *testing.T) {
	s := func(n int) time.Duration { return time.Duration(n) * time.Second }
	for _, tc := range []struct {
		name       string
		status     int // answered before the 200
		times      int // how many of them
		retryAfter string
		policy     BusyPolicy
		waits      []time.Duration
		want       string // "ok", "busy" or "pending"
	}{
		{"503 twice then 200", 503, 2, "1", BusyPolicy{}, []time.Duration{s(1), s(1)}, "ok"},
		{"202 then 200", 202, 1, "3", BusyPolicy{}, []time.Duration{s(3)}, "ok"},
		{"202 zero wait then 200", 202, 2, "0", BusyPolicy{}, []time.Duration{0, 0}, "ok"},
		{"always 503: tries cap", 503, 100, "0", BusyPolicy{MaxTries: 4}, []time.Duration{0, 0, 0}, "busy"},
		{"always 202: total cap", 202, 100, "10", BusyPolicy{MaxTotal: s(25)}, []time.Duration{s(10), s(10)}, "pending"},
		{"202 wait over the cap", 202, 1, "31", BusyPolicy{}, nil, "pending"},
		{"503 wait over the cap", 503, 1, "31", BusyPolicy{}, nil, "busy"},
		{"503 wait under a set cap", 503, 1, "31", BusyPolicy{MaxWait: time.Minute}, []time.Duration{s(31)}, "ok"},
		{"503 without Retry-After", 503, 1, "", BusyPolicy{}, nil, "busy"},
		{"202 without Retry-After", 202, 1, "", BusyPolicy{}, nil, "pending"},
		{"503 HTTP-date Retry-After", 503, 1, "Fri, 31 Dec 1999 23:59:59 GMT", BusyPolicy{}, nil, "busy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var bodies [][]byte
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, b)
				n := len(bodies)
				mu.Unlock()
				if n <= tc.times {
					if tc.retryAfter != "" {
						w.Header().Set("Retry-After", tc.retryAfter)
					}
					if tc.status == 503 {
						w.Header().Set("Content-Type", "application/problem+json")
						w.WriteHeader(503)
						w.Write([]byte(`{"code":"server_busy"}`))
						return
					}
					w.WriteHeader(tc.status)
					return
				}
				w.Write([]byte("done"))
			}))
			defer srv.Close()
			c, err := New(srv.URL, srvRoots(srv))
			if err != nil {
				t.Fatal(err)
			}
			c.Busy = tc.policy
			var waits, told []time.Duration
			c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			c.OnRetry = func(d time.Duration, status int) {
				if status != tc.status {
					t.Errorf("OnRetry told status %d", status)
				}
				told = append(told, d)
			}
			data, err := c.do(context.Background(), http.MethodPost, "simplereenroll", nil, []byte("Q1NS"), "", "")
			var se *ServerError
			switch tc.want {
			case "ok":
				if err != nil || string(data) != "done" {
					t.Fatalf("%q %v", data, err)
				}
			case "busy":
				if !errors.As(err, &se) || se.Status != 503 || se.Code != "server_busy" || errors.Is(err, ErrPending) {
					t.Fatalf("want the 503: %v", err)
				}
			case "pending":
				if !errors.Is(err, ErrPending) {
					t.Fatalf("want ErrPending: %v", err)
				}
			}
			if !equalDurations(waits, tc.waits) || !equalDurations(told, tc.waits) {
				t.Fatalf("waited %v, told %v, want %v", waits, told, tc.waits)
			}
			if len(bodies) != len(tc.waits)+1 {
				t.Fatalf("%d requests for %d waits", len(bodies), len(tc.waits))
			}
			for _, b := range bodies {
				if !bytes.Equal(b, bodies[0]) {
					t.Fatal("a retry sent another request")
				}
			}
		})
	}
}

// A wait ends with the caller's context.
func TestBusyWaitCancelled(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(202)
	}))
	defer srv.Close()
	c, _ := New(srv.URL, srvRoots(srv))
	ctx, cancel := context.WithCancel(context.Background())
	c.OnRetry = func(time.Duration, int) { cancel() }
	if _, err := c.do(ctx, http.MethodGet, "cacerts", nil, nil, "", ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func srvRoots(s *httptest.Server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}
