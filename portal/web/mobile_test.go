package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509/pkix"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
	"howett.net/plist"

	"github.com/certrenew/certrenew/portal/scep/sceptest"
	"github.com/certrenew/certrenew/portal/store"
)

const (
	iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
	linuxUA  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)

// mobileSend is one request of a phone's browser: User-Agent ua, Origin
// origin on a POST (a browser always sends one), redirects not followed.
func (b *browserish) mobileSend(method, path, ua, origin, lang string, form url.Values) (*http.Response, []byte) {
	b.t.Helper()
	return b.sendThrough(b.noFollow(), ua, method, path, form, origin, lang)
}

// The mobile page: behind the login, in Japanese and English; on an
// iPhone it offers "Re-issue certificate" and says what the device will
// show; the button downloads a signed profile whose challenge enrolls over
// SCEP. Anywhere else it says the page is for Apple devices.
func TestMobilePage(t *testing.T) {
	p := startWithCert(t)
	serial := certSerial(t, p)
	b := newClient(t, p)
	resp, _ := b.mobileSend("GET", "/m", iPhoneUA, "", "", nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=%2Fm") {
		t.Fatalf("/m without login: %d %q", resp.StatusCode, loc)
	}
	if resp, _ := b.mobileSend("GET", "/certapps/login", iPhoneUA, "", "", nil); resp.Header.Get("Location") != "/m" {
		t.Fatalf("the seed's address does not lead to the mobile page: %q", resp.Header.Get("Location"))
	}
	if code, _ := b.login(alice, alicePw); code != 200 {
		t.Fatalf("login %d", code)
	}
	_, ja := b.mobileSend("GET", "/m", iPhoneUA, "", "ja", nil)
	for _, want := range []string{"証明書の再発行", "プロファイルがダウンロードされました", "パスコード", "古いプロファイルを先に削除する必要はありません", serial} {
		if !bytes.Contains(ja, []byte(want)) {
			t.Errorf("ja page lacks %q", want)
		}
	}
	_, en := b.mobileSend("GET", "/m", iPhoneUA, "", "en", nil)
	for _, want := range []string{"Re-issue certificate", "Profile Downloaded", "passcode", "do not need to delete the old profile", `value="ios" checked`} {
		if !bytes.Contains(en, []byte(want)) {
			t.Errorf("en page lacks %q", want)
		}
	}
	_, linux := b.mobileSend("GET", "/m", linuxUA, "", "en", nil)
	if bytes.Contains(linux, []byte(`action="/m/reissue"`)) || !bytes.Contains(linux, []byte("certrenew extension")) {
		t.Error("a desktop browser is offered a profile, or not told where to renew")
	}
	csrf := csrfOf(t, string(en))
	form := url.Values{"csrf": {csrf}, "serial": {serial}, "platform": {"ios"}}
	resp, der := b.mobileSend("POST", "/m/reissue", iPhoneUA, p.URL, "en", form)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-apple-aspen-config" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("re-issue: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := p7.VerifyWithChain(p.Roots); err != nil {
		t.Fatalf("profile signature: %v", err)
	}
	var doc struct {
		PayloadContent []struct {
			PayloadType    string
			PayloadContent any
		}
	}
	if _, err := plist.Unmarshal(p7.Content, &doc); err != nil {
		t.Fatal(err)
	}
	var ch, scepURL string
	for _, pl := range doc.PayloadContent {
		if pl.PayloadType == "com.apple.security.scep" {
			m := pl.PayloadContent.(map[string]any)
			ch, scepURL = m["Challenge"].(string), m["URL"].(string)
		}
	}
	if ch == "" || scepURL != p.URL+"/scep" {
		t.Fatalf("SCEP payload: %q", scepURL)
	}
	sceptest.Trust(p.Roots)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	cert, _, err := sceptest.Enroll(context.Background(), sceptest.Request{URL: scepURL, Challenge: ch, Subject: pkix.Name{CommonName: alice}, Key: key})
	if err != nil {
		t.Fatalf("SCEP with the downloaded profile: %v", err)
	}
	// The page lists the new certificate, the old one is renewed.
	_, en = b.mobileSend("GET", "/m", iPhoneUA, "", "en", nil)
	if !bytes.Contains(en, []byte(cert.SerialNumber.Text(16))) || bytes.Contains(en, []byte(">"+serial+"<")) {
		t.Fatal("page does not show the re-issued certificate in place of the old one")
	}
	logged, _ := os.ReadFile(p.LogPath)
	if bytes.Contains(logged, []byte(ch)) {
		t.Fatal("challenge in the log")
	}

}

