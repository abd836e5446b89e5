package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/wasm/bare"
	"github.com/certrenew/certrenew/wasm/ui"
)

func TestFixAppJS(t *testing.T) {
	const in = "goappInitServiceWorker();\ngoappInitWebAssembly();\n" +
		"const wasm = await instantiateStreaming(\n  fetchWithProgress(\"/web/app.wasm\", showProgress),\n  go.importObject\n);\n" +
		"async function fetchWithProgress(url, progess) {}\n"
	out, err := fixAppJS([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "goappInitServiceWorker();") {
		t.Error("service-worker registration left in")
	}
	if !strings.Contains(s, "instantiateStreaming(\n  fetch(\"/web/app.wasm\"),\n") {
		t.Errorf("the WASM response is not handed over as fetched:\n%s", s)
	}
	if strings.Contains(s, "showProgress)") {
		t.Errorf("progress copy still called:\n%s", s)
	}

	for name, js := range map[string]string{
		"no download":     "goappInitServiceWorker();\n",
		"two downloads":   "goappInitServiceWorker();\nfetchWithProgress(\"/a.wasm\", showProgress)\nfetchWithProgress(\"/b.wasm\", showProgress)\n",
		"no registration": "fetchWithProgress(\"/a.wasm\", showProgress)\n",
	} {
		if _, err := fixAppJS([]byte(js)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestGenerate runs genext on go-app's own output: each page's app.js
// fetches its own .wasm directly, once, and the UI's starts with early.js.
func TestGenerate(t *testing.T) {
	ui.Routes()
	bare.Routes()
	out := t.TempDir()
	wasmExec := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(wasmExec); err != nil {
		wasmExec = filepath.Join(runtime.GOROOT(), "misc", "wasm", "wasm_exec.js")
	}
	if err := generate(out, wasmExec, filepath.Join("..", "..", "..", "extension")); err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		b, err := os.ReadFile(filepath.Join(out, p.appJS))
		if err != nil {
			t.Fatal(err)
		}
		js := string(b)
		if n := strings.Count(js, `fetch("`+p.wasm+`")`); n != 1 {
			t.Errorf("%s: fetch(%q) %d times, want 1", p.appJS, p.wasm, n)
		}
		if strings.Contains(js, "showProgress)") {
			t.Errorf("%s: still copies the download for progress", p.appJS)
		}
		if p.prelude != "" && !strings.HasPrefix(js, "// early.js") {
			t.Errorf("%s does not start with %s", p.appJS, p.prelude)
		}
	}
}
