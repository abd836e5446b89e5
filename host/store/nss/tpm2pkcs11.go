package nss

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
)

// TPM keys reach the browser through tpm2-pkcs11: the key's TSS2 PEM blob
// is linked into a tpm2-pkcs11 token (`tpm2_ptool link`, which stores the
// wrapped blob, not the key), the certificate is added beside it with the
// same CKA_ID (`tpm2_ptool addcert`), and libtpm2_pkcs11 is registered in
// the NSS database. NSS then asks for the token's user PIN ("Unlock
// Security Device") when Chromium signs, and the TPM does the signing.

// TPM2PKCS11 says where tpm2-pkcs11 keeps its token and how it reaches the
// TPM. The zero value uses tpm2-pkcs11's own defaults.
type TPM2PKCS11 struct {
	// Store is the tpm2-pkcs11 store directory; "" is ~/.tpm2_pkcs11,
	// where the module looks by default.
	Store string
	// TCTI is TPM2_PKCS11_TCTI for tpm2_ptool ("swtpm:path=...",
	// "device:/dev/tpmrm0"); "" is the TSS default.
	TCTI string
	// Module is libtpm2_pkcs11's path; "" is DefaultTPM2Module.
	Module string
	// Reset, if set, runs before each tpm2_ptool command: with a TPM that
	// has no resource manager (swtpm on a socket) it flushes the transient
	// objects tpm2-tools leaves loaded.
	Reset func() error
}

// DefaultTPM2Module is Debian's tpm2-pkcs11 module (libtpm2-pkcs11-1).
const DefaultTPM2Module = "/usr/lib/x86_64-linux-gnu/libtpm2_pkcs11.so.1"

// TPM2Token is the label of the tpm2-pkcs11 token certrenew creates.
const TPM2Token = "certrenew"

// env is the environment for a program that loads tpm2-pkcs11 or runs
// tpm2-tools: the TCTI of the configured TPM and the store. Nil c or
// zero fields leave the TSS defaults.
func (c *TPM2PKCS11) env() []string {
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

func (c *TPM2PKCS11) module() string {
	if c.Module != "" {
		return c.Module
	}
	return DefaultTPM2Module
}

func (c *TPM2PKCS11) store() (string, error) {
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

// ptoolStub runs tpm2_ptool with the PIN read from stdin and put in place of
// @PIN@ in its arguments, so the PIN never appears on a command line.
const ptoolStub = `import runpy, sys
pin = sys.stdin.readline().rstrip("\n")
sys.argv = [sys.argv[1]] + [a.replace("@PIN@", pin) for a in sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
`

// ptool runs one tpm2_ptool command; secret, if any, replaces @PIN@.
func (c *TPM2PKCS11) ptool(ctx context.Context, secret string, args ...string) (string, error) {
	tool, err := exec.LookPath("tpm2_ptool")
	if err != nil {
		return "", fmt.Errorf("%w: tpm2_ptool not found (install libtpm2-pkcs11-tools)", store.ErrUnavailable)
	}
	dir, err := c.store()
	if err != nil {
		return "", fmt.Errorf("%w: tpm2-pkcs11 store: %v", store.ErrUnavailable, err)
	}
	if c.Reset != nil {
		if err := c.Reset(); err != nil {
			return "", err
		}
	}
	cmd := exec.CommandContext(ctx, interpreter(tool), append([]string{"-c", ptoolStub, tool}, append(args, "--path", dir)...)...)
	cmd.Stdin = strings.NewReader(secret + "\n")
	cmd.Env = append(os.Environ(), c.env()...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "***")
		}
		if len(msg) > 400 {
			msg = msg[len(msg)-400:]
		}
		return "", fmt.Errorf("tpm2_ptool %s: %v: %s", args[0], err, msg)
	}
	return out.String(), nil
}

// interpreter is the Python of tpm2_ptool's "#!" line: the one its
// modules are installed for (not necessarily the first python3 on PATH).
func interpreter(script string) string {
	f, err := os.Open(script)
	if err == nil {
		defer f.Close()
		var b [128]byte
		n, _ := f.Read(b[:])
		if line, _, _ := strings.Cut(string(b[:n]), "\n"); strings.HasPrefix(line, "#!/") {
			if fields := strings.Fields(line[2:]); len(fields) > 0 {
				return fields[0]
			}
		}
	}
	return "python3"
}

var tokenLine = regexp.MustCompile(`(?m)label:\s*` + TPM2Token + `\s*$`)

