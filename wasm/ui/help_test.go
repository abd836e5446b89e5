package ui

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
)

// slug is GitHub's anchor for a heading: lower case, punctuation other
// than hyphens dropped, spaces to hyphens.
func slug(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = regexp.MustCompile(`[^a-z0-9 \-]`).ReplaceAllString(h, "")
	return strings.ReplaceAll(h, " ", "-")
}

// TestHelpAnchors: every help link lands on a section of
// docs/troubleshooting.md, and each section lists the codes that link to it.
func TestHelpAnchors(t *testing.T) {
	b, err := os.ReadFile("../../docs/troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	var cur string
	for _, line := range strings.Split(string(b), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			cur = slug(h)
			sections[cur] = ""
			continue
		}
		if cur != "" {
			sections[cur] += line + "\n"
		}
	}
	if _, ok := sections[otherErrors]; !ok {
		t.Errorf("no section %q", otherErrors)
	}
	for _, h := range helpAnchors {
		c, a := h.code, h.anchor
		body, ok := sections[a]
		if !ok {
			t.Errorf("%s links to #%s, which docs/troubleshooting.md lacks", c, a)
			continue
		}
		if !strings.Contains(body, "`"+string(c)+"`") {
			t.Errorf("section #%s does not name the code %s", a, c)
		}
	}
	for _, c := range errcode.Declared() {
		if !strings.HasPrefix(helpURL(c), docsURL+"troubleshooting.md#") {
			t.Errorf("%s: help URL %s", c, helpURL(c))
		}
	}
}

func TestSlug(t *testing.T) {
	if s := slug("The portal's identity could not be verified"); s != "the-portals-identity-could-not-be-verified" {
		t.Error(s)
	}
}
