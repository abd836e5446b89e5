package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/chromedp/chromedp"
)

const extensionID = "eldgmgmbnpcjkkbgeakcomclligjhbkh"

var built struct {
	// front is what the manifests name and the browser starts
	// (certrenew-nm); host is certrenew-host beside it, also the CLI.
	host, front, extension string
	err                    error
	out                    []byte
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "certrenew-e2e")
	if err != nil {
		panic(err)
	}
	root, _ := filepath.Abs("..")
	built.host = filepath.Join(dir, "certrenew-host")
	built.front = filepath.Join(dir, "certrenew-nm")
	built.extension = filepath.Join(dir, "extension")
	cmd := exec.Command("go", "build", "-o", built.host, "./host/cmd/certrenew-host")
	cmd.Dir = root
	built.out, built.err = cmd.CombinedOutput()
	if built.err == nil {
		// The front the manifests name (what the browser starts), beside
		// the host, pure Go as build.sh builds it.
		cmd = exec.Command("go", "build", "-o", built.front, "./host/cmd/certrenew-nm")
		cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		built.out, built.err = cmd.CombinedOutput()
	}
	if built.err == nil {
		built.err = browsertest.BuildExtension(root, built.extension, []string{"CERTRENEW_PORTAL_MATCHES=" + portalMatches})
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// user is a throwaway desktop user: HOME holds the NSS DB (~/.pki/nssdb),
// the Chromium profile (~/.config/chromium) with the host's manifest, and
// certrenew's state.
type user struct {
	home  string
	state string
	env   []string
	// tlsPins are the SHA-256 hashes (base64) of the portals' TLS keys,
	// which Chromium accepts without a CA (see installPortal).
	tlsPins []string
}

func newUser(t *testing.T) *user {
	t.Helper()
	if built.err != nil {
		t.Fatalf("build: %v\n%s", built.err, built.out)
	}
	h := t.TempDir()
	u := &user{home: h, state: filepath.Join(h, "certrenew")}
	u.env = []string{"HOME=" + h, "CERTRENEW_HOME=" + u.state, "XDG_CONFIG_HOME=", "XDG_STATE_HOME="}
	return u
}

// inBothLanguages runs test as the subtests "en" and "ja", the UI's
// languages.
func inBothLanguages(t *testing.T, test func(t *testing.T, lang string)) {
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) { test(t, lang) })
	}
}

// alicePortal starts a portal with the user userID (password) and returns
// it with an invitation code for her.
func alicePortal(t *testing.T) (*portaltest.Portal, string) {
	t.Helper()
	p := portaltest.Start(t)
	p.AddUser(t, userID, password)
	return p, p.Invite(t, userID)
}

// enrolledWith starts a portal with o where userID enrolls through the
// host's CLI, for a new user with the host installed for it; it returns
// the user, the portal, and the certificate's ID and serial.
func enrolledWith(t *testing.T, o portaltest.Options) (u *user, p *portaltest.Portal, certID, serial string) {
	t.Helper()
	p = portaltest.StartWith(t, o)
	p.AddUser(t, userID, password)
	code := p.Invite(t, userID)
	u = newUser(t)
	u.installPortal(t, p)
	certID, serial = u.enrolled(t, p, code)
	return u, p, certID, serial
}

// chromiumUser is how a test in Chromium starts: a portal with userID
// and an invitation code for her (alicePortal), Chromium told to present
// client certificates to it without asking, and a user with the host
// installed for it.
func chromiumUser(t *testing.T) (*user, *portaltest.Portal, string) {
	t.Helper()
	p, code := alicePortal(t)
	autoSelectPolicy(t, p.URL)
	u := newUser(t)
	u.installPortal(t, p)
	return u, p, code
}

// enroll enrolls userID at p with the invitation code through the host's
// CLI and returns its JSON output (see jsonField).
func (u *user) enroll(t *testing.T, p *portaltest.Portal, code string) string {
	t.Helper()
	return u.host(t, password+"\n"+code+"\n", "enroll", "--portal", p.URL, "--user", userID, "--password-stdin", "--invitation-stdin", "--json")
}

// enrolled is enroll's certificate: its ID and serial.
func (u *user) enrolled(t *testing.T, p *portaltest.Portal, code string) (certID, serial string) {
	t.Helper()
	out := u.enroll(t, p, code)
	return jsonField(t, out, "id"), jsonField(t, out, "serial")
}

