package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/tpm2pkcs11"
	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/chromedp/chromedp"
	keyfile "github.com/foxboron/go-tpm-keyfiles"
)

// hwToken is where a hardware-key e2e test keeps its keys: the host's
// config, the environment Chromium and the host need to reach the device,
// and the PKCS#11 view of it (module, token label, PIN) that NSS uses and
// that pkcs11-tool inspects.
type hwToken struct {
	config map[string]any
	env    []string
	module string
	label  string
	pin    string
	// portalSetup, when set, configures the portal before the enrollment
	// (EK roots, policies).
	portalSetup func(t *testing.T, p *portaltest.Portal)
	// renewed, when set, looks at the popup (ctx) once the renewal is done.
	renewed func(t *testing.T, ctx context.Context)
}

// TestToolbarRenewalSoftHSM is the toolbar flow with the key on a SoftHSM2
// token: enroll and renew through the extension UI with the token PIN,
// then Chromium (not headless, under Xvfb) answers the portal's
// client-certificate request with the token's key after the user types the
// PIN into Chromium's own "Unlock Security Device" dialog (xdotool). The
// old key object is gone from the token, and the new private key is
// sensitive and never extractable (pkcs11-tool).
func TestToolbarRenewalSoftHSM(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "modutil", "pkcs11-tool", "Xvfb", "xdotool")
	s := hsmtest.NewSoftHSM(t)
	tok := &hwToken{
		config: map[string]any{"pkcs11": map[string]string{"module": s.Module, "token": s.Label}},
		env:    []string{"SOFTHSM2_CONF=" + s.Conf},
		module: s.Module, label: s.Label, pin: s.PIN,
	}
	u, serial1, serial2, keys1 := toolbarRenewalOnToken(t, tok)
	keys2 := tokenKeys(t, u, tok)
	if len(keys2) != 1 || keys2[0].id == keys1[0].id {
		t.Fatalf("after renewal the token holds %v (before: %v); want only a new key", keys2, keys1)
	}
	if !strings.Contains(keys2[0].access, "sensitive") || !strings.Contains(keys2[0].access, "never extractable") {
		t.Fatalf("new key access %q: want sensitive and never extractable", keys2[0].access)
	}
	noPINWritten(t, u, tok.pin)
	t.Logf("token %s: enrolled %s, renewed to %s", s.Label, serial1, serial2)
}

// TestToolbarRenewalTPM is the same flow with the key in a TPM (swtpm
// behind tpm2-abrmd, the resource manager that lets certrenew-host,
// tpm2_ptool and Chromium share it): the host makes the key with go-tpm,
// links its TSS2 blob into a tpm2-pkcs11 token whose PIN the user chose in
// the enroll form, and Chromium signs through libtpm2_pkcs11 after the PIN
// dialog. The renewed key is a new TPM object with fixedTPM, fixedParent
// and sensitiveDataOrigin; the old blob and its tpm2-pkcs11 objects are
// gone.
func TestToolbarRenewalTPM(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "modutil", "pkcs11-tool", "Xvfb", "xdotool", "tpm2_ptool")
	rm := hsmtest.StartTabrmd(t, hsmtest.StartSWTPM(t))
	tok := &hwToken{
		config: map[string]any{"tpmDevice": rm.TCTI},
		env:    rm.Env(),
		module: tpm2pkcs11.DefaultModule, label: tpm2pkcs11.TokenLabel, pin: "4711-tpm-pin",
	}
	u, serial1, serial2, keys1 := toolbarRenewalOnToken(t, tok)
	keys2 := tokenKeys(t, u, tok)
	if len(keys2) != 1 || keys2[0].id == keys1[0].id {
		t.Fatalf("after renewal the tpm2-pkcs11 token holds %v (before: %v); want only a new key", keys2, keys1)
	}
	blobs, _ := filepath.Glob(filepath.Join(u.state, "keys", "tpm", "*.tpmkey"))
	if len(blobs) != 1 {
		t.Fatalf("TPM key blobs after renewal: %v; want exactly the new one", blobs)
	}
	data, err := os.ReadFile(blobs[0])
	if err != nil {
		t.Fatal(err)
	}
	kf, err := keyfile.Decode(data)
	if err != nil {
		t.Fatalf("TPM key blob: %v", err)
	}
	pub, err := kf.Pubkey.Contents()
	if err != nil {
		t.Fatal(err)
	}
	if a := pub.ObjectAttributes; !a.FixedTPM || !a.FixedParent || !a.SensitiveDataOrigin {
		t.Fatalf("renewed TPM key attributes %+v: want fixedTPM, fixedParent, sensitiveDataOrigin", a)
	}
	noPINWritten(t, u, tok.pin)
	t.Logf("TPM: enrolled %s, renewed to %s", serial1, serial2)
}

