package engine

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/hsm"
)

// Key policies (Config.KeyPolicy).
const (
	// PolicyAny lets enrollment fall back to software keys.
	PolicyAny = ""
	// PolicyHardwareRequired refuses software keys: enrollment fails with
	// hsm.ErrHardwareRequired rather than make a key that can be copied.
	PolicyHardwareRequired = "hardware-required"
)

// WithPIN returns ctx carrying a token PIN for one operation. The PIN goes
// to the key backend's login and nowhere else: not to the journal, the
// state file, the log, or an error.
func WithPIN(ctx context.Context, pin string) context.Context { return hsm.WithPIN(ctx, pin) }

// chooseBackend resolves an enrollment's backend request. "auto" (or "")
// means the configured default if there is one, else the TPM if present,
// else the configured PKCS#11 token, else software keys, which "soft" asks
// for and Config.SoftwareScheme makes.
func (e *Engine) chooseBackend(ctx context.Context, requested string) (hsm.Backend, error) {
	scheme := requested
	if scheme == "" || scheme == "auto" {
		scheme = e.cfg.DefaultBackend
	}
	if scheme == "" || scheme == "auto" {
		scheme = "soft"
		for _, s := range []string{"tpm", "pkcs11"} {
			b, err := e.cfg.Keys.Backend(s)
			if err != nil {
				continue
			}
			if d, ok := b.(hsm.Detector); ok && d.Present(ctx) {
				scheme = s
				break
			}
		}
	}
	if scheme == "soft" && e.cfg.SoftwareScheme != "" {
		scheme = e.cfg.SoftwareScheme
	}
	if e.cfg.KeyPolicy == PolicyHardwareRequired && !hsm.Hardware(scheme) {
		return nil, fmt.Errorf("%w (requested %q, found no TPM and no configured token)", hsm.ErrHardwareRequired, orAuto(requested))
	}
	backend, err := e.cfg.Keys.Backend(scheme)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", hsm.ErrUnavailable, err)
	}
	return backend, nil
}

func orAuto(s string) string {
	if s == "" {
		return "auto"
	}
	return s
}
