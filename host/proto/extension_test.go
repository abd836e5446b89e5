package proto

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestExtensionSpeaksThisMajor keeps the worker's protocol major
// (extension/background.js) equal to Version's: the two sides are built
// from one tree, and a mismatch is the error users see when they are not.
func TestExtensionSpeaksThisMajor(t *testing.T) {
	js, err := os.ReadFile("../../extension/background.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const PROTOCOL_MAJOR = (\d+);`).FindSubmatch(js)
	if m == nil {
		t.Fatal("extension/background.js has no PROTOCOL_MAJOR")
	}
	major, _, _ := strings.Cut(Version, ".")
	if string(m[1]) != major {
		t.Fatalf("the extension speaks protocol %s.x, the host %s", m[1], Version)
	}
}
