package server

import (
	"testing"
	"time"
)

func TestRenewAt(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		life, age time.Duration
		due       bool
	}{
		{30 * 24 * time.Hour, 0, false},
		{30 * 24 * time.Hour, 19 * 24 * time.Hour, false},
		{30 * 24 * time.Hour, 20*24*time.Hour - time.Second, false},
		{30 * 24 * time.Hour, 20 * 24 * time.Hour, true},
		{30 * 24 * time.Hour, 31 * 24 * time.Hour, true}, // expired: renew too.
		{3 * time.Hour, 2 * time.Hour, true},
	} {
		due := !t0.Add(tc.age).Before(renewAt(t0, t0.Add(tc.life)))
		if due != tc.due {
			t.Errorf("life %v age %v: due %v, want %v", tc.life, tc.age, due, tc.due)
		}
	}
}
