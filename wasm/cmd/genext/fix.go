package main

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
)

// The fixes below make go-app v9.8.0's generated site work as Manifest V3
// extension pages (see DESIGN.md, "Checked facts about go-app v9 in an MV3
// extension"). Each fix fails loudly when its target is missing, so a
// go-app change cannot slip through silently.

// wasmFetch is go-app's WASM download: a fetch whose body app.js copies,
// chunk by chunk, into a second stream to count progress for the loading
// label.
var wasmFetch = regexp.MustCompile(`fetchWithProgress\(("[^"]+"), showProgress\)`)

// fixAppJS removes the service-worker registration: an extension page may
// not register app-worker.js, and the extension's own background worker is
// the only worker it has.
//
// It also hands the WASM response to WebAssembly.instantiateStreaming as it
// is. The pages show no progress (the label is static), and the copy costs
// the page's main thread JavaScript work on every chunk: measured here, the
// UI's instantiation took 8 ms rather than 21 ms longer than the baseline
// page's, and both pages started 10–20 ms sooner.
func fixAppJS(js []byte) ([]byte, error) {
	const call = "goappInitServiceWorker();\n"
	if bytes.Count(js, []byte(call)) != 1 {
		return nil, errors.New("app.js: service-worker registration call not found exactly once")
	}
	js = bytes.Replace(js, []byte(call), nil, 1)
	if n := len(wasmFetch.FindAllIndex(js, -1)); n != 1 {
		return nil, fmt.Errorf("app.js: the WASM download (fetchWithProgress) found %d times, want once", n)
	}
	js = wasmFetch.ReplaceAll(js, []byte("fetch($1)"))
	if bytes.Contains(js, []byte("{progress}")) && bytes.Contains(js, []byte(`goappLoadingLabel = "{progress}`)) {
		return nil, errors.New("app.js: loading label still shows {progress}")
	}
	return js, nil
}

// go-app prints attributes in map order, so the patterns ignore order.
var (
	manifestLink = regexp.MustCompile(`\s*<link\b[^>]*\brel="manifest"[^>]*>`)
	ogURL        = regexp.MustCompile(`\s*<meta\b[^>]*\bproperty="og:url"[^>]*>`)
	scriptTag    = regexp.MustCompile(`<script\b[^>]*>`)
	remoteRef    = regexp.MustCompile(`(?:src|href)="(?:https?:)?//`)
)

// fixHTML drops the web manifest link and the og:url (it holds the port
// of the generator's throwaway server), points the page at its app.js, and
// checks the result obeys the extension CSP: every script from a file, no
// remote resources.
func fixHTML(html []byte, appJS string) ([]byte, error) {
	if !manifestLink.Match(html) {
		return nil, errors.New("web manifest link not found")
	}
	html = manifestLink.ReplaceAll(html, nil)
	html = ogURL.ReplaceAll(html, nil)
	if appJS != "app.js" {
		old := []byte(`src="/app.js"`)
		if !bytes.Contains(html, old) {
			return nil, errors.New(`src="/app.js" not found`)
		}
		html = bytes.ReplaceAll(html, old, []byte(`src="/`+appJS+`"`))
	}
	for _, tag := range scriptTag.FindAll(html, -1) {
		if !bytes.Contains(tag, []byte(" src=")) {
			return nil, fmt.Errorf("inline script %s breaks the extension CSP", tag)
		}
	}
	if m := remoteRef.Find(html); m != nil {
		return nil, fmt.Errorf("remote resource %s", m)
	}
	return html, nil
}
