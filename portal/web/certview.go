package web

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/store"
)

// stamp is a moment as the pages show it: the server writes UTC with its
// zone ("2026-12-04 08:03 UTC") inside <time datetime=…>, and portal.js
// rewrites it in the browser's own time zone, with the zone's name. A raw
// RFC 3339 string is never the visible text.
type stamp struct {
	ISO, Text string
}

func stampOf(t time.Time) stamp {
	if t.IsZero() {
		return stamp{}
	}
	t = t.UTC()
	return stamp{ISO: t.Format(time.RFC3339), Text: t.Format("2006-01-02 15:04 UTC")}
}

// certView is what the certificate pages show of one certificate.
type certView struct {
	Serial, Subject, Issuer, Status, KeyAlg string
	Issued, Expires, Revoked                stamp
	Renewable, Revocable                    bool
	// Replaces is the serial this certificate renewed ("" for a first
	// enrollment).
	Replaces string
	// Hardware is the store's hardware status ("verified", "claimed",
	// "software", "" unknown) and HardwareKey its message key.
	Hardware, HardwareKey string
}

// hardwareKey is the message key of a hardware status.
func hardwareKey(h store.Hardware) string {
	switch h {
	case store.HardwareVerified:
		return "hw_verified"
	case store.HardwareClaimed:
		return "hw_claimed"
	case store.HardwareSoftware:
		return "hw_software"
	}
	return "hw_unverified"
}

// statusOf is the status word's message key: the store's status, expiry
// from the clock, and for a superseded certificate whether its successor
// has reached its holder yet (see store.SweepRule).
func statusOf(c store.Cert, list []store.Cert, now time.Time) string {
	switch {
	case c.Status == store.StatusRevoked:
		return "st_revoked"
	case !now.Before(c.NotAfter):
		return "st_expired"
	case c.Status == store.StatusSuperseded:
		for _, s := range list {
			if s.Replaces == c.Serial && !s.ConfirmedAt.IsZero() {
				return "st_superseded_grace"
			}
		}
		return "st_superseded"
	}
	return "st_active"
}

func viewOf(c store.Cert, list []store.Cert, now time.Time) certView {
	v := certView{
		Serial: c.Serial, Status: statusOf(c, list, now), Replaces: c.Replaces,
		Issued: stampOf(c.NotBefore), Expires: stampOf(c.NotAfter), Revoked: stampOf(c.RevokedAt),
		Renewable: c.Status == store.StatusActive, Revocable: c.Status != store.StatusRevoked,
		Hardware: string(c.Hardware), HardwareKey: hardwareKey(c.Hardware),
	}
	if x, err := x509.ParseCertificate(c.DER); err == nil {
		v.Subject, v.Issuer, v.KeyAlg = x.Subject.String(), x.Issuer.String(), keyAlg(x)
	}
	if v.Subject == "" {
		v.Subject = c.UserID
	}
	return v
}

// keyAlg names the certificate's key type, e.g. "ECDSA P-256".
func keyAlg(x *x509.Certificate) string {
	switch k := x.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return x.PublicKeyAlgorithm.String()
}

// lineage is the certificate's renewal history, newest first: the
// certificates it renewed (Replaces, back to the first enrollment) and
// those that renewed it.
func lineage(c store.Cert, list []store.Cert) []store.Cert {
	by := map[string]store.Cert{}
	for _, x := range list {
		by[x.Serial] = x
	}
	// The newest descendant: follow Replaces forward.
	top := c
	for seen := map[string]bool{top.Serial: true}; ; {
		next := ""
		for _, x := range list {
			if x.Replaces == top.Serial && !seen[x.Serial] && (next == "" || x.NotBefore.After(by[next].NotBefore)) {
				next = x.Serial
			}
		}
		if next == "" {
			break
		}
		seen[next] = true
		top = by[next]
	}
	var out []store.Cert
	for x, seen := top, map[string]bool{}; !seen[x.Serial]; {
		seen[x.Serial] = true
		out = append(out, x)
		p, ok := by[x.Replaces]
		if !ok {
			break
		}
		x = p
	}
	return out
}

// ownCert finds serial among the user's certificates; ok is false (and
// the not-found page shown) when it is not one of theirs.
func (h *Handler) ownCert(w http.ResponseWriter, r *http.Request, s *session) (store.Cert, []store.Cert, bool) {
	serial := admin.NormalizeSerial(r.PathValue("serial"))
	list, ok := h.userCerts(w, r, s, "certs")
	if !ok {
		return store.Cert{}, nil, false
	}
	for _, c := range list {
		if c.Serial == serial {
			return c, list, true
		}
	}
	h.render(w, r, http.StatusNotFound, "error", map[string]any{"Me": s.user, "CSRF": s.csrf, "Msg": "no_such_cert"})
	return store.Cert{}, nil, false
}

// certPage is GET /certs/{serial}: one certificate's details and renewal
// history, with its actions.
func (h *Handler) certPage(w http.ResponseWriter, r *http.Request, s *session) {
	c, list, ok := h.ownCert(w, r, s)
	if !ok {
		return
	}
	now := h.now()
	var hist []certView
	for _, x := range lineage(c, list) {
		hist = append(hist, viewOf(x, list, now))
	}
	v := viewOf(c, list, now)
	h.render(w, r, http.StatusOK, "cert", map[string]any{
		"Me": s.user, "CSRF": s.csrf, "C": v, "History": hist, "Script": true, "Title": v.Subject,
	})
}

// revokePage is GET /certs/{serial}/revoke: the confirmation step, a page
// of its own so that it works without script (with script the
// certificate pages show the same form in a <dialog>).
func (h *Handler) revokePage(w http.ResponseWriter, r *http.Request, s *session) {
	c, list, ok := h.ownCert(w, r, s)
	if !ok {
		return
	}
	if c.Status == store.StatusRevoked {
		http.Redirect(w, r, "/certs/"+c.Serial, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "revoke", map[string]any{
		"Me": s.user, "CSRF": s.csrf, "C": viewOf(c, list, h.now()), "Script": true,
	})
}
