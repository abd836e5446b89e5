package engine_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/engine/enginetest"
	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/rs/zerolog"
)

const password = "correct horse battery staple"

type fixture struct {
	eng    *engine.Engine
	portal *portaltest.Portal
	db     *nss.DB
	keys   *soft.Backend
	dir    string
	log    string
}

func setup(t *testing.T) *fixture { return setupWith(t, portaltest.Options{}) }

func setupWith(t *testing.T, o portaltest.Options) *fixture {
	t.Helper()
	testenv.Need(t, "certutil", "pk12util")
	p := portaltest.StartWith(t, o)
	h := enginetest.NewHost(t, p.Roots)
	return &fixture{eng: h.Engine, portal: p, db: h.DB, keys: h.Keys, dir: h.Dir, log: h.Log}
}

// config configures an engine like f's (its keys, its NSS DB, its
// portal's roots) with its own state directory; a test changes what it is
// about.
func (f *fixture) config(t *testing.T) engine.Config {
	reg := &hsm.Registry{}
	reg.Add(f.keys)
	return engine.Config{Dir: t.TempDir(), Keys: reg, Store: f.db, Log: zerolog.Nop(), Roots: f.portal.Roots}
}

func (f *fixture) enroll(t *testing.T, user string) engine.Identity {
	t.Helper()
	f.portal.AddUser(t, user, password)
	code := f.portal.Invite(t, user)
	var steps []engine.Step
	res, err := f.eng.Enroll(context.Background(), engine.EnrollRequest{Portal: f.portal.URL, User: user, Password: password, Invitation: code}, func(s engine.Step) { steps = append(steps, s) })
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if steps[0] != engine.StepKeygen || steps[len(steps)-1] != engine.StepDone {
		t.Fatalf("enroll steps %v", steps)
	}
	return *res
}

// identity rebuilds the stored identity of a managed certificate.
func (f *fixture) identity(t *testing.T, id string) (*state.Entry, store.Identity) {
	t.Helper()
	sf := &state.File{Path: filepath.Join(f.dir, "state", "certs.json")}
	ent, err := sf.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ent.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.keys.Open(context.Background(), ent.KeyURI)
	if err != nil {
		t.Fatal(err)
	}
	return ent, store.Identity{Nickname: ent.Nickname, Cert: c, Key: k}
}

// whoami asks the portal's client-certificate endpoint which serial it sees.
func (f *fixture) whoami(t *testing.T, id store.Identity) string {
	t.Helper()
	cert := &tls.Certificate{Certificate: [][]byte{id.Cert.Raw}, PrivateKey: id.Key}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs:              f.portal.Roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil },
	}}}
	resp, err := hc.Get(f.portal.URL + "/mtls/whoami")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("whoami: %d %s", resp.StatusCode, b)
	}
	return strings.TrimSpace(string(b))
}

func TestEnrollThenRenew(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "alice")
	_, oldID := f.identity(t, c.ID)
	if err := f.db.VerifyIdentity(ctx, oldID); err != nil {
		t.Fatalf("enrolled identity not verified in NSS: %v", err)
	}
	if got := f.whoami(t, oldID); got != c.Serial {
		t.Fatalf("whoami %q, want %q", got, c.Serial)
	}

	var steps []engine.Step
	res, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID, Password: password}, func(s engine.Step) { steps = append(steps, s) })
	if err != nil {
		t.Fatalf("renew: %v", err)
	}
	want := []engine.Step{engine.StepKeygen, engine.StepCSR, engine.StepSubmit, engine.StepInstall, engine.StepVerify, engine.StepCleanup, engine.StepDone}
	if strings.Join(stepsStr(steps), ",") != strings.Join(stepsStr(want), ",") {
		t.Fatalf("steps %v, want %v", steps, want)
	}
	if res.OldSerial != c.Serial || res.Identity.Serial == c.Serial || res.Identity.ID != c.ID {
		t.Fatalf("result %+v (old %s)", res, c.Serial)
	}
	ent, newID := f.identity(t, c.ID)
	if newID.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(oldID.Key.Public()) {
		t.Fatal("renewal kept the old key")
	}
	if ent.Renewed.IsZero() {
		t.Fatal("entry not marked renewed")
	}
	// The portal took the confirmation, so the host knows it has the
	// lookup of a lost answer: a bare 404 from it will not undo a renewal.
	if ent.Unconfirmed || !ent.HasLookup {
		t.Fatalf("after renewal: unconfirmed %v, portal has lookup %v", ent.Unconfirmed, ent.HasLookup)
	}
	f.assertReplaced(t, oldID, newID, res.Identity.Serial)
	list, err := f.eng.List(ctx)
	if err != nil || len(list) != 1 || list[0].Serial != res.Identity.Serial {
		t.Fatalf("list after renew: %+v %v", list, err)
	}
	assertNoJournal(t, f)
	assertLogClean(t, f, password)
}

