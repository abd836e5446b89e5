package limit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/limit/limittest"
)

// Attempts are counted before the hash: with hashes held, no more than
// MaxFailures attempts of one key get a hash however many come at once,
// the others are refused busy; the wrong ones then lock the key. PerKey
// bounds the attempts in flight of a user ID; an address is bounded by
// its count only.
func TestCountedBeforeHash(t *testing.T) {
	user, addr := limit.UserKey("alice"), limit.AddrKey("10.0.0.1")
	for _, tc := range []struct {
		name    string
		perKey  int
		keys    []limit.Key
		hashes  int
		locked  bool
		retryOK bool
	}{
		{"user, in-flight cap", 0, []limit.Key{user, addr}, limit.DefaultPerKey, false, true},
		{"user, count", 100, []limit.Key{user, addr}, limit.DefaultMaxFailures, true, false},
		{"address only", 0, []limit.Key{addr}, limit.DefaultMaxFailures, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h := limittest.Hold(tc.perKey)
			l := &limit.Limiter{Backend: &limit.Memory{}, Gate: h.Gate}
			wrong := func() error {
				ok, err := l.Check(ctx, tc.keys, func() (bool, error) { return false, nil })
				if ok {
					err = errors.New("a wrong password passed")
				}
				return err
			}
			busy := func(i int, err error) {
				if be := (*limit.BusyError)(nil); !errors.As(err, &be) {
					t.Fatalf("refusal %d: %v", i, err)
				}
			}
			for _, err := range limittest.Burst(t, h, 40, tc.hashes, wrong, busy) {
				if err != nil {
					t.Fatalf("admitted attempt: %v", err)
				}
			}
			if got := h.Gate.Hashes(); got != int64(tc.hashes) {
				t.Fatalf("%d hashes ran, want %d", got, tc.hashes)
			}
			_, err := l.Check(ctx, tc.keys, func() (bool, error) { return true, nil })
			if tc.locked != errors.Is(err, limit.ErrLocked) || (tc.retryOK && err != nil) {
				t.Fatalf("after the burst: %v", err)
			}
		})
	}
}
