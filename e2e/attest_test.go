package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/tpm2pkcs11"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/chromedp/chromedp"
)

// TestToolbarRenewalTPMAttested is TestToolbarRenewalTPM against a portal
// that demands proof (issue 15, point 4): the swtpm is manufactured with
// an EK certificate from a local CA (swtpm_setup --create-ek-cert), the
// portal trusts that CA as its EK root and holds the tenant to
// hardware-attested. Enrollment and renewal through the extension UI
// succeed only because certrenew-host proves each new TPM key (credential
// activation through tpm2-abrmd, TPM2_Certify), and the portal's pages show
// both certificates as verified; the host's list says so too
// (proto.Cert.Hardware), for the extension to show.
func TestToolbarRenewalTPMAttested(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "modutil", "pkcs11-tool", "Xvfb", "xdotool", "tpm2_ptool")
	ca := hsmtest.NewEKCA(t)
	rm := hsmtest.StartTabrmd(t, hsmtest.StartSWTPMWithEK(t, ca))
	var portal *portaltest.Portal
	tok := &hwToken{
		config: map[string]any{"tpmDevice": rm.TCTI},
		env:    rm.Env(),
		module: tpm2pkcs11.DefaultModule, label: tpm2pkcs11.TokenLabel, pin: "4711-tpm-pin",
		portalSetup: func(t *testing.T, p *portaltest.Portal) {
			portal = p
			requireAttestation(t, p, ca)
		},
		// The extension's list says so too, on the renewed certificate's row.
		renewed: func(t *testing.T, ctx context.Context) {
			run(t, ctx, "back to the list", chromedp.Navigate(popupURL("popup.html")), chromedp.WaitVisible(chromedp.CSS("#cert-list .cert-meta")))
			if meta := text(t, ctx, "#cert-list .cert-meta"); !strings.Contains(meta, "TPM-attested") {
				t.Fatalf("the extension's list line %q does not say TPM-attested", meta)
			}
			shot(t, ctx, "list-attested")
		},
	}
	u, serial1, serial2, _ := toolbarRenewalOnToken(t, tok)
	for _, serial := range []string{serial1, serial2} {
		c, err := portal.Store.Cert(context.Background(), serial)
		if err != nil || c.Hardware != store.HardwareVerified {
			t.Fatalf("portal record of %s: %q %v, want verified", serial, c.Hardware, err)
		}
		if page := portalPage(t, portal, "/certs/"+serial+"?lang=en"); !strings.Contains(page, `data-hardware="verified">Verified`) {
			t.Fatalf("the portal's page of %s does not show verified:\n%s", serial, page)
		}
	}
	if list := u.host(t, "", "list", "--json"); !strings.Contains(list, `"hardware": "verified"`) && !strings.Contains(list, `"hardware":"verified"`) {
		t.Fatalf("host list lacks hardware verified:\n%s", list)
	}
	t.Logf("TPM attested: enrolled %s, renewed to %s, both verified by the portal", serial1, serial2)
}

// requireAttestation holds p's tenant to hardware-attested, with the
// certificates of ekCAs (root and issuing) as its EK roots.
func requireAttestation(t *testing.T, p *portaltest.Portal, ekCAs ...*hsmtest.EKCA) {
	t.Helper()
	for _, ca := range ekCAs {
		p.AddEKRoots(t, ca.Certs(t)...)
	}
	p.SetHardwarePolicy(t, "", store.HardwareAttested)
}

// portalPage is a page of the user portal as alice sees it once logged in.
func portalPage(t *testing.T, p *portaltest.Portal, path string) string {
	t.Helper()
	c, _ := p.LoggedIn(t, userID, password)
	r := portaltest.Get(t, c, p.URL+path)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d", path, r.Status)
	}
	return string(r.Body)
}

// TestAttestationRequiredInChromium: under hardware-attested, an
// enrollment with a software key through the extension ends on the error
// screen with attestation_required and its text, in both languages.
func TestAttestationRequiredInChromium(t *testing.T) {
	inBothLanguages(t, func(t *testing.T, lang string) {
		testenv.Need(t, "chromium", "certutil")
		u, p, code := chromiumUser(t)
		requireAttestation(t, p)
		enrollRefused(t, u.browserLang(t, lang), p, code, "#enroll-backend", "software key refused",
			chromedp.Evaluate[chromedp.Void](`(s => { s.value = "soft"; s.dispatchEvent(new Event("change", {bubbles: true})); })(document.getElementById("enroll-backend"))`),
			errcode.AttestationRequired, lang)
	})
}

// TestEKOutsideRootsInChromium: a TPM whose EK certificate comes from a
// CA the portal was not given (another maker) cannot enroll under
// hardware-attested; the extension's error screen names the cause,
// ek_untrusted, not the bare attestation_required.
func TestEKOutsideRootsInChromium(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "modutil", "tpm2_ptool")
	trusted, other := hsmtest.NewEKCA(t), hsmtest.NewEKCA(t)
	hsmtest.StartSWTPMWithEK(t, trusted).Stop() // makes the trusted CA only.
	rm := hsmtest.StartTabrmd(t, hsmtest.StartSWTPMWithEK(t, other))
	u, p, code := chromiumUser(t)
	requireAttestation(t, p, trusted)
	cfg, _ := json.Marshal(map[string]any{"tpmDevice": rm.TCTI})
	os.MkdirAll(u.state, 0o700)
	if err := os.WriteFile(filepath.Join(u.state, "config.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	enrollRefused(t, u.browser(t, rm.Env()...), p, code, "#enroll-pin", "TPM of another maker refused",
		chromedp.SendKeys(chromedp.CSS("#enroll-pin"), "4711-tpm-pin"),
		errcode.EKUntrusted, "en")
}

// enrollRefused enrolls with code at p through the popup in browser (the
// form ready once ready shows; choose picks the key) and wants the error
// screen for want, its text in lang, and no certificate issued.
func enrollRefused(t *testing.T, browser contextT, p *portaltest.Portal, code, ready, what string, choose chromedp.Action[chromedp.Void], want errcode.Code, lang string) {
	t.Helper()
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	run(t, ctx, "enroll form", chromedp.WaitVisible(chromedp.CSS("#nav-enroll")),
		chromedp.Click(chromedp.CSS("#nav-enroll")), chromedp.WaitVisible(chromedp.CSS(ready)))
	run(t, ctx, what,
		fillEnroll(p.URL, code),
		choose,
		chromedp.Click(chromedp.CSS("#enroll-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#error[data-code="`+string(want)+`"]`)))
	wantMessage(t, ctx, want, lang)
	if cs, err := p.Store.Certs(context.Background(), userID); err != nil || len(cs) != 0 {
		t.Fatalf("certificates issued: %v %v", cs, err)
	}
}
