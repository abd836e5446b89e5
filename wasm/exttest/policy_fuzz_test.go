package exttest

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
)

// policyDriver runs extension/settings.js in node and answers, for each
// line of JSON it reads, parseManaged's result (or the exception it threw).
const policyDriver = `
const vm = require("vm"), fs = require("fs"), readline = require("readline");
globalThis.chrome = { runtime: { getURL: () => "chrome-extension://test/" } };
vm.runInThisContext(fs.readFileSync(process.argv[1], "utf8"));
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  let out;
  try { out = { ok: parseManaged(JSON.parse(line)) }; } catch (e) { out = { err: String(e) }; }
  process.stdout.write(JSON.stringify(out) + "\n");
});`

// FuzzParseManaged feeds the extension's managed-policy parser
// (settings.js parseManaged: the policy an organisation pushes, outside
// input) arbitrary JSON and holds what it must keep: no exception, only
// known keys, each of its shape, and removalAllowed only as the policy's
// own boolean.
func FuzzParseManaged(f *testing.F) {
	node := testenv.Need(f, "node")[0]
	cmd := exec.Command(node, "-e", policyDriver, filepath.Join(repoRoot, "extension", "settings.js"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		f.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		f.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { stdin.Close(); cmd.Wait() })
	lines := bufio.NewReaderSize(stdout, 1<<20)
	parse := func(t *testing.T, in []byte) (map[string]json.RawMessage, string) {
		if _, err := stdin.Write(append(in, '\n')); err != nil {
			t.Fatal(err)
		}
		line, err := lines.ReadBytes('\n')
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		var r struct {
			OK  map[string]json.RawMessage `json:"ok"`
			Err string                     `json:"err"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("driver answered %q: %v", line, err)
		}
		return r.OK, r.Err
	}

	for _, s := range []string{
		`{"removalAllowed": false}`, `{"removalAllowed": "false"}`, `{"removalAllowed": 0}`, `{"removalAllowed": true, "hardwareRequired": true}`,
		`{"portalURLs": ["https://a.example/x", "http://b.example", 7, "https://u:p@c.example"], "warningDays": [3, 3, -1, 1.5, 4000, 30]}`,
		`{"allowedBackends": ["tpm", "evil", "soft"], "serverTrustCAs": ["AA:` + strings.Repeat("0", 62) + `", "zz"]}`,
		`null`, `[]`, `"text"`, `{"__proto__": {"removalAllowed": false}}`, `{"constructor": 1}`,
	} {
		f.Add(s)
	}
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	known := []string{"portalURLs", "warningDays", "allowedBackends", "hardwareRequired", "serverTrustCAs", "removalAllowed"}
	f.Fuzz(func(t *testing.T, s string) {
		in := []byte(s)
		if !json.Valid(in) || strings.ContainsAny(s, "\n\r\u2028\u2029") {
			in, _ = json.Marshal(s) // a string policy, on one line
		}
		out, exc := parse(t, in)
		if exc != "" {
			t.Fatalf("parseManaged(%s) threw %s", in, exc)
		}
		for k, v := range out {
			if !slices.Contains(known, k) {
				t.Errorf("unknown key %q kept", k)
			}
			var ok bool
			switch k {
			case "portalURLs":
				var us []string
				ok = json.Unmarshal(v, &us) == nil
				for _, u := range us {
					rest, https := strings.CutPrefix(u, "https://")
					ok = ok && https && rest != "" && !strings.ContainsAny(rest, "/@")
				}
			case "warningDays":
				var ds []int
				ok = json.Unmarshal(v, &ds) == nil && len(ds) > 0 && slices.IsSortedFunc(ds, func(a, b int) int { return b - a })
				for i, d := range ds {
					ok = ok && d >= 0 && d <= 3650 && (i == 0 || ds[i-1] != d)
				}
			case "allowedBackends":
				var bs []string
				ok = json.Unmarshal(v, &bs) == nil && len(bs) > 0
				for _, b := range bs {
					ok = ok && slices.Contains([]string{"auto", "tpm", "pkcs11", "soft"}, b)
				}
			case "serverTrustCAs":
				var fs []string
				ok = json.Unmarshal(v, &fs) == nil
				for _, fp := range fs {
					ok = ok && hex64.MatchString(fp)
				}
			case "hardwareRequired", "removalAllowed":
				var b bool
				ok = json.Unmarshal(v, &b) == nil
			}
			if !ok {
				t.Errorf("%s kept as %s from %s", k, v, in)
			}
		}
		// removalAllowed is the policy's own boolean, or absent.
		var pol map[string]json.RawMessage
		_ = json.Unmarshal(in, &pol)
		var want bool
		wantSet := pol != nil && json.Unmarshal(pol["removalAllowed"], &want) == nil && pol["removalAllowed"] != nil
		got, gotSet := out["removalAllowed"]
		if wantSet != gotSet || (gotSet && string(got) != map[bool]string{true: "true", false: "false"}[want]) {
			t.Errorf("removalAllowed %s (set %v) from %s", got, gotSet, in)
		}
	})
}