// toolbarRenewalOnToken enrolls and renews through the extension UI with
// the key on tok, then makes Chromium (headful, under Xvfb) present the
// renewed certificate to the portal, typing the PIN into NSS's "Unlock
// Security Device" dialog as a user would. It returns the user, both
// serials and the token's private keys after enrollment.
func toolbarRenewalOnToken(t *testing.T, tok *hwToken) (u *user, serial1, serial2 string, keys1 []tokenKey) {
	t.Helper()
	u, p, code := chromiumUser(t)
	if tok.portalSetup != nil {
		tok.portalSetup(t, p)
	}
	cfg, _ := json.Marshal(tok.config)
	os.MkdirAll(u.state, 0o700)
	if err := os.WriteFile(filepath.Join(u.state, "config.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	display := startXvfb(t)
	browser := u.headfulBrowser(t, display, tok.env...)

	ctx, closeTab := tab(t, browser)
	defer closeTab()
	run(t, ctx, "popup", chromedp.Navigate(popupURL("popup.html")), chromedp.WaitVisible(chromedp.CSS("#cert-list")))
	run(t, ctx, "enroll form", chromedp.Click(chromedp.CSS("#nav-enroll")), chromedp.WaitVisible(chromedp.CSS("#enroll-portal")))
	run(t, ctx, "enroll with PIN",
		chromedp.WaitVisible(chromedp.CSS("#enroll-pin")),
		fillEnroll(p.URL, code),
		chromedp.SendKeys(chromedp.CSS("#enroll-pin"), tok.pin),
		chromedp.Click(chromedp.CSS("#enroll-submit")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	)
	serial1 = attr(t, ctx, "#done", "data-serial")
	keys1 = tokenKeys(t, u, tok)
	if len(keys1) != 1 {
		t.Fatalf("after enrollment the token holds %d private keys: %v", len(keys1), keys1)
	}

	row := `.cert-row[data-serial="` + serial1 + `"]`
	run(t, ctx, "renew with PIN",
		chromedp.Click(chromedp.CSS("#back")),
		toPasswordScreen(row),
		chromedp.WaitVisible(chromedp.CSS("#pin")),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.SendKeys(chromedp.CSS("#pin"), tok.pin),
		chromedp.Click(chromedp.CSS("#activate")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	)
	serial2 = attr(t, ctx, "#done", "data-serial")
	if serial2 == "" || serial2 == serial1 {
		t.Fatalf("renewed serial %q (old %q)", serial2, serial1)
	}
	if tok.renewed != nil {
		tok.renewed(t, ctx)
	}

	// Chromium presents the token's certificate; NSS asks for the PIN in
	// Chromium's own dialog, which is typed like a user would.
	got := whoamiWithPINDialog(t, ctx, display, p.URL+"/mtls/whoami", tok.pin)
	if got != serial2 {
		t.Fatalf("Chromium presented serial %q, want the renewed %q", got, serial2)
	}
	t.Logf("Chromium presented %s after the PIN dialog", got)
	return u, serial1, serial2, keys1
}

// noPINWritten checks that the PIN was used, never kept: it is not in
// certrenew's state, journal or log.
func noPINWritten(t *testing.T, u *user, pin string) {
	t.Helper()
	filepath.WalkDir(u.state, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), pin) {
				t.Errorf("the token PIN is written in %s", path)
			}
		}
		return nil
	})
}

type tokenKey struct{ id, access string }

