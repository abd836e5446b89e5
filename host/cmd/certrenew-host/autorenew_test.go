package main_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// `certrenew-host renew --due`, the command the auto-renewal timer runs.
// The portal issues 30-second certificates, backdated a minute (portal/ca):
// 90 seconds of lifetime, 60 of them past at issue, so each is inside its
// renewal window (which opens at 2/3 of the lifetime at the latest) from
// the start, for 30 seconds. (host/engine's TestRenewDue runs the same with
// an injected clock, before and inside the window.) Under the password
// policy nothing renews and the run succeeds; under the certificate policy
// it renews without a password or prompt; doctor shows the plan.
func TestRenewDueCommand(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	p, e, code := invitedWith(t, portaltest.Options{Validity: 30 * time.Second}, "tim", "pw-tim-renews")
	id := e.enroll(t, p, "tim", "pw-tim-renews", code)
	serial := func() string {
		out, errOut, err := e.run(t, "", nil, "list", "--json")
		if err != nil {
			t.Fatalf("list: %v %s", err, errOut)
		}
		var l struct{ Certs []struct{ ID, Serial string } }
		if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Certs) != 1 {
			t.Fatalf("list %q: %v", out, err)
		}
		return l.Certs[0].Serial
	}
	old := serial()

	out, errOut, err := e.run(t, "", nil, "renew", "--due")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "asks for the password") {
		t.Fatalf("renew --due under the password policy: %v %q %q", err, out, errOut)
	}
	if serial() != old {
		t.Fatal("renewed under the password policy")
	}

	p.SetRenewalAuth(t, "tim", store.RenewalAuthCertificate)
	out, errOut, err = e.run(t, "", nil, "renew", "--due")
	if err != nil || !strings.Contains(out, id+"  renewed: serial ") {
		t.Fatalf("renew --due under the certificate policy: %v %q %q", err, out, errOut)
	}
	if now := serial(); now == old || !strings.Contains(out, "replaces "+old) {
		t.Fatalf("serial %s after renew --due (old %s): %q", now, old, out)
	}

	out, errOut, err = e.run(t, "", nil, "doctor")
	if err != nil || !strings.Contains(out, "auto-renewal") || !strings.Contains(out, id) {
		t.Fatalf("doctor: %v %q %q", err, out, errOut)
	}
	if _, _, err := e.run(t, "", nil, "renew", "--due", id); err == nil {
		t.Fatal("renew --due with a certificate ID: want a usage error")
	}
}
