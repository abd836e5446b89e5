package main

import (
	"crypto/x509"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
	"howett.net/plist"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/scep/sceptest"
)

// independentPlist is what Python's plistlib (an independent parser) reads
// from the profile: JSON with data as hex.
const independentPlist = `
import json, plistlib, sys
def conv(v):
    if isinstance(v, bytes): return v.hex()
    if isinstance(v, dict): return {k: conv(x) for k, x in v.items()}
    if isinstance(v, list): return [conv(x) for x in v]
    return v
json.dump(conv(plistlib.load(open(sys.argv[1], "rb"))), sys.stdout)
`

type payload struct {
	PayloadType, PayloadIdentifier, PayloadUUID string
	PayloadScope                                string
	PayloadContent                              any
}

// TestProfileEnrollsOverSCEP: `profile` writes a profile that OpenSSL
// verifies as signed under the portal's root and Python's plistlib reads;
// the SCEP enrollment it describes, with its challenge, gets a
// certificate from the running `serve`, once; the next profile for the
// lineage has the same identifiers and a new challenge; no challenge is
// logged.
func TestProfileEnrollsOverSCEP(t *testing.T) {
	tools := testenv.Need(t, "openssl", "python3", "scepclient")
	bin := buildBinary(t)
	data := t.TempDir()
	cli := portalCLI{t, bin, data}
	serve := startServe(t, bin, "serve", "--listen", "127.0.0.1:0", "--data", data)
	const pw = "erin-password-1"
	cli.must(pw+"\n", "user", "add", "erin", "--password-stdin")
	code := strings.TrimSpace(cli.must("", "invite", "create", "--user", "erin"))
	rootPath := strings.TrimSpace(cli.must("", "ca", "path"))
	rootPEM, _ := os.ReadFile(rootPath)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	client, status, body := estEnroll(t, serve.url, roots, "erin", pw, code)
	certs, err := portaltest.ParseCertsOnly(body)
	if status != 200 || err != nil {
		t.Fatalf("enroll: %d %s", status, body)
	}
	serial := certs[0].SerialNumber.Text(16)

	if _, err := cli.run("", "profile", "--user", "erin", "--platform", "android"); err == nil {
		t.Fatal("profile for an unknown platform")
	}
	// One profile: OpenSSL verifies it, plistlib reads it.
	read := func(platform string, extra ...string) (map[string]any, []payload, []byte) {
		t.Helper()
		der := cli.must("", append([]string{"profile", "--user", "erin", "--platform", platform}, extra...)...)
		file := filepath.Join(t.TempDir(), "p.mobileconfig")
		if err := os.WriteFile(file, []byte(der), 0o600); err != nil {
			t.Fatal(err)
		}
		out := file + ".plist"
		if b, err := exec.Command(tools[0], "smime", "-verify", "-inform", "DER", "-in", file, "-CAfile", rootPath, "-purpose", "any", "-out", out).CombinedOutput(); err != nil {
			t.Fatalf("openssl does not verify the profile: %v\n%s", err, b)
		}
		js, err := exec.Command(tools[1], "-c", independentPlist, out).Output()
		if err != nil {
			t.Fatalf("plistlib: %v", err)
		}
		var top map[string]any
		if err := json.Unmarshal(js, &top); err != nil {
			t.Fatal(err)
		}
		// The same through this module's parsers, verified against the
		// root alone.
		p7, err := pkcs7.Parse([]byte(der))
		if err != nil {
			t.Fatal(err)
		}
		if err := p7.VerifyWithChain(roots); err != nil {
			t.Fatalf("signature: %v", err)
		}
		var doc struct{ PayloadContent []payload }
		if _, err := plist.Unmarshal(p7.Content, &doc); err != nil {
			t.Fatal(err)
		}
		return top, doc.PayloadContent, p7.Content
	}
	top, payloads, _ := read("ios")
	if top["PayloadType"] != "Configuration" || top["PayloadScope"] != nil {
		t.Fatalf("iOS profile top level: %v", top)
	}
	var scepCfg map[string]any
	var types []string
	for _, p := range top["PayloadContent"].([]any) {
		m := p.(map[string]any)
		types = append(types, m["PayloadType"].(string))
		if m["PayloadType"] == "com.apple.security.scep" {
			scepCfg = m["PayloadContent"].(map[string]any)
		}
	}
	if strings.Join(types, " ") != "com.apple.security.pkcs1 com.apple.security.pkcs1 com.apple.security.scep" || len(payloads) != 3 {
		t.Fatalf("payloads %v: want the two CA certificates, untrusted, and SCEP", types)
	}
	ch, _ := scepCfg["Challenge"].(string)
	if scepCfg["URL"] != serve.url+"/scep" || ch == "" || scepCfg["KeyIsExtractable"] != false ||
		scepCfg["Key Type"] != "RSA" || scepCfg["Keysize"] != float64(2048) {
		t.Fatalf("SCEP payload %v", scepCfg)
	}
	subj, _ := json.Marshal(scepCfg["Subject"])
	if string(subj) != `[[["CN","erin"]]]` {
		t.Fatalf("subject %s", subj)
	}
	// The device: an independent SCEP client (Debian's scepclient) makes its
	// own key and enrolls with the URL and challenge from the profile, once.
	dc := sceptest.DebianClient{Bin: tools[2], URL: scepCfg["URL"].(string), RootPEM: rootPath, HTTP: client}
	cert, devKey, out, err := dc.Enroll(t.TempDir(), ch, "erin")
	if err != nil {
		t.Fatalf("scepclient with the profile's challenge: %v\n%s", err, out)
	}
	if cert.Subject.CommonName != "erin" || !devKey.PublicKey.Equal(cert.PublicKey) {
		t.Fatalf("issued %q", cert.Subject)
	}
	if _, _, out, err := dc.Enroll(t.TempDir(), ch, "erin"); err == nil || !strings.Contains(out, "badMessageCheck") {
		t.Fatalf("the profile's challenge enrolled twice: %v\n%s", err, out)
	}
	list := cli.must("", "cert", "list", "--user", "erin")
	if !strings.Contains(list, cert.SerialNumber.Text(16)) || !strings.Contains(list, serial) {
		t.Fatalf("history lacks the SCEP certificate:\n%s", list)
	}

	// The next profile (for the SCEP certificate now): same identifiers,
	// so it replaces the installed one; a new challenge.
	top2, _, _ := read("ios")
	if top2["PayloadIdentifier"] != top["PayloadIdentifier"] || top2["PayloadUUID"] != top["PayloadUUID"] {
		t.Fatalf("identifiers changed across a re-issue: %v %v / %v %v", top["PayloadIdentifier"], top["PayloadUUID"], top2["PayloadIdentifier"], top2["PayloadUUID"])
	}
	for _, p := range top2["PayloadContent"].([]any) {
		if m := p.(map[string]any); m["PayloadType"] == "com.apple.security.scep" && m["PayloadContent"].(map[string]any)["Challenge"] == ch {
			t.Fatal("the same challenge twice")
		}
	}
	// macOS: the user's keychain; the root as a trusted root only when the
	// organisation names it.
	mac, _, _ := read("macos", "--server-trust-ca", sha(t, rootPath))
	if mac["PayloadScope"] != "User" {
		t.Fatalf("macOS profile scope %v", mac["PayloadScope"])
	}
	var macTypes []string
	for _, p := range mac["PayloadContent"].([]any) {
		macTypes = append(macTypes, p.(map[string]any)["PayloadType"].(string))
	}
	if strings.Join(macTypes, " ") != "com.apple.security.pkcs1 com.apple.security.root com.apple.security.scep" {
		t.Fatalf("opted-in root: payloads %v", macTypes)
	}

	log, _ := os.ReadFile(filepath.Join(data, "portal.log"))
	if strings.Contains(string(log), ch) {
		t.Fatal("the challenge is in the log")
	}
	if !strings.Contains(string(log), "configuration profile made") {
		t.Fatal("log lacks the profile")
	}
}
