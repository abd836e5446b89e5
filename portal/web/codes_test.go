package web

import (
	"os"
	"regexp"
	"testing"

	"github.com/certrenew/certrenew/errcode"
)

// Every declared code the renewal page explains has the page's texts in
// both languages, renew.js shows the same state for it (but the default,
// failed), and every code with texts of its own reads the same through T.
func TestEveryPageCodeExplained(t *testing.T) {
	js, err := os.ReadFile("static/renew.js")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range errcode.Declared() {
		if errcode.HasMessage(c) && (T("en", string(c)) != errcode.Message(c, "en") || T("ja", string(c)) != errcode.Message(c, "ja")) {
			t.Errorf("T(%q) is not errcode's text", c)
		}
		state := errcode.PageState(c)
		if state == "" {
			continue
		}
		n++
		if m := messages["renew_"+state]; m[0] == "" || m[1] == "" {
			t.Errorf("%s: page state %q has no texts", c, state)
		}
		if state == "failed" {
			continue
		}
		if !regexp.MustCompile(`\b` + string(c) + `: "` + state + `"`).Match(js) {
			t.Errorf("renew.js does not show state %q for %s", state, c)
		}
	}
	if n < 6 {
		t.Fatalf("only %d codes with a page state", n)
	}
}
