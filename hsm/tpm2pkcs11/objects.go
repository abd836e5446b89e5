package tpm2pkcs11

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ptoolID is how tpm2-pkcs11's store writes the CKA_ID that `tpm2_ptool
// link --id kid` gives a key: the hex of kid's characters (its CKA_ID is
// the text of kid, not the bytes it spells). `addcert --key-id` and
// `listobjects` use that form.
func ptoolID(kid string) string { return hex.EncodeToString([]byte(kid)) }

// Linked reports whether the token holds a key pair and a certificate
// under the CKA_ID kid, as Link leaves them.
func (c *Config) Linked(ctx context.Context, kid string) (bool, error) {
	n, hasCert, err := c.objectsDirect(ctx, kid, false)
	switch {
	case errors.Is(err, errNoToken):
		return false, nil
	case !errors.Is(err, errNotDirect):
		return n >= 2 && hasCert, err
	}
	objs, hasCert, err := c.objects(ctx, kid)
	return len(objs) >= 2 && hasCert, err
}

// Unlink deletes the token's objects (key pair and certificate) under the
// CKA_ID kid; none there is not an error. The TPM blob itself is deleted
// by the key backend (hsm/tpm).
func (c *Config) Unlink(ctx context.Context, kid string) error {
	_, _, err := c.objectsDirect(ctx, kid, true)
	switch {
	case errors.Is(err, errNoToken):
		return nil
	case !errors.Is(err, errNotDirect):
		return err
	}
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
