// Package tpm2pkcs11 is the bridge that lets a browser use a TPM key: it
// links a key that hsm/tpm made (its TSS2 PEM blob: the store keeps the
// wrapped blob, not the key) into a tpm2-pkcs11 token, with the
// certificate beside it under the same CKA_ID. Where it knows the store's
// schema and has the TPM (Config.TPM), it writes the objects into the
// store itself (store.go, direct.go), which `tpm2_ptool link` and
// `addcert` would write; otherwise, and to make the token the first time,
// it runs tpm2-pkcs11's tool, tpm2_ptool. A browser that loads libtpm2_pkcs11
// then finds the pair on the token, asks for the token's user PIN ("Unlock
// Security Device") when it signs, and the TPM does the signing.
//
// This is key-using code, so it lives under hsm/: it decides in which token
// and under which PIN a TPM key can be used. It is not an hsm.Backend: it
// makes no keys (hsm/tpm does, "tpm:" URIs name them). What stays with the
// OS store (host/store/nss) is linking the token to the browser:
// registering the module in the NSS database and checking the chain.
package tpm2pkcs11

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-tpm/tpm2/transport"
)

// Config says where tpm2-pkcs11 keeps its token and how it reaches the
// TPM. The zero value uses tpm2-pkcs11's own defaults.
type Config struct {
	// Store is the tpm2-pkcs11 store directory; "" is ~/.tpm2_pkcs11,
	// where the module looks by default.
	Store string
	// TCTI is TPM2_PKCS11_TCTI for tpm2_ptool ("swtpm:path=...",
	// "device:/dev/tpmrm0"); "" is the TSS default. See tpm.Device.TCTI.
	TCTI string
	// Module is libtpm2_pkcs11's path; "" is DefaultModule.
	Module string
	// TPM, if set, opens the TPM the token is on (the one TCTI names) for
	// linking without tpm2_ptool: the PIN is checked by unsealing the
	// token's wrapping key. Nil leaves every change to tpm2_ptool.
	TPM func() (transport.TPMCloser, error)
	// Reset, if set, runs before each tpm2_ptool command: with a TPM that
	// has no resource manager (swtpm on a socket) it flushes the transient
	// objects tpm2-tools leaves loaded.
	Reset func() error
}

// DefaultModule is Debian's tpm2-pkcs11 module (libtpm2-pkcs11-1).
const DefaultModule = "/usr/lib/x86_64-linux-gnu/libtpm2_pkcs11.so.1"

// TokenLabel is the label of the tpm2-pkcs11 token certrenew creates.
const TokenLabel = "certrenew"

// ErrUnavailable reports that tpm2-pkcs11 cannot be used here: tpm2_ptool
// is not installed, or its store directory cannot be made. The OS store
// reports it as its own unavailability.
var ErrUnavailable = errors.New("tpm2-pkcs11 unavailable")

// ModulePath is the PKCS#11 module a browser loads to reach the token.
func (c *Config) ModulePath() string {
	if c.Module != "" {
		return c.Module
	}
	return DefaultModule
}

// Env is the environment for a program that loads tpm2-pkcs11 or runs
// tpm2-tools (the NSS tools load every registered module): the TCTI of the
// configured TPM and the store. Nil c or zero fields leave the TSS
// defaults.
func (c *Config) Env() []string {
	if c == nil {
		return nil
	}
	var env []string
	if c.TCTI != "" {
		env = append(env, "TPM2_PKCS11_TCTI="+c.TCTI, "TPM2TOOLS_TCTI="+c.TCTI)
	}
	if c.Store != "" {
		env = append(env, "TPM2_PKCS11_STORE="+c.Store)
	}
	return env
}

func (c *Config) store() (string, error) {
	if c.Store != "" {
		return c.Store, os.MkdirAll(c.Store, 0o700)
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	d := filepath.Join(h, ".tpm2_pkcs11")
	return d, os.MkdirAll(d, 0o700)
}

// makeToken creates the store's primary (a transient "tss2-engine-key"
// parent, the same SRK TSS2 PEM keys are wrapped under) and the certrenew
// token, whose user PIN is pin. The SO PIN is random and forgotten: a lost
// user PIN means enrolling again.
func (c *Config) makeToken(ctx context.Context, pin string) error {
	var so [16]byte
	rand.Read(so[:])
	// Only the user PIN goes through stdin; the SO PIN is random and
	// never used again, so its appearing as an argument reveals nothing.
	if outs, err := c.ptools(ctx, pin,
		[]string{"init", "--transient-parent", "tss2-engine-key"},
		[]string{"addtoken", "--pid", "1", "--label", TokenLabel, "--sopin", hex.EncodeToString(so[:]), "--userpin", "@PIN@"},
	); err != nil {
		step := "init"
		if len(outs) > 0 {
			step = "addtoken"
		}
		return fmt.Errorf("tpm2-pkcs11 %s: %w", step, err)
	}
	return nil
}
