package nss

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/pkcs11"
	"github.com/certrenew/certrenew/internal/nsstest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/internal/testpki"
)

// TestTokenKeyReachesFirefoxProfile: a SoftHSM2 key installed into
// ~/.pki/nssdb also has its module registered in the user's Firefox profile
// (a real NSS database, as Firefox makes it), and NSS's TLS client working
// on that profile database alone presents the token's certificate.
func TestTokenKeyReachesFirefoxProfile(t *testing.T) {
	testenv.Need(t, "certutil", "modutil", "tstclnt")
	s := hsmtest.NewSoftHSM(t)
	be := pkcs11.New(pkcs11.Config{Module: s.Module, Token: s.Label})
	defer be.Close()
	bg := context.Background()
	ctx := hsm.WithPIN(bg, s.PIN)
	k, err := be.Generate(ctx, hsm.GenerateRequest{Label: "firefox"})
	if err != nil {
		t.Fatal(err)
	}
	ca := testpki.NewRoot(t, "Firefox test CA")
	cert := ca.Issue(t, "alice", k.Public())

	home := t.TempDir()
	ffRoot, profile := firefoxProfile(t, home, "t3st.default-release")

	db := openDB(t, filepath.Join(home, ".pki", "nssdb"))
	db.Shared = FirefoxProfiles(home)
	if !reflect.DeepEqual(db.Shared, []string{profile}) {
		t.Fatalf("Firefox profiles %q, want %q", db.Shared, profile)
	}
	var sharedErrs []string
	db.OnSharedError = func(dir string, err error) { sharedErrs = append(sharedErrs, dir+": "+err.Error()) }
	if err := db.AddTrustAnchors(bg, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.InstallIdentity(ctx, store.Identity{Nickname: "alice", Cert: cert, Key: k}); err != nil {
		t.Fatal(err)
	}
	if len(sharedErrs) > 0 {
		t.Fatalf("registering in the profile failed: %q", sharedErrs)
	}
	txt, err := os.ReadFile(filepath.Join(profile, "pkcs11.txt"))
	if err != nil || !strings.Contains(string(txt), "library="+s.Module) {
		t.Fatalf("the profile's pkcs11.txt does not load %s (%v):\n%s", s.Module, err, txt)
	}

	srv := serialServer(t)
	got := nsstest.Get(t, profile, s.Label+":alice", srv.URL+"/", "-w", s.PIN, "-o")
	if want := fmt.Sprintf("%x", cert.SerialNumber); got != want {
		t.Errorf("the profile presented %q, want serial %s", got, want)
	}

	// A profile made afterwards gets the module when the host next starts
	// (ShareModules), and only certrenew's modules are shared.
	later := newProfileDB(t, filepath.Join(ffRoot, "l4ter.work"))
	if err := os.WriteFile(filepath.Join(ffRoot, "profiles.ini"), []byte("[Profile0]\nPath=t3st.default-release\n[Profile1]\nPath=l4ter.work\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db2, err := OpenTools(bg, db.Dir)
	if err != nil {
		t.Fatal(err)
	}
	db2.Shared = FirefoxProfiles(home)
	db2.OnSharedError = db.OnSharedError
	db2.ShareModules(bg)
	if len(sharedErrs) > 0 {
		t.Fatalf("sharing modules failed: %q", sharedErrs)
	}
	txt, _ = os.ReadFile(filepath.Join(later, "pkcs11.txt"))
	var libs []string
	for _, m := range ParseModules(txt) {
		libs = append(libs, m.Library)
	}
	if want := []string{"", s.Module}; !reflect.DeepEqual(libs, want) {
		t.Errorf("the later profile loads %q, want %q", libs, want)
	}
}

// TestSoftKeyReachesFirefoxProfile: a certificate whose key is a software
// key in ~/.pki/nssdb is reached from a Firefox profile's database once the
// shared database is registered there (ShareSoftKeys): NSS's TLS client
// working on the profile database alone presents it. Registering again
// changes nothing, and the profile cannot write the shared database.
func TestSoftKeyReachesFirefoxProfile(t *testing.T) {
	testenv.Need(t, "certutil", "modutil", "tstclnt")
	hsmtest.NeedSoftokn(t)
	bg := context.Background()
	home := t.TempDir()
	shared := newProfileDB(t, filepath.Join(home, ".pki", "nssdb"))
	noise := filepath.Join(home, "noise")
	os.WriteFile(noise, []byte(strings.Repeat("certrenew noise ", 4)), 0o600)
	if out, err := exec.Command("certutil", "-S", "-d", "sql:"+shared, "-n", "soft", "-s", "CN=alice", "-x",
		"-t", "u,u,u", "-k", "ec", "-q", "nistp256", "-z", noise, "-m", "4711", "-v", "12").CombinedOutput(); err != nil {
		t.Fatalf("certutil -S: %v %s", err, out)
	}
	_, profile := firefoxProfile(t, home, "s0ft.default-release")

	db, err := OpenTools(bg, shared)
	if err != nil {
		t.Fatal(err)
	}
	db.Shared = FirefoxProfiles(home)
	var sharedErrs []string
	if SharesSoftKeys(profile) {
		t.Fatal("a new profile already shares the software keys")
	}
	db.OnSharedError = func(dir string, err error) { sharedErrs = append(sharedErrs, dir+": "+err.Error()) }
	lib := filepath.Join(home, "certrenew", "lib")
	for range 2 {
		if err := db.ShareSoftKeys(bg, lib); err != nil {
			t.Fatal(err)
		}
	}
	if len(sharedErrs) > 0 {
		t.Fatalf("sharing the database failed: %q", sharedErrs)
	}
	if !SharesSoftKeys(profile) || SharesSoftKeys(shared) {
		t.Errorf("SharesSoftKeys: profile %v, ~/.pki/nssdb %v; want true, false", SharesSoftKeys(profile), SharesSoftKeys(shared))
	}
	txt, _ := os.ReadFile(filepath.Join(profile, "pkcs11.txt"))
	if n := strings.Count(string(txt), "library="+SharedSoftoknLib(lib)); n != 1 {
		t.Fatalf("the profile loads the shared database %d times, want once:\n%s", n, txt)
	}

	srv := serialServer(t)
	if got := nsstest.Get(t, profile, SharedTokenName+":soft", srv.URL+"/", "-o"); got != fmt.Sprintf("%x", 4711) {
		t.Errorf("the profile presented serial %q, want %x", got, 4711)
	}

	// Read-only: deleting through the profile fails, the certificate stays.
	if out, err := exec.Command("certutil", "-D", "-d", "sql:"+profile, "-n", SharedTokenName+":soft").CombinedOutput(); err == nil {
		t.Errorf("the profile deleted the shared certificate: %s", out)
	}
	if out, err := exec.Command("certutil", "-L", "-d", "sql:"+shared, "-n", "soft").CombinedOutput(); err != nil {
		t.Errorf("the shared certificate is gone: %v %s", err, out)
	}
}

// newProfileDB makes dir with an empty NSS database in it, as Firefox does
// when it first starts a profile, and returns dir.
func newProfileDB(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("certutil", "-N", "-d", "sql:"+dir, "--empty-password").CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v %s", err, out)
	}
	return dir
}

// firefoxProfile makes a Firefox profile named name under home, listed in
// profiles.ini as Firefox lists it, and returns the Firefox folder and the
// profile's folder.
func firefoxProfile(t *testing.T, home, name string) (ffRoot, profile string) {
	t.Helper()
	ffRoot = filepath.Join(home, ".mozilla", "firefox")
	profile = newProfileDB(t, filepath.Join(ffRoot, name))
	ini := "[Profile0]\nName=default-release\nIsRelative=1\nPath=" + name + "\n"
	if err := os.WriteFile(filepath.Join(ffRoot, "profiles.ini"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	return ffRoot, profile
}

// serialServer is a TLS server on loopback that requires a client
// certificate and answers its serial number in hex.
func serialServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%x", r.TLS.PeerCertificates[0].SerialNumber)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}
