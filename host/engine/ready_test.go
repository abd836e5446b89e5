package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/store"
)

// unready is a store that cannot be opened (store.Readier fails), as the
// NSS store whose softokn does not load on its directory.
type unready struct{ store.Store }

var errUnready = errors.New("store cannot be opened")

func (unready) Ready(context.Context) error { return errUnready }

// A store is opened lazily (host start pays nothing for hello and list),
// but an operation checks it first: an enrollment on a store that cannot
// be used fails before it makes a key or uses the invitation.
func TestEnrollFailsBeforeWorkOnUnreadyStore(t *testing.T) {
	f := setup(t)
	f.portal.AddUser(t, "ready", password)
	code := f.portal.Invite(t, "ready")
	cfg := f.config(t)
	cfg.Store = unready{f.db}
	req := engine.EnrollRequest{Portal: f.portal.URL, User: "ready", Password: password, Invitation: code}
	var steps []engine.Step
	if _, err := engine.New(cfg).Enroll(context.Background(), req, func(s engine.Step) { steps = append(steps, s) }); !errors.Is(err, errUnready) {
		t.Fatalf("enroll on an unready store: %v, want %v", err, errUnready)
	}
	if len(steps) != 0 {
		t.Fatalf("steps %v before the store was checked", steps)
	}
	// The invitation was not used: the same enrollment works on a store
	// that opens.
	if _, err := f.eng.Enroll(context.Background(), req, func(engine.Step) {}); err != nil {
		t.Fatalf("enroll with the same invitation afterwards: %v", err)
	}
}
