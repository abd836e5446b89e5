package nss

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/internal/nsstest"
	"github.com/certrenew/certrenew/internal/testenv"
)

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
