package tpm2pkcs11

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/certrenew/certrenew/hsm"
)

// tokenLine finds the certrenew token in `tpm2_ptool listtokens`.
// Compiled on first use, not at every host start.
var tokenLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)label:\s*` + TokenLabel + `\s*$`) })

// Link puts a TPM key, its TSS2 PEM blob, into the certrenew token under
// label and the CKA_ID kid, with cert beside it, making the token first if
// there is none. The token's user PIN comes from ctx (hsm.WithPIN); a
// missing or wrong one wraps hsm.ErrPINIncorrect. With c.TPM and a store
// this package knows, no tpm2_ptool process runs but to make the token.
func (c *Config) Link(ctx context.Context, blob []byte, cert *x509.Certificate, label, kid string) error {
	pin, ok := hsm.PINFrom(ctx)
	if !ok {
		return fmt.Errorf("the tpm2-pkcs11 token needs its PIN to add a TPM key: %w", hsm.ErrPINIncorrect)
	}
	err := c.linkDirect(ctx, pin, blob, cert, label, kid)
	if errors.Is(err, errNoToken) {
		if err := c.makeToken(ctx, pin); err != nil {
			return err
		}
		err = c.linkDirect(ctx, pin, blob, cert, label, kid)
	}
	if !errors.Is(err, errNotDirect) {
		return err
	}
	return c.linkPtool(ctx, pin, blob, cert, label, kid)
}

// linkPtool is Link through tpm2_ptool: `link` and `addcert` in one
// process, after `listtokens` to see whether the token is there.
func (c *Config) linkPtool(ctx context.Context, pin string, blob []byte, cert *x509.Certificate, label, kid string) error {
	tmp, err := os.MkdirTemp("", "certrenew-tpm")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	blobFile, certFile := filepath.Join(tmp, "key.pem"), filepath.Join(tmp, "cert.pem")
	if err := os.WriteFile(blobFile, blob, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		return err
	}
	link := []string{"link", "--label", TokenLabel, "--userpin", "@PIN@", "--key-label", label, "--id", kid, blobFile}
	addcert := []string{"addcert", "--label", TokenLabel, "--key-id", ptoolID(kid), certFile}
	// After the first TPM enrollment the token is there: look for it and
	// link in one tpm2_ptool process.
	outs, err := c.ptools(ctx, pin, []string{"listtokens", "--pid", "1"}, link, addcert)
	if err != nil && (len(outs) == 0 || !tokenLine().MatchString(outs[0])) {
		// No certrenew token yet (link failed for want of it): make it.
		if err := c.makeToken(ctx, pin); err != nil {
			return err
		}
		outs, err = c.ptools(ctx, pin, link, addcert)
		outs = append([]string{"listtokens"}, outs...)
	}
	switch {
	case err == nil:
		return nil
	case len(outs) > 1:
		return fmt.Errorf("add certificate to tpm2-pkcs11: %w", err)
	case errors.Is(err, errPtoolAuth):
		return fmt.Errorf("link TPM key: %w: %v", hsm.ErrPINIncorrect, err)
	}
	return fmt.Errorf("link TPM key into tpm2-pkcs11: %w", err)
}
