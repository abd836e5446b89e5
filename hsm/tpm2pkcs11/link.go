package tpm2pkcs11

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/certrenew/certrenew/hsm"
)

var tokenLine = regexp.MustCompile(`(?m)label:\s*` + TokenLabel + `\s*$`)

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

// Link puts a TPM key, its TSS2 PEM blob, into the certrenew token under
// label and the CKA_ID kid, with cert beside it, making the token first if
// there is none. The token's user PIN comes from ctx (hsm.WithPIN); a
// missing or wrong one wraps hsm.ErrPINIncorrect.
func (c *Config) Link(ctx context.Context, blob []byte, cert *x509.Certificate, label, kid string) error {
	pin, ok := hsm.PINFrom(ctx)
	if !ok {
		return fmt.Errorf("the tpm2-pkcs11 token needs its PIN to add a TPM key: %w", hsm.ErrPINIncorrect)
	}
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
	if err != nil && (len(outs) == 0 || !tokenLine.MatchString(outs[0])) {
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

// ptoolID is how tpm2-pkcs11's store writes the CKA_ID that `tpm2_ptool
// link --id kid` gives a key: the hex of kid's characters (its CKA_ID is
// the text of kid, not the bytes it spells). `addcert --key-id` and
// `listobjects` use that form.
func ptoolID(kid string) string { return hex.EncodeToString([]byte(kid)) }

// Linked reports whether the token holds a key pair and a certificate
// under the CKA_ID kid, as Link leaves them.
func (c *Config) Linked(ctx context.Context, kid string) (bool, error) {
	objs, hasCert, err := c.objects(ctx, kid)
	return len(objs) >= 2 && hasCert, err
}

// Unlink deletes the token's objects (key pair and certificate) under the
// CKA_ID kid; none there is not an error. The TPM blob itself is deleted
// by the key backend (hsm/tpm).
func (c *Config) Unlink(ctx context.Context, kid string) error {
	objs, _, err := c.objects(ctx, kid)
	if err != nil || len(objs) == 0 {
		return err
	}
	dels := make([][]string, len(objs))
	for i, o := range objs {
		dels[i] = []string{"objdel", o}
	}
	if _, err := c.ptools(ctx, "", dels...); err != nil {
		return fmt.Errorf("delete tpm2-pkcs11 object: %w", err)
	}
	return nil
}

// objects returns the tpm2-pkcs11 object ids (store row ids) whose
// CKA_ID is kid's, from `tpm2_ptool listobjects` (YAML, one "- CKA_CLASS:
// ..." entry per object with "CKA_ID" and "id"). A store not made yet
// holds none.
func (c *Config) objects(ctx context.Context, kid string) ([]string, bool, error) {
	dir, err := c.store()
	if err != nil {
		return nil, false, err
	}
	if _, err := os.Stat(filepath.Join(dir, "tpm2_pkcs11.sqlite3")); err != nil {
		return nil, false, nil
	}
	out, err := c.ptool(ctx, "", "listobjects", "--label", TokenLabel)
	if err != nil {
		return nil, false, err
	}
	var ids []string
	hasCert := false
	want := ptoolID(kid)
	for _, ent := range strings.Split(out, "\n- ") {
		if !strings.Contains(strings.ToLower(ent), "'"+want+"'") {
			continue
		}
		if strings.Contains(ent, "CKO_CERTIFICATE") {
			hasCert = true
		}
		for _, line := range strings.Split(ent, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(strings.TrimPrefix(line, "- ")), "id: "); ok {
				ids = append(ids, strings.TrimSpace(v))
			}
		}
	}
	return ids, hasCert, nil
}
