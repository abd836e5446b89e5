package proto_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/certrenew/certrenew/host/proto"
)

// The key backend names the host reports in its hello (proto.KeyBackends)
// are the ones the extension's settings accept (settings.js BACKENDS, the
// managed-storage schema) and the UI names: a name only one side knows is
// either never offered or offered and refused.
func TestKeyBackendsAgreeWithExtension(t *testing.T) {
	want := append([]string{"auto"}, proto.KeyBackends...)
	slices.Sort(want)

	js := read(t, "../../extension/settings.js")
	m := regexp.MustCompile(`const BACKENDS = \[([^\]]*)\];`).FindStringSubmatch(js)
	if m == nil {
		t.Fatal("settings.js: no BACKENDS")
	}
	if got := quoted(m[1]); !slices.Equal(got, want) {
		t.Errorf("settings.js BACKENDS %v, want %v", got, want)
	}

	var schema struct {
		Properties struct {
			AllowedBackends struct {
				Items struct{ Enum []string }
			}
		}
	}
	if err := json.Unmarshal([]byte(read(t, "../../extension/schema.json")), &schema); err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(schema.Properties.AllowedBackends.Items.Enum)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("schema.json allowedBackends %v, want %v", got, want)
	}

	// The settings screen lists the storages themselves; "auto" is no
	// storage, so it is not among them (it stays allowed).
	ui := read(t, "../../wasm/ui/settings.go")
	m = regexp.MustCompile(`var storages = \[\]string\{([^}]*)\}`).FindStringSubmatch(ui)
	if m == nil {
		t.Fatal("wasm/ui/settings.go: no storages")
	}
	storages := quoted(m[1])
	slices.Sort(storages)
	if wantStorages := slices.Sorted(slices.Values(proto.KeyBackends)); !slices.Equal(storages, wantStorages) {
		t.Errorf("UI storages %v, want %v", storages, wantStorages)
	}
	names := read(t, "../../wasm/i18n/more.go")
	// i18n.Table{key, value, key, value, …}
	langs := regexp.MustCompile(`BackendNames: Table\{([^}]*)\}`).FindAllStringSubmatch(names, -1)
	if len(langs) < 2 {
		t.Fatalf("wasm/i18n/more.go: %d BackendNames tables, want English and Japanese", len(langs))
	}
	for _, l := range langs {
		var keys []string
		for i, kv := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(l[1], -1) {
			if i%2 == 0 {
				keys = append(keys, kv[1])
			}
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("i18n BackendNames %v, want %v", keys, want)
		}
	}
}

func read(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// quoted returns the double-quoted strings in s, sorted.
func quoted(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}
