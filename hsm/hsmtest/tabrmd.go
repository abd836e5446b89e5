package hsmtest

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/godbus/dbus/v5"
)

// Tabrmd is a tpm2-abrmd resource manager in front of an swtpm, on a D-Bus
// session bus of its own: the way several programs (certrenew-host,
// tpm2_ptool, Chromium's tpm2-pkcs11) share one swtpm, which serves one
// client at a time and holds three transient objects.
type Tabrmd struct {
	BusAddress string // DBUS_SESSION_BUS_ADDRESS of the private bus
	TCTI       string // the TSS TCTI string for it ("tabrmd:bus_type=session")
	stop       func()
}

// Stop kills the daemon: the TPM behind it is out of reach.
func (r *Tabrmd) Stop() { r.stop() }

// Env returns the environment a client of this tabrmd needs.
func (r *Tabrmd) Env() []string {
	return []string{"DBUS_SESSION_BUS_ADDRESS=" + r.BusAddress, "TPM2_PKCS11_TCTI=" + r.TCTI, "TPM2TOOLS_TCTI=" + r.TCTI}
}

// StartTabrmdTPM starts an swtpm behind tpm2-abrmd (StartTabrmd), points
// the test's D-Bus session at it, and returns the TPM device its TCTI names.
func StartTabrmdTPM(t testing.TB) tpm.Device {
	t.Helper()
	rm := StartTabrmd(t, StartSWTPM(t))
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", rm.BusAddress)
	dev, err := tpm.ParseDevice(rm.TCTI)
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// StartTabrmd starts a private D-Bus session bus and tpm2-abrmd on it,
// connected to sw, and returns once the daemon owns its bus name. From then
// on sw must be reached only through the daemon. Both stop at cleanup.
func StartTabrmd(t testing.TB, sw *SWTPM) *Tabrmd {
	t.Helper()
	testenv.Need(t, "dbus-daemon", "tpm2-abrmd")
	dir := ShortTempDir(t)
	bus := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile",
		"--address=unix:path="+filepath.Join(dir, "bus"), "--print-address=1")
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var busErr bytes.Buffer
	bus.Stderr = &busErr
	if err := bus.Start(); err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	// dbus-daemon prints its address once it listens.
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon did not print its address: %v: %s", err, busErr.String())
	}
	r := &Tabrmd{BusAddress: strings.TrimSpace(addr), TCTI: "tabrmd:bus_type=session"}

	conn, err := dbus.Connect(r.BusAddress)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	defer conn.Close()
	const name = "com.intel.tss2.Tabrmd"
	if err := conn.AddMatchSignal(dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, name)); err != nil {
		t.Fatal(err)
	}
	owned := make(chan *dbus.Signal, 4)
	conn.Signal(owned)

	args := []string{"--session", "--tcti=swtpm:path=" + sw.Socket, "--flush-all"}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root")
	}
	abrmd := exec.Command("tpm2-abrmd", args...)
	abrmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+r.BusAddress)
	var abrmdErr bytes.Buffer
	abrmd.Stdout, abrmd.Stderr = &abrmdErr, &abrmdErr
	if err := abrmd.Start(); err != nil {
		t.Fatalf("tpm2-abrmd: %v", err)
	}
	exited := make(chan struct{})
	go func() { abrmd.Wait(); close(exited) }()
	r.stop = func() { abrmd.Process.Kill(); <-exited }
	t.Cleanup(r.stop)

	// Ready means the daemon owns its name: wait for the signal that says
	// so (after asking once, in case it came before the match was set).
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for !has {
		select {
		case s := <-owned:
			if len(s.Body) == 3 && s.Body[2] != "" {
				has = true
			}
		case <-exited:
			t.Fatalf("tpm2-abrmd exited at start: %s", abrmdErr.String())
		case <-ctx.Done():
			t.Fatalf("tpm2-abrmd did not take its bus name: %s", abrmdErr.String())
		}
	}
	// It may own the name a moment before it exports the object clients
	// call: ready means the object answers with its interface. There is
	// no signal for that, so it is polled (bounded by the same deadline).
	for {
		var xml string
		err := conn.Object(name, "/com/intel/tss2/Tabrmd/Tcti").Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&xml)
		if err == nil && strings.Contains(xml, "com.intel.tss2.TctiTabrmd") {
			return r
		}
		select {
		case <-exited:
			t.Fatalf("tpm2-abrmd exited at start: %s", abrmdErr.String())
		case <-ctx.Done():
			t.Fatalf("tpm2-abrmd did not export its object: %v %s", err, abrmdErr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}
