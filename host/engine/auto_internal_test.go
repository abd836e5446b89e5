package engine

import (
	"crypto/x509"
	"fmt"
	"math/big"
	"testing"
	"time"
)

// The renewal window starts between (renewAt − jitterShare) and renewAt
// of the lifetime, the same moment at every run for one certificate, and
// spread over the whole band for a fleet.
func TestDueAtSpreadsAFleet(t *testing.T) {
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	life := 90 * 24 * time.Hour
	lo, hi := nb.Add(time.Duration(float64(life)*(renewAt-jitterShare))), nb.Add(time.Duration(float64(life)*renewAt))
	var minD, maxD time.Time
	buckets := map[int]int{}
	for i := range 1000 {
		c := &x509.Certificate{NotBefore: nb, NotAfter: nb.Add(life), SerialNumber: big.NewInt(int64(1000 + i))}
		id := fmt.Sprintf("cert-%d", i)
		d := dueAt(c, id)
		if d.Before(lo) || d.After(hi) {
			t.Fatalf("due %v outside [%v, %v]", d, lo, hi)
		}
		if again := dueAt(c, id); !again.Equal(d) {
			t.Fatalf("due moved between runs: %v then %v", d, again)
		}
		if minD.IsZero() || d.Before(minD) {
			minD = d
		}
		if d.After(maxD) {
			maxD = d
		}
		buckets[int(10*d.Sub(lo)/hi.Sub(lo))]++
	}
	// 1000 certificates over ten tenths of the band: each tenth gets some.
	for b := range 10 {
		if buckets[b] < 50 {
			t.Fatalf("tenth %d of the jitter band has %d of 1000 certificates: %v", b, buckets[b], buckets)
		}
	}
}

func TestRetryAfterDoublesToACap(t *testing.T) {
	want := []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour}
	for i, w := range want {
		if got := retryAfter(i + 1); got != w {
			t.Errorf("retryAfter(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := retryAfter(1000); got != maxRetry {
		t.Errorf("retryAfter(1000) = %v", got)
	}
}
