package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
)

// TestRemove: Remove takes the certificate out of the real NSS DB, its key
// out of the backend and the entry out of the list; a second Remove, or one
// of an ID the host does not manage, is cert_not_found.
func TestRemove(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	keep := f.enroll(t, "dora")
	c := f.enroll(t, "carol")
	_, id := f.identity(t, c.ID)
	sum := sha256.Sum256(id.Cert.Raw)
	if got := strings.ReplaceAll(c.SHA256, ":", ""); got != strings.ToUpper(hex.EncodeToString(sum[:])) || len(c.SHA256) != 95 {
		t.Errorf("fingerprint %q", c.SHA256)
	}
	res, err := f.eng.Remove(ctx, c.ID)
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	if res.ID != c.ID || res.Serial != c.Serial {
		t.Errorf("removed %+v, want %s %s", res, c.ID, c.Serial)
	}
	if has, err := f.db.HasCert(ctx, id); err != nil || has {
		t.Errorf("certificate still in NSS (%v)", err)
	}
	if _, err := f.keys.Open(ctx, id.Key.URI()); !errors.Is(err, hsm.ErrNotFound) {
		t.Errorf("key still in the backend: %v", err)
	}
	list, err := f.eng.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != keep.ID {
		t.Fatalf("list after remove: %+v %v", list, err)
	}
	// The other certificate is untouched.
	_, other := f.identity(t, keep.ID)
	if err := f.db.VerifyIdentity(ctx, other); err != nil {
		t.Errorf("the other certificate: %v", err)
	}
	assertNoJournal(t, f)
	for _, certID := range []string{c.ID, "not-managed"} {
		_, err := f.eng.Remove(ctx, certID)
		if !errors.Is(err, state.ErrNotFound) || wire.Error(err, "").Code != errcode.CertNotFound {
			t.Errorf("remove %s: %v, want cert_not_found", certID, err)
		}
	}
}

// TestRemoveInterrupted: a host killed at any point of a removal leaves a
// journal record, and the next start finishes the removal.
func TestRemoveInterrupted(t *testing.T) {
	for _, point := range []string{"remove-started", "remove-store", "remove-key"} {
		t.Run(point, func(t *testing.T) {
			f := setup(t)
			ctx := context.Background()
			c := f.enroll(t, "erin")
			_, id := f.identity(t, c.ID)
			killed := f.sameDir(t, func(cfg *engine.Config) {
				cfg.Failpoint = func(p string) {
					if p == point {
						panic("killed at " + p)
					}
				}
			})
			func() {
				defer func() {
					if r := recover(); r == nil {
						t.Fatalf("failpoint %s not reached", point)
					}
				}()
				killed.Remove(ctx, c.ID)
			}()
			if pending(t, filepath.Join(f.dir, "state")) != 1 {
				t.Fatal("no journal record for the interrupted removal")
			}
			ids, err := f.sameDir(t, nil).Recover(ctx)
			if err != nil || len(ids) != 1 || ids[0] != c.ID {
				t.Fatalf("recover: %v %v", ids, err)
			}
			if has, _ := f.db.HasCert(ctx, id); has {
				t.Error("certificate still in NSS")
			}
			if _, err := f.keys.Open(ctx, id.Key.URI()); !errors.Is(err, hsm.ErrNotFound) {
				t.Errorf("key still in the backend: %v", err)
			}
			if list, _ := f.eng.List(ctx); len(list) != 0 {
				t.Errorf("list after recovery: %+v", list)
			}
			assertNoJournal(t, f)
		})
	}
}

// TestPortalUnreachable: a renewal that cannot reach the portal marks the
// portal's certificates, from the first failure on; an answer of the
// portal clears the mark.
func TestPortalUnreachable(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "frank")
	if list, _ := f.eng.List(ctx); !list[0].PortalUnreachableSince.IsZero() {
		t.Fatal("a reachable portal is marked")
	}
	dead := deadURL(t)
	sf := &state.File{Path: filepath.Join(f.dir, "state", "certs.json")}
	ent, err := sf.Get(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	ent.Portal = dead
	if err := sf.Put(*ent); err != nil {
		t.Fatal(err)
	}
	_, err = f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID, Password: password}, nil)
	if wire.Error(err, "").Code != errcode.ServerUnreachable {
		t.Fatalf("renew against a dead portal: %v", err)
	}
	list, _ := f.eng.List(ctx)
	since := list[0].PortalUnreachableSince
	if since.IsZero() {
		t.Fatal("the dead portal is not marked")
	}
	if _, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID, Password: password}, nil); err == nil {
		t.Fatal("renewed against a dead portal")
	}
	if list, _ := f.eng.List(ctx); !list[0].PortalUnreachableSince.Equal(since) {
		t.Errorf("since moved from %v to %v", since, list[0].PortalUnreachableSince)
	}
	f.eng.NoteReach(dead, true)
	if list, _ := f.eng.List(ctx); !list[0].PortalUnreachableSince.IsZero() {
		t.Error("a portal that answered is still marked")
	}
	// Other errors say nothing about the portal.
	f.eng.NotePortal(dead, errors.New("a PIN was wrong"))
	if list, _ := f.eng.List(ctx); !list[0].PortalUnreachableSince.IsZero() {
		t.Error("an error of another kind marked the portal")
	}
}

// deadURL is an https URL on a loopback port nothing listens on (it was
// listened on and closed).
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr
}

// goneToken is the soft backend as a token that was unplugged for good:
// its keys cannot be deleted.
type goneToken struct{ *soft.Backend }

func (goneToken) Delete(context.Context, string) error { return hsm.ErrTokenAbsent }

// TestRemoveTokenGone: a certificate whose key's device is gone can still
// be removed (the key stays on the device), and leaves no journal record
// that would block every later operation.
func TestRemoveTokenGone(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "gina")
	_, id := f.identity(t, c.ID)
	gone := f.sameDir(t, func(cfg *engine.Config) {
		reg := &hsm.Registry{}
		reg.Add(goneToken{f.keys})
		cfg.Keys = reg
	})
	if _, err := gone.Remove(ctx, c.ID); err != nil {
		t.Fatalf("remove with the token gone: %v", err)
	}
	if has, _ := f.db.HasCert(ctx, id); has {
		t.Error("certificate still in NSS")
	}
	if list, _ := f.eng.List(ctx); len(list) != 0 {
		t.Errorf("still listed: %+v", list)
	}
	assertNoJournal(t, f)
}
