package tpm2pkcs11

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
)

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
func (c *Config) ptool(ctx context.Context, secret string, args ...string) (string, error) {
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
func (c *Config) ptools(ctx context.Context, secret string, cmds ...[]string) ([]string, error) {
	tool, err := exec.LookPath("tpm2_ptool")
	if err != nil {
		return nil, fmt.Errorf("%w: tpm2_ptool not found (install libtpm2-pkcs11-tools)", ErrUnavailable)
	}
	dir, err := c.store()
	if err != nil {
		return nil, fmt.Errorf("%w: tpm2-pkcs11 store: %v", ErrUnavailable, err)
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
var tpmAuthFail = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)ErrorCode \(0x0000(?:0[89a-f]|1[0-9a-f])(?:8e|a2)\)|authorization failure|TPM_RC_AUTH_FAIL|TPM_RC_BAD_AUTH`)
})

func (c *Config) runPtool(ctx context.Context, python, tool, dir, secret string, cmds [][]string) ([]string, error) {
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
	cmd.Env = append(os.Environ(), c.Env()...)
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
	return outs, ptoolError(cmds[min(len(outs), len(cmds)-1)][0], runErr, errb.String(), secret)
}

// ptoolError is the error of the failed command: its stderr's end, with
// the secret masked, marked errPtoolAuth where the TPM refused the PIN.
func ptoolError(failed string, runErr error, stderr, secret string) error {
	msg := strings.TrimSpace(stderr)
	if secret != "" {
		msg = strings.ReplaceAll(msg, secret, "***")
	}
	// The whole of stderr says whether the TPM refused the PIN; only its
	// end goes into the error.
	auth := tpmAuthFail().MatchString(msg)
	if len(msg) > 400 {
		msg = msg[len(msg)-400:]
	}
	if auth {
		return fmt.Errorf("tpm2_ptool %s: %w: %v: %s", failed, errPtoolAuth, runErr, msg)
	}
	return fmt.Errorf("tpm2_ptool %s: %v: %s", failed, runErr, msg)
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
