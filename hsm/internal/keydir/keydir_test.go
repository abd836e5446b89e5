package keydir

import (
	"errors"
	"os"
	"testing"

	"github.com/certrenew/certrenew/hsm"
)

func TestDir(t *testing.T) {
	d := Dir{Path: t.TempDir() + "/keys", Scheme: "soft", Ext: ".key"}
	if l, err := d.List(); err != nil || len(l) != 0 {
		t.Fatalf("a directory not made yet lists %v, %v", l, err)
	}
	id := hsm.NewKeyID()
	if err := d.Write(id, []byte("k")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(d.File(id)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st, err)
	}
	if b, err := d.Read(d.URI(id)); err != nil || string(b) != "k" {
		t.Errorf("read: %q %v", b, err)
	}
	// A half-written file of another id is not a key.
	other := hsm.NewKeyID()
	if err := os.WriteFile(d.File(other)+".tmp", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if l, _ := d.List(); len(l) != 1 || l[0] != "soft:"+id {
		t.Errorf("list %v", l)
	}
	if err := d.Reclaim(other); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(d.File(other) + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Error("reclaim left the half-written file")
	}
	if err := d.Delete(d.URI(id)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(d.URI(id)); !errors.Is(err, hsm.ErrNotFound) {
		t.Errorf("read after delete: %v", err)
	}
	for _, bad := range []string{"tpm:" + id, "soft:" + id[:31], "soft:" + id[:31] + "g"} {
		if _, err := d.ID(bad); !errors.Is(err, hsm.ErrMalformedURI) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
