package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFirefoxPresentsSoftwareKey: a certificate enrolled and renewed from
// Firefox has a software key, which lives in ~/.pki/nssdb (the database
// Chromium reads, not Firefox's profile). The host registers that database
// read-only in the Firefox profile when it starts, so after a restart
// Firefox itself completes a client-certificate request to the portal's
// /mtls/whoami with the renewed certificate.
func TestFirefoxPresentsSoftwareKey(t *testing.T) {
	u, p, code := firefoxUser(t)
	// The profile u.firefox uses, listed in profiles.ini as Firefox's
	// profile manager lists it: that is where the host finds it.
	profile := filepath.Join(u.home, "ff-profile")
	ffRoot := filepath.Join(u.home, ".mozilla", "firefox")
	os.MkdirAll(ffRoot, 0o700)
	ini := "[Profile0]\nName=default-esr\nIsRelative=0\nPath=" + profile + "\nDefault=1\n"
	if err := os.WriteFile(filepath.Join(ffRoot, "profiles.ini"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}

	ff := u.firefox(t, "en")
	_, serial2 := ffEnrollAndRenew(t, u, ff, p.URL, code, "en")
	ff.stop()

	// The key is a software key in ~/.pki/nssdb, not in the profile.
	nssdb := "sql:" + filepath.Join(u.home, ".pki", "nssdb")
	if out, err := exec.Command("certutil", "-K", "-d", nssdb).CombinedOutput(); err != nil || !strings.Contains(string(out), "< 0>") {
		t.Fatalf("no software key in ~/.pki/nssdb: %v\n%s", err, out)
	}
	if out, _ := exec.Command("certutil", "-K", "-d", "sql:"+profile).CombinedOutput(); strings.Contains(string(out), "< 0>") {
		t.Fatalf("the key was copied into the Firefox profile:\n%s", out)
	}

	// doctor says so for the profile.
	out := u.host(t, "", "doctor")
	if !slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool {
		return strings.Contains(l, profile) && strings.HasSuffix(strings.TrimSpace(l), "Firefox profile, software keys shared")
	}) {
		t.Fatalf("doctor does not show the profile sharing the software keys:\n%s", out)
	}

	ff = u.firefox(t, "en", `user_pref("security.default_personal_cert", "Select Automatically");`)
	ff.navigate(p.URL + "/mtls/whoami")
	raw, err := ff.eval(`document.body ? document.body.textContent.trim() : ""`)
	var got string
	json.Unmarshal([]byte(raw), &got)
	if err != nil || got != serial2 {
		t.Fatalf("Firefox presented %q (%v), want the renewed serial %s", got, err, serial2)
	}
	ff.shot("ff-en-06-softkey-whoami")
	t.Logf("Firefox presented the renewed software-key certificate %s", got)
}
