package bridge

import (
	"os"
	"strings"
	"testing"
)

// TestListCacheKeyIsTheWorkers keeps the key the UI reads the cached list
// from equal to the one the worker writes it under.
func TestListCacheKeyIsTheWorkers(t *testing.T) {
	js, err := os.ReadFile("../../extension/background.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `const LIST_CACHE_KEY = "`+ListCacheKey+`";`) {
		t.Fatalf("extension/background.js does not cache the list under %q", ListCacheKey)
	}
}
