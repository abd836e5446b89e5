package nss

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
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

// ptoolBatchStub runs several tpm2_ptool commands in one Python process:
// the PIN on stdin's first line, then a JSON list of argument lists. Each
// command's output goes to stdout as one line, ptoolResult and the output
// as a JSON string (anything else on stdout, say from a child process, is
// not taken for a result); the first command that fails ends the process
// with its status, its message on stderr.
const ptoolBatchStub = `import contextlib, io, json, runpy, sys, traceback
pin = sys.stdin.readline().rstrip("\n")
cmds = json.loads(sys.stdin.readline())
tool, out = sys.argv[1], sys.stdout
for args in cmds:
    sys.argv = [tool] + [a.replace("@PIN@", pin) for a in args]
    buf, code = io.StringIO(), 0
    try:
        with contextlib.redirect_stdout(buf):
            runpy.run_path(tool, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            if not isinstance(e.code, int):
                print(e.code, file=sys.stderr)
            code = e.code if isinstance(e.code, int) else 1
    except Exception:
        traceback.print_exc()
        code = 1
    if code:
        sys.exit(code)
    out.write("certrenew-ptool-result " + json.dumps(buf.getvalue()) + "\n")
    out.flush()
`

const ptoolResult = "certrenew-ptool-result "

// ptool runs one tpm2_ptool command; secret, if any, replaces @PIN@.
func (c *TPM2PKCS11) ptool(ctx context.Context, secret string, args ...string) (string, error) {
	outs, err := c.ptools(ctx, secret, args)
	if err != nil {
		return "", err
	}
	return outs[0], nil
}

// ptools runs tpm2_ptool commands in order and returns their outputs,
// stopping at the first that fails (the outputs before it are returned with
// the error). Starting tpm2_ptool costs ~0.5 s of Python imports, so the
// commands share one process; with Reset (a TPM without a resource
// manager) each gets its own, after Reset.
func (c *TPM2PKCS11) ptools(ctx context.Context, secret string, cmds ...[]string) ([]string, error) {
	tool, err := exec.LookPath("tpm2_ptool")
	if err != nil {
		return nil, fmt.Errorf("%w: tpm2_ptool not found (install libtpm2-pkcs11-tools)", store.ErrUnavailable)
	}
	dir, err := c.store()
	if err != nil {
		return nil, fmt.Errorf("%w: tpm2-pkcs11 store: %v", store.ErrUnavailable, err)
	}
	batches := [][][]string{cmds}
	if c.Reset != nil {
		batches = batches[:0]
		for _, a := range cmds {
			batches = append(batches, [][]string{a})
		}
	}
	var outs []string
	for _, batch := range batches {
		if c.Reset != nil {
			if err := c.Reset(); err != nil {
				return outs, err
			}
		}
		got, err := c.runPtool(ctx, interpreter(tool), tool, dir, secret, batch)
		outs = append(outs, got...)
		if err != nil {
			return outs, err
		}
	}
	return outs, nil
}

// errPtoolAuth marks a tpm2_ptool failure that the TPM answered with an
// authorization error: the token's user PIN did not unseal its wrapping key.
var errPtoolAuth = errors.New("the TPM refused the authorization (wrong PIN)")

// tpmAuthFail is how tpm2-tss reports TPM_RC_AUTH_FAIL / TPM_RC_BAD_AUTH
// (format-one response codes 0x98e/0x9a2 for the first session, and the
// same for other sessions and handles).
var tpmAuthFail = regexp.MustCompile(`(?i)ErrorCode \(0x0000(?:0[89a-f]|1[0-9a-f])(?:8e|a2)\)|authorization failure|TPM_RC_AUTH_FAIL|TPM_RC_BAD_AUTH`)

func (c *TPM2PKCS11) runPtool(ctx context.Context, python, tool, dir, secret string, cmds [][]string) ([]string, error) {
	withPath := make([][]string, len(cmds))
	for i, a := range cmds {
		withPath[i] = append(append([]string(nil), a...), "--path", dir)
	}
	list, err := json.Marshal(withPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, python, "-c", ptoolBatchStub, tool)
	cmd.Stdin = strings.NewReader(secret + "\n" + string(list) + "\n")
	cmd.Env = append(os.Environ(), c.env()...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var outs []string
	for _, line := range strings.Split(out.String(), "\n") {
		var s string
		if v, ok := strings.CutPrefix(line, ptoolResult); ok && json.Unmarshal([]byte(v), &s) == nil {
			outs = append(outs, s)
		}
	}
	if runErr == nil && len(outs) == len(cmds) {
		return outs, nil
	}
	if runErr == nil {
		runErr = fmt.Errorf("%d of %d results", len(outs), len(cmds))
	}
	failed := cmds[min(len(outs), len(cmds)-1)][0]
	msg := strings.TrimSpace(errb.String())
	if secret != "" {
		msg = strings.ReplaceAll(msg, secret, "***")
	}
	// The whole of stderr says whether the TPM refused the PIN; only its
	// end goes into the error.
	auth := tpmAuthFail.MatchString(msg)
	if len(msg) > 400 {
		msg = msg[len(msg)-400:]
	}
	if auth {
		return outs, fmt.Errorf("tpm2_ptool %s: %w: %v: %s", failed, errPtoolAuth, runErr, msg)
	}
	return outs, fmt.Errorf("tpm2_ptool %s: %v: %s", failed, runErr, msg)
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

// makeToken creates the store's primary (a transient "tss2-engine-key"
// parent, the same SRK TSS2 PEM keys are wrapped under) and the certrenew
// token, whose user PIN is pin. The SO PIN is random and forgotten: a lost
// user PIN means enrolling again.
func (c *TPM2PKCS11) makeToken(ctx context.Context, pin string) error {
	var so [16]byte
	rand.Read(so[:])
	// Only the user PIN goes through stdin; the SO PIN is random and
	// never used again, so its appearing as an argument reveals nothing.
	if outs, err := c.ptools(ctx, pin,
		[]string{"init", "--transient-parent", "tss2-engine-key"},
		[]string{"addtoken", "--pid", "1", "--label", TPM2Token, "--sopin", hex.EncodeToString(so[:]), "--userpin", "@PIN@"},
	); err != nil {
		step := "init"
		if len(outs) > 0 {
			step = "addtoken"
		}
		return fmt.Errorf("nss: tpm2-pkcs11 %s: %w", step, err)
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
	link := []string{"link", "--label", TPM2Token, "--userpin", "@PIN@", "--key-label", id.Nickname, "--id", kid, blob}
	addcert := []string{"addcert", "--label", TPM2Token, "--key-id", ptoolID(kid), certFile}
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
	case len(outs) > 1:
		return fmt.Errorf("nss: add certificate to tpm2-pkcs11: %w", err)
	case errors.Is(err, errPtoolAuth):
		return fmt.Errorf("nss: link TPM key: %w: %v", hsm.ErrPINIncorrect, err)
	default:
		return fmt.Errorf("nss: link TPM key into tpm2-pkcs11: %w", err)
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
	if len(objs) == 0 {
		return nil
	}
	dels := make([][]string, len(objs))
	for i, o := range objs {
		dels[i] = []string{"objdel", o}
	}
	if _, err := c.ptools(ctx, "", dels...); err != nil {
		return fmt.Errorf("nss: delete tpm2-pkcs11 object: %w", err)
	}
	return nil
}
