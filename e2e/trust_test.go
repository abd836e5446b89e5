package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/chromedp/chromedp"
)

// TestPortalCANotTrustedForServers is issue 11's first finding, attacked as
// before: after enrollment the portal's root must not make an HTTPS site for
// another name, with a certificate from the portal's CA, trusted. NSS's own
// verifier (vfychain) rejects that certificate for SSL server use while it
// accepts the client certificate for SSL client use; headless Chromium
// refuses the site (ERR_CERT_AUTHORITY_INVALID) and still presents the
// client certificate to the portal. Then the organisation's explicit
// opt-in, the extension's managed policy serverTrustCAs naming the root's
// fingerprint, reaches the host with an enrollment and does make the root
// a server anchor: vfychain and a restarted Chromium accept the site, which
// shows the refusal above is the trust scope and not something else.
func TestPortalCANotTrustedForServers(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util", "vfychain")
	p, code := alicePortal(t)
	p.AddUser(t, "bob", password)
	code2 := p.Invite(t, "bob")
	autoSelectPolicy(t, p.URL)
	managedPolicy(t, map[string]any{"serverTrustCAs": []string{engine.Fingerprint(p.CA.Root)}})

	// A phishing site's server certificate, issued by the portal's CA (as
	// anyone holding its key can) for another name.
	evilCert, err := p.CA.ServerCert("evil.test")
	if err != nil {
		t.Fatal(err)
	}
	evil := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "evil")
	}))
	evil.TLS = &tls.Config{Certificates: []tls.Certificate{evilCert}}
	evil.StartTLS()
	t.Cleanup(evil.Close)
	evilURL := fmt.Sprintf("https://evil.test:%d/", evil.Listener.Addr().(*net.TCPAddr).Port)
	resolve := "host-resolver-rules=MAP evil.test 127.0.0.1"

	u := newUser(t)
	u.installPortal(t, p)
	out := u.enroll(t, p, code)
	serial := jsonField(t, out, "serial")
	view := u.nss(t)
	view.trustsRoot(t)
	const sslClient, sslServer = "0", "1"
	if ok, out := u.vfychain(t, sslClient, view.clients[0]); !ok {
		t.Fatalf("NSS rejects the enrolled client certificate for SSL client use:\n%s", out)
	}
	if ok, out := u.vfychain(t, sslServer, evilCert.Leaf); ok {
		t.Fatalf("NSS accepts a server certificate for evil.test from the portal's CA:\n%s", out)
	}

	browser := u.browserLangEnvFlags(t, "en", nil, []string{resolve})
	ctx, cancel := tab(t, browser)
	err = chromedp.Do(ctx, chromedp.Navigate(evilURL))
	cancel()
	if err == nil || !strings.Contains(err.Error(), "ERR_CERT_AUTHORITY_INVALID") {
		t.Fatalf("Chromium on %s: %v, want ERR_CERT_AUTHORITY_INVALID", evilURL, err)
	}
	if got := whoami(t, browser, p.URL); got != serial {
		t.Fatalf("Chromium presented serial %q to the portal, want %q", got, serial)
	}

	// The opt-in: an enrollment through the extension carries the managed
	// serverTrustCAs to the host.
	ectx, closeE := openExt(t, browser, "popup.html")
	reply := eval[string](t, ectx, "enroll through the worker", `new Promise((resolve) => {
  const port = chrome.runtime.connect({name: "ui"});
  port.onMessage.addListener((m) => {
    if (m.kind === "reply" && m.reply.id === "t-trust" && m.reply.type !== "progress") resolve(JSON.stringify(m.reply));
  });
  port.postMessage({kind: "request", request: {id: "t-trust", command: "enroll", params: {portal: "`+p.URL+`", user: "bob", password: "`+password+`", invitation: "`+code2+`"}}});
})`)
	closeE()
	var r struct{ Error json.RawMessage }
	if err := json.Unmarshal([]byte(reply), &r); err != nil || r.Error != nil {
		t.Fatalf("enroll through the extension: %s", reply)
	}
	if ok, out := u.vfychain(t, sslServer, evilCert.Leaf); !ok {
		t.Fatalf("with the managed policy naming the root NSS still rejects the server certificate:\n%s", out)
	}
	if err := chromedp.Cancel(browser); err != nil {
		t.Fatal(err)
	}
	browser = u.browserLangEnvFlags(t, "en", nil, []string{resolve})
	ctx, cancel = tab(t, browser)
	defer cancel()
	run(t, ctx, "evil.test with the opt-in", chromedp.Navigate(evilURL))
	if got := strings.TrimSpace(text(t, ctx, "body")); got != "evil" {
		t.Fatalf("evil.test page %q", got)
	}
}

// vfychain runs NSS's verifier on c in u's NSS database for usage (0 SSL
// client, 1 SSL server) and reports whether the chain is good.
func (u *user) vfychain(t *testing.T, usage string, c *x509.Certificate) (bool, string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("vfychain", "-d", "sql:"+filepath.Join(u.home, ".pki", "nssdb"), "-u", usage, "-a", f).CombinedOutput()
	good := strings.Contains(string(out), "Chain is good!")
	if good != (err == nil) {
		t.Fatalf("vfychain: exit %v but output:\n%s", err, out)
	}
	return good, string(out)
}

// TestUntrustServerCA: what the demo does and undoes. `install
// --server-trust-ca` makes the portal's root an anchor for TLS servers at
// enrollment (NSS's vfychain accepts a server certificate it issued);
// `untrust --server-trust-ca` takes that away again (vfychain refuses it)
// while the enrolled client certificate still verifies for SSL client use,
// and `untrust --portal-ca` forgets the portal CA the host kept. Running
// it twice changes nothing more.
func TestUntrustServerCA(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util", "vfychain")
	p, code := alicePortal(t)
	root := filepath.Join(p.Dir, "ca", "root.pem")
	u := newUser(t)
	u.host(t, "", "install", "--portal-ca", root, "--server-trust-ca", root)
	u.enroll(t, p, code)
	server, err := p.CA.ServerCert("intranet.test")
	if err != nil {
		t.Fatal(err)
	}
	const sslClient, sslServer = "0", "1"
	if ok, out := u.vfychain(t, sslServer, server.Leaf); !ok {
		t.Fatalf("after install --server-trust-ca and enrollment NSS rejects a server certificate of the CA:\n%s", out)
	}

	out := u.host(t, "", "untrust", "--portal-ca", root, "--server-trust-ca", root)
	fp := engine.Fingerprint(p.CA.Root)
	if !strings.Contains(out, "no longer trusting portal CA") || !strings.Contains(out, "CA no longer trusted for TLS servers: sha256 "+fp) {
		t.Fatalf("untrust said:\n%s", out)
	}
	if ok, out := u.vfychain(t, sslServer, server.Leaf); ok {
		t.Fatalf("after untrust NSS still accepts a server certificate of the CA:\n%s", out)
	}
	view := u.nss(t)
	if ok, out := u.vfychain(t, sslClient, view.clients[0]); !ok {
		t.Fatalf("after untrust NSS rejects the enrolled client certificate for SSL client use:\n%s", out)
	}
	if again := u.host(t, "", "untrust", "--portal-ca", root, "--server-trust-ca", root); strings.Contains(again, "no longer") {
		t.Fatalf("untrust a second time changed something:\n%s", again)
	}
}
