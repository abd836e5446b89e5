package engine_test

import (
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/state"
)

// TestDescribeStatus: a certificate counts as expiring from the day
// warnDays days are left (proto.IsExpiring, the rule the extension's list,
// badge and notifications use too), and as expired once NotAfter passed.
func TestDescribeStatus(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		left time.Duration
		days int
		want engine.Status
	}{
		{31 * 24 * time.Hour, 31, engine.StatusValid},
		{30*24*time.Hour + time.Hour, 30, engine.StatusExpiring},
		{30 * 24 * time.Hour, 30, engine.StatusExpiring},
		{29 * 24 * time.Hour, 29, engine.StatusExpiring},
		{time.Hour, 0, engine.StatusExpiring},
		{-time.Hour, 0, engine.StatusExpired},
		{-48 * time.Hour, -2, engine.StatusExpired},
	} {
		c := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(tc.left)}
		got := engine.Describe(c, &state.Entry{ID: "x"}, now, 30)
		if got.DaysLeft != tc.days || got.Status != tc.want {
			t.Errorf("%v left: %d days, %s; want %d, %s", tc.left, got.DaysLeft, got.Status, tc.days, tc.want)
		}
	}
}
