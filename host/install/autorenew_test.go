package install

import (
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
)

// fakeRunner records the tools the job would run and fails those named in
// fail.
type fakeRunner struct {
	calls []string
	fail  map[string]bool
}

func (f *fakeRunner) run(_ context.Context, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	if f.fail[name] || f.fail[name+" "+args[0]] {
		return []byte("no session"), errors.New("exit status 1")
	}
	return nil, nil
}

// The Linux job: a systemd user service and timer that systemd itself
// accepts (systemd-analyze verify, which also checks that ExecStart names
// an executable), for a host path with a space and a %, enabled with
// systemctl --user; removed again by Uninstall.
func TestAutoRenewSystemd(t *testing.T) {
	testenv.Need(t, "systemd-analyze")
	home := t.TempDir()
	binDir := filepath.Join(home, "my apps", "100%")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "certrenew-host")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := &fakeRunner{}
	a := AutoRenew{Env: Env{GOOS: "linux", Home: home}, Run: f.run}
	done, err := a.Install(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".config", "systemd", "user")
	service, timer := filepath.Join(dir, systemdUnit+".service"), filepath.Join(dir, systemdUnit+".timer")
	if len(done) != 3 || done[0] != service || done[1] != timer {
		t.Fatalf("install reported %q", done)
	}
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", service, timer).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	body, _ := os.ReadFile(service)
	if !strings.Contains(string(body), `ExecStart="`+strings.ReplaceAll(bin, "%", "%%")+`" renew --due`) {
		t.Fatalf("service:\n%s", body)
	}
	want := []string{"systemctl --user daemon-reload", "systemctl --user enable --now " + systemdUnit + ".timer"}
	if strings.Join(f.calls, "|") != strings.Join(want, "|") {
		t.Fatalf("ran %q, want %q", f.calls, want)
	}

	f.calls = nil
	if done, err := a.Uninstall(context.Background()); err != nil || len(done) != 2 {
		t.Fatalf("uninstall: %q %v", done, err)
	}
	if _, err := os.Stat(timer); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("timer still there: %v", err)
	}
	if f.calls[0] != "systemctl --user disable --now "+systemdUnit+".timer" {
		t.Fatalf("uninstall ran %q", f.calls)
	}
	// Twice is fine, and runs nothing.
	f.calls = nil
	if done, err := a.Uninstall(context.Background()); err != nil || len(done) != 0 || len(f.calls) != 0 {
		t.Fatalf("second uninstall: %q %v, ran %q", done, err, f.calls)
	}
}

// Without a systemd user session the files are written and the error says
// how to start the timer by hand.
func TestAutoRenewSystemdWithoutSession(t *testing.T) {
	home := t.TempDir()
	f := &fakeRunner{fail: map[string]bool{"systemctl": true}}
	a := AutoRenew{Env: Env{GOOS: "linux", Home: home, ConfigHome: filepath.Join(home, "cfg")}, Run: f.run}
	done, err := a.Install(context.Background(), "/usr/bin/certrenew-host")
	if err == nil || !strings.Contains(err.Error(), "systemctl --user enable --now "+systemdUnit+".timer") {
		t.Fatalf("err %v", err)
	}
	if len(done) != 2 || !strings.HasPrefix(done[1], filepath.Join(home, "cfg", "systemd", "user")) {
		t.Fatalf("done %q", done)
	}
}

// The macOS job: a launchd agent whose plist parses and runs the host's
// renew --due (the path XML-escaped), loaded into the user's GUI domain.
func TestAutoRenewLaunchd(t *testing.T) {
	home := t.TempDir()
	f := &fakeRunner{}
	a := AutoRenew{Env: Env{GOOS: "darwin", Home: home}, UID: 501, Run: f.run}
	bin := "/Applications/R&D <tools>/certrenew-host"
	done, err := a.Install(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(home, "Library", "LaunchAgents", launchdLabel+".plist")
	if done[0] != p {
		t.Fatalf("done %q", done)
	}
	body, _ := os.ReadFile(p)
	var pl struct {
		Dict struct {
			Keys    []string `xml:"key"`
			Strings []string `xml:"string"`
			Array   struct {
				Strings []string `xml:"string"`
			} `xml:"array"`
			Integer int `xml:"integer"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(body, &pl); err != nil {
		t.Fatalf("plist: %v\n%s", err, body)
	}
	if got := strings.Join(pl.Dict.Array.Strings, " "); got != bin+" renew --due" {
		t.Fatalf("ProgramArguments %q", got)
	}
	if pl.Dict.Strings[0] != launchdLabel || pl.Dict.Integer != 3600 {
		t.Fatalf("plist %+v", pl.Dict)
	}
	if f.calls[len(f.calls)-1] != "launchctl bootstrap gui/501 "+p {
		t.Fatalf("ran %q", f.calls)
	}
	f.calls = nil
	if done, err := a.Uninstall(context.Background()); err != nil || len(done) != 1 {
		t.Fatalf("uninstall %q %v", done, err)
	}
	if f.calls[0] != "launchctl bootout gui/501/"+launchdLabel {
		t.Fatalf("ran %q", f.calls)
	}
}

// The Windows job: a scheduled task of the user's, hourly, quoting the
// host's path; removed only if it is there.
func TestAutoRenewScheduledTask(t *testing.T) {
	f := &fakeRunner{}
	a := AutoRenew{Env: Env{GOOS: "windows"}, Run: f.run}
	bin := `C:\Program Files\certrenew\certrenew-host.exe`
	if _, err := a.Install(context.Background(), bin); (err == nil) != (runtime.GOOS == "windows") {
		t.Fatalf("%s on %s: %v", bin, runtime.GOOS, err)
	}
	// checkBin uses the running OS's idea of absolute; on Linux take a
	// Unix-style path through the same code.
	bin = "/c/Program Files/certrenew/certrenew-host.exe"
	if _, err := a.Install(context.Background(), bin); err != nil {
		t.Fatal(err)
	}
	want := `schtasks /Create /F /TN \certrenew\renew-due /SC HOURLY /TR "` + bin + `" renew --due`
	if f.calls[0] != want {
		t.Fatalf("ran %q\nwant %q", f.calls[0], want)
	}
	f.calls, f.fail = nil, map[string]bool{"schtasks /Query": true}
	if done, err := a.Uninstall(context.Background()); err != nil || len(done) != 0 || len(f.calls) != 1 {
		t.Fatalf("uninstall of a missing task: %q %v, ran %q", done, err, f.calls)
	}
}

func TestAutoRenewRefusesUnsafePaths(t *testing.T) {
	for _, bin := range []string{"certrenew-host", "/opt/a\"b/certrenew-host", "/opt/a\nb"} {
		if _, err := (AutoRenew{Env: Env{GOOS: "linux", Home: t.TempDir()}, Run: (&fakeRunner{}).run}).Install(context.Background(), bin); err == nil {
			t.Errorf("%q accepted", bin)
		}
	}
}