// tokenKeys lists the token's private keys with pkcs11-tool (OpenSC).
func tokenKeys(t *testing.T, u *user, tok *hwToken) []tokenKey {
	t.Helper()
	cmd := exec.Command("pkcs11-tool", "--module", tok.module, "--token-label", tok.label, "--login", "--pin", tok.pin, "--list-objects", "--type", "privkey")
	cmd.Env = append(append(os.Environ(), u.env...), tok.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pkcs11-tool: %v\n%s", err, out)
	}
	var keys []tokenKey
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "Private Key Object"):
			keys = append(keys, tokenKey{})
		case strings.HasPrefix(line, "ID:") && len(keys) > 0:
			keys[len(keys)-1].id = strings.TrimSpace(strings.TrimPrefix(line, "ID:"))
		case strings.HasPrefix(line, "Access:") && len(keys) > 0:
			keys[len(keys)-1].access = strings.TrimSpace(strings.TrimPrefix(line, "Access:"))
		}
	}
	return keys
}

// startXvfb starts a virtual X server on a free display and returns it.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

// headfulBrowser is browser() without --headless, on an X display: only a
// normal Chromium shows NSS's token PIN dialog (headless waits forever).
func (u *user) headfulBrowser(t *testing.T, display string, extraEnv ...string) context.Context {
	t.Helper()
	o := u.chromium([]string{"password-store=basic"})
	o.Headful = true
	o.Width, o.Height = 1000, 800
	o.Env = append(append([]string{"DISPLAY=" + display}, o.Env...), extraEnv...)
	return browsertest.Open(t, o)
}

// whoamiWithPINDialog navigates to url and, while Chromium waits on the
// token, finds the PIN dialog window on display and types pin into it.
func whoamiWithPINDialog(t *testing.T, ctx context.Context, display, url, pin string) string {
	t.Helper()
	nav := make(chan error, 1)
	go func() { nav <- chromedp.Do(ctx, chromedp.Navigate(url)) }()
	deadline := time.Now().Add(45 * time.Second)
	// When each dialog window was last given the PIN. A window still
	// there seconds later did not take it (a busy machine can map the
	// window before its field takes input): clear the field and type again.
	typed := map[string]time.Time{}
	for {
		select {
		case err := <-nav:
			if err != nil {
				t.Fatalf("navigate %s: %v", url, err)
			}
			if len(typed) == 0 {
				t.Fatal("the page loaded without the PIN dialog: the token key was not used")
			}
			return strings.TrimSpace(text(t, ctx, "body"))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PIN dialog answered; windows: %s", xwindows(display))
		}
		for _, w := range dialogWindows(display) {
			if last, ok := typed[w]; ok && time.Since(last) < 3*time.Second {
				continue
			}
			again := !typed[w].IsZero()
			typed[w] = time.Now()
			name, _ := xdotool(display, "getwindowname", w)
			t.Logf("PIN dialog window %s %q (again: %v)", w, strings.TrimSpace(name), again)
			xdotool(display, "windowactivate", "--sync", w)
			xdotool(display, "windowfocus", "--sync", w)
			if again {
				xdotool(display, "key", "ctrl+a", "BackSpace")
			}
			if _, err := xdotool(display, "type", "--delay", "20", pin); err != nil {
				t.Fatalf("xdotool type: %v", err)
			}
			xdotool(display, "key", "Return")
		}
		time.Sleep(100 * time.Millisecond) // polling an external window; no event to wait on
	}
}

// dialogWindows returns the visible windows whose title is NSS's token
// PIN prompt in Chromium ("Unlock Security Device" or similar).
func dialogWindows(display string) []string {
	var ids []string
	for _, name := range []string{"Unlock", "Security Device"} {
		out, _ := xdotool(display, "search", "--onlyvisible", "--name", name)
		for _, f := range strings.Fields(out) {
			if _, err := strconv.ParseUint(f, 10, 64); err == nil && !slices.Contains(ids, f) {
				ids = append(ids, f)
			}
		}
	}
	return ids
}

// xdotool runs xdotool on display and returns its standard output only
// (X errors about vanished windows go to stderr).
func xdotool(display string, args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	return string(out), err
}

func xwindows(display string) string {
	ids, _ := xdotool(display, "search", "--name", ".")
	var names []string
	for _, id := range strings.Fields(ids) {
		n, _ := xdotool(display, "getwindowname", id)
		names = append(names, fmt.Sprintf("%s=%q", id, strings.TrimSpace(n)))
	}
	return strings.Join(names, " ")
}
