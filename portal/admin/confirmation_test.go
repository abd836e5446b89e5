package admin

import (
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

func TestStatusText(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	later := t0.Add(time.Hour)
	c := func(serial, replaces string, st store.Status, nb time.Time, confirmed bool) store.Cert {
		x := store.Cert{Serial: serial, Replaces: replaces, Status: st, NotBefore: nb, NotAfter: t0.Add(48 * time.Hour)}
		if confirmed {
			x.ConfirmedAt = later
		}
		return x
	}
	unconfirmed := []store.Cert{c("a", "", store.StatusSuperseded, t0, true), c("b", "a", store.StatusActive, later, false)}
	confirmed := []store.Cert{c("a", "", store.StatusSuperseded, t0, true), c("b", "a", store.StatusActive, later, true)}
	orphan := []store.Cert{c("a", "", store.StatusSuperseded, t0, true), c("o", "a", store.StatusSuperseded, later, false), c("b", "a", store.StatusActive, later, true)}
	for _, tc := range []struct {
		all  []store.Cert
		i    int
		want string
	}{
		{unconfirmed, 0, "superseded (awaiting confirmation)"},
		{unconfirmed, 1, "active (unconfirmed)"},
		{confirmed, 0, "superseded"},
		{confirmed, 1, "active"},
		{orphan, 1, "superseded"},
	} {
		if got := StatusText(tc.all[tc.i], tc.all, t0); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.all[tc.i].Serial, got, tc.want)
		}
	}
	if got := StatusText(c("x", "", store.StatusActive, t0, true), nil, t0.Add(72*time.Hour)); got != "active (expired)" {
		t.Errorf("expired: %q", got)
	}
}
