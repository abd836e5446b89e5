package engine_test

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/store"
)

// promptingStore is the NSS store pretending, like Windows does for
// CurrentUser\Root, that adding a root makes the OS ask the user; it records
// the order of events.
type promptingStore struct {
	store.Store
	events *[]string
}

func (p promptingStore) Prompts(ctx context.Context, cas []*x509.Certificate) ([]*x509.Certificate, error) {
	return cas, nil
}

func (p promptingStore) AddTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	*p.events = append(*p.events, "add-root")
	return p.Store.AddTrustAnchors(ctx, cas)
}

func TestNoticeComesBeforeTheOSPrompt(t *testing.T) {
	f := setup(t)
	var events []string
	eng := f.withStore(t, promptingStore{Store: f.db, events: &events})
	f.enrollNoticed(t, eng, "erin", func(n engine.Notice) {
		if n.Kind != engine.NoticeOSConfirmsRoot || n.Subject == "" {
			t.Errorf("notice %+v", n)
		}
		events = append(events, "notice")
	})
	if len(events) < 2 || events[0] != "notice" || events[1] != "add-root" {
		t.Fatalf("events %v: the notice must come before the root is added", events)
	}
}

// enrollNoticed enrolls a new user with eng, telling note each notice.
func (f *fixture) enrollNoticed(t *testing.T, eng *engine.Engine, user string, note func(engine.Notice)) {
	t.Helper()
	f.portal.AddUser(t, user, password)
	code := f.portal.Invite(t, user)
	ctx := engine.WithNotice(context.Background(), note)
	if _, err := eng.Enroll(ctx, engine.EnrollRequest{Portal: f.portal.URL, User: user, Password: password, Invitation: code}, nil); err != nil {
		t.Fatal(err)
	}
}

// withStore returns an engine like f's but over s, with its own state.
func (f *fixture) withStore(t *testing.T, s store.Store) *engine.Engine {
	c := f.config(t)
	c.Store = s
	return engine.New(c)
}

// keyUseStore is a store whose OS asks the user when a browser first uses
// an installed key (the macOS keychain).
type keyUseStore struct {
	store.Store
	events *[]string
}

func (k keyUseStore) KeyUsePrompt() bool { return true }

func (k keyUseStore) InstallIdentity(ctx context.Context, id store.Identity) error {
	*k.events = append(*k.events, "install")
	return k.Store.InstallIdentity(ctx, id)
}

func TestKeyUseNoticeBeforeInstall(t *testing.T) {
	f := setup(t)
	var events []string
	eng := f.withStore(t, keyUseStore{Store: f.db, events: &events})
	f.enrollNoticed(t, eng, "finn", func(n engine.Notice) {
		events = append(events, string(n.Kind))
	})
	if strings.Join(events, ",") != string(engine.NoticeOSAsksKeyUse)+",install" {
		t.Fatalf("events %v: the key-use notice must come with the install", events)
	}
	if proto.NoticeText(proto.Notice{Kind: proto.NoticeOSAsksKeyUse}, "ja") == proto.NoticeOSAsksKeyUse {
		t.Error("no Japanese text for the key-use notice")
	}
}
