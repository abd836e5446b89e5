package tpm_test

import (
	"errors"
	"testing"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/google/go-tpm/tpm2"
)

// TestConformance runs the suite against a fresh swtpm per subtest.
func TestConformance(t *testing.T) {
	hsmtest.Run(t, func(t *testing.T) *hsmtest.Env {
		sw := hsmtest.StartSWTPM(t)
		e := env(t, tpm.DialSocket(sw.Socket), sw.Stop)
		e.FillMemory = func(t *testing.T) func() { return fill(t, sw.Socket) }
		return e
	})
}

// env is the suite's environment for a TPM reached through open, whose
// RemoveDevice is remove; the backends keep their blobs in one directory.
func env(t *testing.T, open tpm.Opener, remove func()) *hsmtest.Env {
	dir := t.TempDir()
	e := hsmtest.Reopening(t, func() hsm.Backend { return tpm.NewWithOpener(dir, open) })
	e.RSA = true
	e.RemoveDevice = func(*testing.T) { remove() }
	return e
}

// fill loads primary keys from another connection until the TPM reports
// TPM_RC_OBJECT_MEMORY; swtpm has no resource manager, so they stay loaded
// after that connection closes.
func fill(t *testing.T, socket string) func() {
	t.Helper()
	conn, err := tpm.DialSocket(socket)()
	if err != nil {
		t.Fatal(err)
	}
	var handles []tpm2.TPMHandle
	for i := 0; ; i++ {
		rsp, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHOwner, InPublic: tpm2.New2B(tpm2.ECCSRKTemplate)}.Execute(conn)
		if errors.Is(err, tpm2.TPMRCObjectMemory) {
			break
		}
		if err != nil || i > 64 {
			t.Fatalf("filling object memory: %v after %d objects", err, i)
		}
		handles = append(handles, rsp.ObjectHandle)
	}
	conn.Close()
	t.Logf("object memory full after %d transient objects", len(handles))
	return func() {
		conn, err := tpm.DialSocket(socket)()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, h := range handles {
			if _, err := (tpm2.FlushContext{FlushHandle: h}).Execute(conn); err != nil {
				t.Fatalf("flush %v: %v", h, err)
			}
		}
	}
}

// TestConformanceTabrmd runs the suite through tpm2-abrmd, the user-space
// resource manager, in front of a fresh swtpm per subtest. Object memory
// is not filled here: swapping objects per connection is what a resource
// manager is for.
func TestConformanceTabrmd(t *testing.T) {
	hsmtest.Run(t, func(t *testing.T) *hsmtest.Env {
		rm := hsmtest.StartTabrmd(t, hsmtest.StartSWTPM(t))
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", rm.BusAddress)
		c, err := tpm.ParseTabrmdConfig("bus_type=session")
		if err != nil {
			t.Fatal(err)
		}
		return env(t, tpm.DialTabrmd(c), rm.Stop)
	})
}

func TestParseTabrmdConfig(t *testing.T) {
	for _, tc := range []struct {
		in, name, bus string
		ok            bool
	}{
		{"", "com.intel.tss2.Tabrmd", "system", true},
		{"bus_type=session", "com.intel.tss2.Tabrmd", "session", true},
		{"bus_name=org.example.Tpm,bus_type=system", "org.example.Tpm", "system", true},
		{"bus_type=tcp", "", "", false},
		{"bus_type", "", "", false},
		{"device=/dev/tpm0", "", "", false},
	} {
		c, err := tpm.ParseTabrmdConfig(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && (c.BusName != tc.name || c.BusType != tc.bus) {
			t.Errorf("%q: got %+v", tc.in, c)
		}
	}
}
