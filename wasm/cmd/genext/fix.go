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

// fixAppJS removes the service-worker registration: an extension page may
// not register app-worker.js, and the extension's own background worker is
// the only worker it has.
func fixAppJS(js []byte) ([]byte, error) {
	const call = "goappInitServiceWorker();\n"
	if bytes.Count(js, []byte(call)) != 1 {
		return nil, errors.New("app.js: service-worker registration call not found exactly once")
	}
	js = bytes.Replace(js, []byte(call), nil, 1)
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
