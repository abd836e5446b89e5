package engine

import (
	"context"
	"errors"
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

// chooseBackend resolves an enrollment's backend request to a registered
// name ("tpm", "pkcs11", "soft"; see hsm.Registry) and its backend. "auto"
// (or "") means the configured default if there is one, else the TPM if
// present, else the configured PKCS#11 token, else software keys, among
// the backends pol allows. A backend that does not make hardware-bound
// keys is refused here, before anything is made, when the host's config
// (PolicyHardwareRequired) or pol requires hardware; hardware reports
// whether the key must be hardware-bound.
func (e *Engine) chooseBackend(ctx context.Context, requested string, pol *KeyPolicy) (name string, backend hsm.Backend, hardware bool, err error) {
	hardware = e.hardwareRequired() || (pol != nil && pol.HardwareRequired)
	refuse := func() (string, hsm.Backend, bool, error) {
		if hardware {
			return "", nil, true, fmt.Errorf("%w (requested %q, found no TPM and no configured token)", hsm.ErrHardwareRequired, orAuto(requested))
		}
		return "", nil, false, fmt.Errorf("%w: %q", ErrBackendNotAllowed, name)
	}
	name = requested
	if name == "" || name == "auto" {
		name = e.cfg.DefaultBackend
		if !pol.Allows(name) {
			name = ""
		}
	}
	if name == "" || name == "auto" {
		name = "soft"
		for _, n := range []string{"tpm", "pkcs11"} {
			if !pol.Allows(n) {
				continue
			}
			b, err := e.cfg.Keys.Backend(n)
			if err != nil {
				continue
			}
			if d, ok := b.(hsm.Detector); ok && d.Present(ctx) {
				name = n
				break
			}
		}
	}
	if !pol.Allows(name) {
		return refuse()
	}
	backend, err = e.cfg.Keys.Backend(name)
	if err != nil {
		if hardware {
			return refuse()
		}
		return "", nil, false, fmt.Errorf("%w: %v", hsm.ErrUnavailable, err)
	}
	if hardware && !hsm.IsHardwareBackend(backend) {
		return refuse()
	}
	return name, backend, hardware, nil
}

func (e *Engine) hardwareRequired() bool { return e.cfg.KeyPolicy == PolicyHardwareRequired }

// generate makes op's key. When op must be hardware-bound, a backend that
// cannot make the key is reported as ErrHardwareRequired (never a silent
// move to software), and a key that is not hardware-bound is refused; rec
// then names it, so run's undo destroys it.
func (e *Engine) generate(ctx context.Context, op *operation) (hsm.Key, error) {
	key, err := op.backend.Generate(ctx, op.keyReq)
	if err != nil {
		if op.hardware && errors.Is(err, hsm.ErrUnavailable) {
			return nil, fmt.Errorf("%w: %w", hsm.ErrHardwareRequired, err)
		}
		return nil, err
	}
	op.rec.NewKeyURI = key.URI()
	if op.hardware && !hsm.IsHardwareKey(key) {
		return nil, fmt.Errorf("%w: the backend made %s", hsm.ErrHardwareRequired, key.URI())
	}
	return key, nil
}

func orAuto(s string) string {
	if s == "" {
		return "auto"
	}
	return s
}