func TestRenewFailuresChangeNothing(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "bob")
	_, oldID := f.identity(t, c.ID)
	keysBefore, _ := f.keys.List(ctx)

	cases := []struct {
		name  string
		setup func()
		pw    string
		code  errcode.Code
	}{
		{"wrong password", func() {}, "not the password", errcode.BadPassword},
		{"reissue denied", func() { f.portal.SetReissue(t, "bob", false) }, password, errcode.ReissueNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			_, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID, Password: tc.pw}, nil)
			if err == nil {
				t.Fatal("renew succeeded")
			}
			if got := wire.Error(err, "en").Code; got != tc.code {
				t.Fatalf("code %s, want %s (%v)", got, tc.code, err)
			}
			if err := f.db.VerifyIdentity(ctx, oldID); err != nil {
				t.Fatalf("old identity damaged: %v", err)
			}
			if got := f.whoami(t, oldID); got != c.Serial {
				t.Fatalf("old cert no longer works: %s", got)
			}
			keys, _ := f.keys.List(ctx)
			if len(keys) != len(keysBefore) {
				t.Fatalf("keys %v, before %v: new key left behind", keys, keysBefore)
			}
			assertNoJournal(t, f)
		})
	}
	assertLogClean(t, f, "not the password")
}

func TestRenewUnknownAndUnreachable(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: "nope", Password: password}, nil); wire.Error(err, "").Code != errcode.CertNotFound {
		t.Fatalf("unknown id: %v", err)
	}
	// A portal that is not there: enrollment fails cleanly.
	_, err := f.eng.Enroll(ctx, engine.EnrollRequest{Portal: "https://127.0.0.1:1", User: "x", Password: "y", Invitation: "z"}, nil)
	if wire.Error(err, "").Code != errcode.ServerUnreachable {
		t.Fatalf("unreachable portal: %v", err)
	}
	list, _ := f.eng.List(ctx)
	if len(list) != 0 {
		t.Fatalf("failed enroll left %v", list)
	}
	keys, _ := f.keys.List(ctx)
	if len(keys) != 0 {
		t.Fatalf("failed enroll left keys %v", keys)
	}
}

func TestEnrollUntrustedPortal(t *testing.T) {
	f := setup(t)
	f.portal.AddUser(t, "carol", password)
	code := f.portal.Invite(t, "carol")
	c := f.config(t)
	c.Roots = x509.NewCertPool()
	eng := engine.New(c)
	_, err := eng.Enroll(context.Background(), engine.EnrollRequest{Portal: f.portal.URL, User: "carol", Password: password, Invitation: code}, nil)
	if wire.Error(err, "").Code != errcode.ServerUntrusted {
		t.Fatalf("untrusted portal: %v", err)
	}
}

func stepsStr(s []engine.Step) []string {
	var out []string
	for _, x := range s {
		out = append(out, strconv.Itoa(int(x)))
	}
	return out
}

func assertNoJournal(t *testing.T, f *fixture) {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(f.dir, "state", "journal"))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			t.Fatalf("journal left behind: %s", e.Name())
		}
	}
}

func assertLogClean(t *testing.T, f *fixture, secrets ...string) {
	t.Helper()
	b, err := os.ReadFile(f.log)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		t.Fatal("host log is empty: the secret check would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Fatalf("log contains a secret")
		}
	}
	if strings.Contains(string(b), "PRIVATE KEY") {
		t.Fatal("log contains key material")
	}
}

var _ = est.PathPrefix

// assertReplaced checks that newID, with the certificate serial, is in the
// store and is what the portal sees over mutual TLS, and that oldID's
// certificate and key are gone.
func (f *fixture) assertReplaced(t *testing.T, oldID, newID store.Identity, serial string) {
	t.Helper()
	ctx := context.Background()
	if err := f.db.VerifyIdentity(ctx, newID); err != nil {
		t.Fatalf("new identity: %v", err)
	}
	if has, _ := f.db.HasCert(ctx, oldID); has {
		t.Fatal("old certificate still in NSS")
	}
	if _, err := f.keys.Open(ctx, oldID.Key.URI()); !errors.Is(err, hsm.ErrNotFound) {
		t.Fatalf("old key still in the backend: %v", err)
	}
	if got := f.whoami(t, newID); got != serial {
		t.Fatalf("whoami %q, want new serial %q", got, serial)
	}
}