func (u *user) host(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(built.host, args...)
	cmd.Env = append(os.Environ(), u.env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("certrenew-host %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// installPortal registers the host with the browsers and gives it the
// portal's root to authenticate the EST server (RFC 7030, Section 3.6.1),
// as an administrator does with `install --portal-ca`. That root is a trust
// anchor for client certificates only, never for TLS servers (issue 11), so
// Chromium is told to accept the portal's own TLS key by its hash
// (--ignore-certificate-errors-spki-list), as it would a portal with a
// public certificate: nothing else signed by the portal's CA passes.
func (u *user) installPortal(t *testing.T, p *portaltest.Portal) {
	t.Helper()
	u.host(t, "", "install", "--portal-ca", filepath.Join(p.Dir, "ca", "root.pem"))
	u.pinTLS(p)
}

// pinTLS makes Chromium, started after, accept the portal's TLS key.
func (u *user) pinTLS(p *portaltest.Portal) {
	sum := sha256.Sum256(p.Server.ServerCert().Leaf.RawSubjectPublicKeyInfo)
	u.tlsPins = append(u.tlsPins, base64.StdEncoding.EncodeToString(sum[:]))
}

// autoSelectPolicy makes Chromium present a client certificate to url
// without asking: a managed policy file, which must be written before
// Chromium starts. Only root can write it.
func autoSelectPolicy(t *testing.T, url string) {
	t.Helper()
	browsertest.ManagedPolicy(t, "certrenew-e2e", browsertest.AutoSelectCertificate(url))
}

// browser starts headless Chromium (English) on u's profile with the
// built extension; extraEnv ("K=V") goes to Chromium and the host it starts.
func (u *user) browser(t *testing.T, extraEnv ...string) context.Context {
	t.Helper()
	return u.browserLangEnvFlags(t, "en", extraEnv, nil)
}

// tab opens a new tab in the browser; closing it is cancel.
func tab(t *testing.T, browser context.Context) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	return ctx, func() { cancelT(); cancel() }
}

func popupURL(page string) string {
	return fmt.Sprintf("chrome-extension://%s/%s", extensionID, page)
}

// screenshotDir is where every test saves its screenshots:
// $CERTRENEW_SCREENSHOTS, else .state/screenshots under the repository.
func screenshotDir() string {
	root, _ := filepath.Abs("..")
	return browsertest.ScreenshotDir(root)
}

// shot saves a PNG of the whole page as screenshotDir()/<test>-<name>.png;
// a screenshot that cannot be taken or saved fails the test.
//
// Every screen a test shows it also checks for controls without an
// accessible name (a11ytest.UnnamedJS).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := saveShot(t, ctx, name); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	checkNames(t, ctx, name)
}

// checkNames fails the test for controls without an accessible name.
func checkNames(t *testing.T, ctx context.Context, screen string) {
	t.Helper()
	bad, err := browsertest.Unnamed(ctx)
	if err != nil {
		t.Fatalf("%s: accessible names: %v", screen, err)
	}
	if len(bad) > 0 {
		t.Errorf("%s: no accessible name: %v", screen, bad)
	}
}

// shotAfterFailure is shot for a test already failing: the page may be
// gone, so a missing screenshot is only logged.
func shotAfterFailure(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := saveShot(t, ctx, name); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

func saveShot(t *testing.T, ctx context.Context, name string) error {
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// In front: a hidden tab (the portal tab behind the refused link's tab
	// in TestRenewalLinkHandoff) renders no frames to capture.
	buf, err := browsertest.Screenshot(sctx)
	if err != nil {
		return err
	}
	return writeShot(t, name, buf)
}

func writeShot(t *testing.T, name string, png []byte) error {
	dir := screenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "-")+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		return err
	}
	v, _ := shotsTaken.LoadOrStore(t.Name(), new([]string))
	l := v.(*[]string)
	*l = append(*l, file) // a test's shots are taken one at a time
	return nil
}

// shotsTaken lists, per test, the screenshot files written.
var shotsTaken sync.Map // test name -> *[]string

// checkShots fails unless this test wrote at least want screenshots, each
// a PNG that decodes.
func checkShots(t *testing.T, want int) {
	t.Helper()
	v, _ := shotsTaken.Load(t.Name())
	var files []string
	if v != nil {
		files = *v.(*[]string)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(fh)
		fh.Close()
		if err != nil || cfg.Width == 0 || cfg.Height == 0 {
			t.Fatalf("%s is not a PNG: %v", f, err)
		}
	}
	if len(files) < want {
		t.Fatalf("%d screenshots saved, want %d", len(files), want)
	}
}
