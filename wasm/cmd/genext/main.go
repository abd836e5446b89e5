// Command genext writes the go-app pages of the certrenew extension:
// popup.html and app.html (the UI) and bare.html (the benchmark baseline),
// with the script and style files they load, made fit for a Manifest V3
// extension page. See fix.go for what is changed and why.
//
// Usage: genext -out DIR [-wasm-exec FILE]
//
// The .wasm files themselves are built separately into DIR/web/.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/certrenew/certrenew/wasm/bare"
	"github.com/certrenew/certrenew/wasm/ui"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	out := flag.String("out", "", "extension output directory")
	wasmExec := flag.String("wasm-exec", filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"),
		"wasm_exec.js of the Go toolchain that builds the .wasm files")
	extDir := flag.String("ext", "extension", "the extension's source directory (early.js)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: genext -out DIR [-wasm-exec FILE]")
		os.Exit(2)
	}
	ui.Routes()
	bare.Routes()
	if err := generate(*out, *wasmExec, *extDir); err != nil {
		fmt.Fprintln(os.Stderr, "genext:", err)
		os.Exit(1)
	}
}

// page is one go-app app packaged into the extension.
type page struct {
	routes  []string // pages to keep, e.g. "/popup.html"
	appJS   string   // name of its app.js in the extension
	wasm    string   // path of its .wasm in the extension
	prelude string   // file whose script goes first in its app.js, or ""
}

var pages = []page{
	// early.js connects to the worker before app.js fetches the WASM (see
	// extension/early.js). It goes into app.js rather than a <script> of
	// its own: a separate file is one more fetch that holds the parser
	// (measured: the page's DOMContentLoaded 15–20 ms later). The baseline
	// page has no worker to talk to.
	{routes: []string{"/popup.html", "/app.html", "/options.html"}, appJS: "app.js", wasm: "/web/app.wasm", prelude: "early.js"},
	{routes: []string{bare.Route}, appJS: "bare-app.js", wasm: "/web/bare.wasm"},
}

func handler(p page) *app.Handler {
	const icon = "/icons/icon128.png"
	return &app.Handler{
		Name:        "certrenew",
		ShortName:   "certrenew",
		Title:       "certrenew",
		Description: "Renew client certificates kept in your TPM or security token.",
		Lang:        "en",
		Icon:        app.Icon{Default: icon, Large: icon, SVG: icon, AppleTouch: icon},
		// No "{progress}": the label is static text in a static page.
		LoadingLabel:    " ",
		BackgroundColor: "#ffffff",
		ThemeColor:      "#1d4ed8",
		Styles:          []string{"/web/certrenew.css"},
		// A fixed version keeps the output reproducible; nothing uses it to
		// update (there is no app worker).
		Version:   "certrenew",
		Resources: wasmAt{ResourceProvider: app.LocalDir(""), wasm: p.wasm},
	}
}

// wasmAt is the default resource layout with the .wasm at another path.
type wasmAt struct {
	app.ResourceProvider
	wasm string
}

func (w wasmAt) AppWASM() string { return w.wasm }

func generate(out, wasmExec, extDir string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, p := range pages {
		tmp, err := os.MkdirTemp("", "genext-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := app.GenerateStaticWebsite(tmp, handler(p), p.routes...); err != nil {
			return fmt.Errorf("generating %v: %w", p.routes, err)
		}
		if err := p.collect(tmp, out, extDir); err != nil {
			return err
		}
	}
	js, err := os.ReadFile(wasmExec)
	if err != nil {
		return fmt.Errorf("wasm_exec.js must come from the Go that builds the .wasm: %w", err)
	}
	return os.WriteFile(filepath.Join(out, "wasm_exec.js"), js, 0o644)
}

// collect copies the page's files from the generated site into out,
// applying the extension fixes.
func (p page) collect(gen, out, extDir string) error {
	js, err := os.ReadFile(filepath.Join(gen, "app.js"))
	if err != nil {
		return err
	}
	js, err = fixAppJS(js)
	if err != nil {
		return err
	}
	if p.prelude != "" {
		pre, err := os.ReadFile(filepath.Join(extDir, p.prelude))
		if err != nil {
			return err
		}
		js = append(append(pre, '\n'), js...)
	}
	if err := os.WriteFile(filepath.Join(out, p.appJS), js, 0o644); err != nil {
		return err
	}
	css, err := os.ReadFile(filepath.Join(gen, "app.css"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "app.css"), css, 0o644); err != nil {
		return err
	}
	for _, r := range p.routes {
		name := filepath.Base(r)
		html, err := os.ReadFile(filepath.Join(gen, name))
		if err != nil {
			return err
		}
		html, err = fixHTML(html, p.appJS)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name), html, 0o644); err != nil {
			return err
		}
	}
	return nil
}
