package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

const androidUA = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"

var (
	passwordRE  = regexp.MustCompile(`id="password">([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})<`)
	challengeRE = regexp.MustCompile(`name="challenge" value="([A-Z2-7]{32})"`)
)

func startAndroid(t *testing.T, enabled bool) (*portaltest.Portal, string) {
	t.Helper()
	p := portaltest.StartWith(t, portaltest.Options{ServerKeygen: enabled})
	p.AddUser(t, alice, alicePw)
	return p, enroll(t, p).SerialNumber.Text(16)
}

// Off by default: no button, no endpoint.
func TestAndroidOffByDefault(t *testing.T) {
	p, serial := startAndroid(t, false)
	b := newClient(t, p)
	b.login(alice, alicePw)
	_, page := b.mobileSend("GET", "/m", androidUA, "", "en", nil)
	if bytes.Contains(page, []byte("/m/android")) {
		t.Fatal("Android download offered by a tenant that did not enable it")
	}
	resp, _ := b.mobileSend("POST", "/m/android", androidUA, p.URL, "en", url.Values{"csrf": {csrfOf(t, string(page))}, "serial": {serial}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /m/android on a tenant without it: %d", resp.StatusCode)
	}
}

// Enabled: the page says the key is not hardware-bound; the password is
// shown once; the PKCS#12 opens with OpenSSL and that password and holds
// a key matching its certificate, which is the re-issue in the user's
// history; the download works once; nothing secret is logged.
func TestServerKeygen(t *testing.T) {
	openssl := testenv.Need(t, "openssl")[0]
	p, serial := startAndroid(t, true)
	b := newClient(t, p)
	b.login(alice, alicePw)
	_, ja := b.mobileSend("GET", "/m", androidUA, "", "ja", nil)
	for _, want := range []string{"Android 用にダウンロード", "ハードウェアに結び付いていません"} {
		if !bytes.Contains(ja, []byte(want)) {
			t.Errorf("ja page lacks %q", want)
		}
	}
	_, page := b.mobileSend("GET", "/m", androidUA, "", "en", nil)
	if !bytes.Contains(page, []byte("not hardware-bound")) {
		t.Error("en page does not say the key is not hardware-bound")
	}
	csrf := csrfOf(t, string(page))
	resp, _ := b.mobileSend("POST", "/m/android", androidUA, "https://evil.example", "en", url.Values{"csrf": {csrf}, "serial": {serial}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("prepare from another origin: %d", resp.StatusCode)
	}
	resp, prep := b.mobileSend("POST", "/m/android", androidUA, p.URL, "en", url.Values{"csrf": {csrf}, "serial": {serial}})
	pw, ch := passwordRE.FindSubmatch(prep), challengeRE.FindSubmatch(prep)
	if resp.StatusCode != 200 || pw == nil || ch == nil || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("prepare: %d, password shown: %v", resp.StatusCode, pw != nil)
	}
	dl := url.Values{"csrf": {csrf}, "serial": {serial}, "challenge": {string(ch[1])}}
	resp, _ = b.mobileSend("POST", "/m/android/download", androidUA, p.URL, "en", url.Values{"serial": {serial}, "challenge": {string(ch[1])}})
	if resp.StatusCode == 200 {
		t.Fatal("download without the CSRF token")
	}
	resp, p12 := b.mobileSend("POST", "/m/android/download", androidUA, p.URL, "en", dl)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-pkcs12" {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "a.p12")
	os.WriteFile(file, p12, 0o600)
	ossl := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %v: %v\n%s", args[0], err, out)
		}
		return out
	}
	if _, err := exec.Command(openssl, "pkcs12", "-in", file, "-passin", "pass:WRONG-PASS-WORD-XXXX", "-nodes", "-out", filepath.Join(dir, "x")).CombinedOutput(); err == nil {
		t.Fatal("the PKCS#12 opens with a wrong password")
	}
	ossl("pkcs12", "-in", file, "-passin", "pass:"+string(pw[1]), "-nodes", "-nocerts", "-out", filepath.Join(dir, "key.pem"))
	ossl("pkcs12", "-in", file, "-passin", "pass:"+string(pw[1]), "-clcerts", "-nokeys", "-out", filepath.Join(dir, "cert.pem"))
	keyPub := ossl("pkey", "-in", filepath.Join(dir, "key.pem"), "-pubout")
	certPub := ossl("x509", "-in", filepath.Join(dir, "cert.pem"), "-noout", "-pubkey")
	if !bytes.Equal(keyPub, certPub) {
		t.Fatal("the PKCS#12's key does not match its certificate")
	}
	subject := ossl("x509", "-in", filepath.Join(dir, "cert.pem"), "-noout", "-subject", "-serial")
	if !bytes.Contains(subject, []byte("CN=alice")) && !bytes.Contains(subject, []byte("CN = alice")) {
		t.Fatalf("subject: %s", subject)
	}
	if cas := ossl("pkcs12", "-in", file, "-passin", "pass:"+string(pw[1]), "-cacerts", "-nokeys"); bytes.Contains(cas, []byte("BEGIN CERTIFICATE")) {
		t.Fatal("the PKCS#12 carries CA certificates (Android would trust them)")
	}
	// Two certificates issued within a second: the history's order
	// between them is not fixed, so find the new one by what it replaces.
	certs, _ := p.Store.Certs(context.Background(), alice)
	var succ []store.Cert
	for _, c := range certs {
		if c.Replaces == serial && c.Status == store.StatusActive {
			succ = append(succ, c)
		}
	}
	if len(certs) != 2 || len(succ) != 1 {
		t.Fatalf("history of %d certificates, %d active successors of %s", len(certs), len(succ), serial)
	}
	resp, _ = b.mobileSend("POST", "/m/android/download", androidUA, p.URL, "en", dl)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/m?err=m_download_spent" {
		t.Fatalf("second download: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	logged, _ := os.ReadFile(p.LogPath)
	if bytes.Contains(logged, pw[1]) || bytes.Contains(logged, ch[1]) {
		t.Fatal("password or challenge in the log")
	}
}