// A hostile page cannot have a logged-in user's browser re-issue: a POST
// without the session's CSRF token, or from another origin, gets no
// profile; nor does one for another user's certificate, or without the
// re-issue permission (which the page then explains).
func TestMobileReissueRefusals(t *testing.T) {
	p := startWithCert(t)
	serial := certSerial(t, p)
	p.AddUser(t, "bob", "bob-secret-pw")
	b := newClient(t, p)
	b.login(alice, alicePw)
	_, page := b.mobileSend("GET", "/m", iPhoneUA, "", "en", nil)
	csrf := csrfOf(t, string(page))
	ok := url.Values{"csrf": {csrf}, "serial": {serial}, "platform": {"ios"}}
	noProfile := func(name string, resp *http.Response) {
		t.Helper()
		if resp.Header.Get("Content-Type") == "application/x-apple-aspen-config" || resp.StatusCode == 200 {
			t.Errorf("%s: got a profile (%d)", name, resp.StatusCode)
		}
	}
	noCSRF := url.Values{"serial": {serial}, "platform": {"ios"}}
	resp, _ := b.mobileSend("POST", "/m/reissue", iPhoneUA, p.URL, "en", noCSRF)
	noProfile("no CSRF token", resp)
	resp, _ = b.mobileSend("POST", "/m/reissue", iPhoneUA, "https://evil.example", "en", ok)
	noProfile("other origin", resp)
	bad := url.Values{"csrf": {csrf}, "serial": {serial}, "platform": {"android"}}
	resp, _ = b.mobileSend("POST", "/m/reissue", iPhoneUA, p.URL, "en", bad)
	noProfile("unknown platform", resp)

	// bob's session, alice's certificate.
	bb := newClient(t, p)
	bb.login("bob", "bob-secret-pw")
	_, bpage := bb.mobileSend("GET", "/m", iPhoneUA, "", "en", nil)
	resp, _ = bb.mobileSend("POST", "/m/reissue", iPhoneUA, p.URL, "en", url.Values{"csrf": {csrfOf(t, string(bpage))}, "serial": {serial}, "platform": {"ios"}})
	noProfile("another user's certificate", resp)

	p.SetReissue(t, alice, false)
	resp, _ = b.mobileSend("POST", "/m/reissue", iPhoneUA, p.URL, "en", ok)
	noProfile("re-issue not allowed", resp)
	loc := resp.Header.Get("Location")
	if loc != "/m?err=reissue_not_allowed" {
		t.Fatalf("refusal goes to %q", loc)
	}
	_, page = b.mobileSend("GET", loc, iPhoneUA, "", "en", nil)
	if !bytes.Contains(page, []byte(`id="error"`)) {
		t.Fatal("the page does not explain the refusal")
	}
	// Held to the hardware-attested policy, which no phone can meet: a
	// text of its own, not "re-issue not allowed".
	p.SetReissue(t, alice, true)
	p.SetHardwarePolicy(t, alice, store.HardwareAttested)
	resp, _ = b.mobileSend("POST", "/m/reissue", iPhoneUA, p.URL, "en", ok)
	noProfile("hardware-attested", resp)
	if loc := resp.Header.Get("Location"); loc != "/m?err=m_attestation_required" {
		t.Fatalf("hardware-attested refusal goes to %q", loc)
	}
	for lang, want := range map[string]string{"en": "A phone cannot prove that of its key", "ja": "スマートフォンは鍵についてそれを証明できない"} {
		_, page = b.mobileSend("GET", "/m?err=m_attestation_required", iPhoneUA, "", lang, nil)
		if !bytes.Contains(page, []byte(`id="error"`)) || !bytes.Contains(page, []byte(want)) {
			t.Fatalf("%s: the page does not explain the hardware-attested refusal", lang)
		}
	}
	p.SetHardwarePolicy(t, alice, store.HardwareAny)
	// The err= parameter shows only known keys.
	_, page = b.mobileSend("GET", "/m?err=%3Cscript%3E", iPhoneUA, "", "en", nil)
	if bytes.Contains(page, []byte(`id="error"`)) || bytes.Contains(page, []byte("<script>")) {
		t.Fatal("an unknown err= key is shown")
	}
	logged, _ := os.ReadFile(p.LogPath)
	if bytes.Contains(logged, []byte("configuration profile downloaded")) {
		t.Fatal("a refused request made a profile")
	}
}