// ensureToken creates the store's primary (a transient "tss2-engine-key"
// parent, the same SRK TSS2 PEM keys are wrapped under) and the certrenew
// token, whose user PIN is pin, unless they exist. The SO PIN is random
// and forgotten: a lost user PIN means enrolling again.
func (c *TPM2PKCS11) ensureToken(ctx context.Context, pin string) error {
	out, err := c.ptool(ctx, "", "listtokens", "--pid", "1")
	if err == nil && tokenLine.MatchString(out) {
		return nil
	}
	if _, err := c.ptool(ctx, "", "init", "--transient-parent", "tss2-engine-key"); err != nil {
		return fmt.Errorf("nss: tpm2-pkcs11 init: %w", err)
	}
	var so [16]byte
	rand.Read(so[:])
	// Only the user PIN goes through stdin; the SO PIN is random and
	// never used again, so its appearing as an argument reveals nothing.
	if _, err := c.ptool(ctx, pin, "addtoken", "--pid", "1", "--label", TPM2Token,
		"--sopin", hex.EncodeToString(so[:]), "--userpin", "@PIN@"); err != nil {
		return fmt.Errorf("nss: tpm2-pkcs11 addtoken: %w", err)
	}
	return nil
}

func (db *DB) installTPM(ctx context.Context, id store.Identity, k hsm.TSS2Key) error {
	c := db.TPM
	if c == nil {
		c = &TPM2PKCS11{}
	}
	pin, ok := hsm.PINFrom(ctx)
	if !ok {
		return fmt.Errorf("nss: the tpm2-pkcs11 token needs its PIN to add a TPM key: %w", hsm.ErrPINIncorrect)
	}
	if err := c.ensureToken(ctx, pin); err != nil {
		return err
	}
	kid, err := KeyID(id.Cert)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "certrenew-tpm")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	blob, certFile := filepath.Join(tmp, "key.pem"), filepath.Join(tmp, "cert.pem")
	if err := os.WriteFile(blob, k.TSS2PEM(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Cert.Raw}), 0o600); err != nil {
		return err
	}
	if _, err := c.ptool(ctx, pin, "link", "--label", TPM2Token, "--userpin", "@PIN@", "--key-label", id.Nickname, "--id", kid, blob); err != nil {
		if strings.Contains(err.Error(), "PIN") || strings.Contains(err.Error(), "pin") {
			return fmt.Errorf("nss: link TPM key: %w: %v", hsm.ErrPINIncorrect, err)
		}
		return fmt.Errorf("nss: link TPM key into tpm2-pkcs11: %w", err)
	}
	if _, err := c.ptool(ctx, "", "addcert", "--label", TPM2Token, "--key-id", ptoolID(kid), certFile); err != nil {
		return fmt.Errorf("nss: add certificate to tpm2-pkcs11: %w", err)
	}
	return db.RegisterModule(ctx, c.module())
}

// ptoolID is how tpm2-pkcs11's store writes the CKA_ID that `tpm2_ptool
// link --id kid` gives a key: the hex of kid's characters (its CKA_ID is
// the text of kid, not the bytes it spells). `addcert --key-id` and
// `listobjects` use that form.
func ptoolID(kid string) string { return hex.EncodeToString([]byte(kid)) }

// objects returns the tpm2-pkcs11 object ids (store row ids) whose
// CKA_ID is kid's, from `tpm2_ptool listobjects` (YAML, one "- CKA_CLASS:
// ..." entry per object with "CKA_ID" and "id").
func (c *TPM2PKCS11) objects(ctx context.Context, kid string) ([]string, bool, error) {
	dir, err := c.store()
	if err != nil {
		return nil, false, err
	}
	if _, err := os.Stat(filepath.Join(dir, "tpm2_pkcs11.sqlite3")); err != nil {
		return nil, false, nil
	}
	out, err := c.ptool(ctx, "", "listobjects", "--label", TPM2Token)
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

func (db *DB) verifyTPM(ctx context.Context, id store.Identity) error {
	c := db.TPM
	if c == nil {
		c = &TPM2PKCS11{}
	}
	has, err := db.HasModule(ctx, c.module())
	if err != nil {
		return err
	}
	if !has {
		return fmt.Errorf("%w: tpm2-pkcs11 is not registered in %s", store.ErrNotVerified, db.Dir)
	}
	kid, err := KeyID(id.Cert)
	if err != nil {
		return err
	}
	objs, hasCert, err := c.objects(ctx, kid)
	if err != nil {
		return err
	}
	if len(objs) < 2 || !hasCert {
		return fmt.Errorf("%w: the TPM key and certificate %x are not in the tpm2-pkcs11 token", store.ErrNotVerified, id.Cert.SerialNumber)
	}
	return db.verifyChain(ctx, id.Cert)
}

// removeTPM deletes the tpm2-pkcs11 objects (key pair and certificate) of
// cert; the TPM blob itself is deleted by the key backend.
func (db *DB) removeTPM(ctx context.Context, cert *x509.Certificate) error {
	c := db.TPM
	if c == nil {
		c = &TPM2PKCS11{}
	}
	kid, err := KeyID(cert)
	if err != nil {
		return err
	}
	objs, _, err := c.objects(ctx, kid)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if _, err := c.ptool(ctx, "", "objdel", o); err != nil {
			return fmt.Errorf("nss: delete tpm2-pkcs11 object: %w", err)
		}
	}
	return nil
}
