package install

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/certrenew/certrenew/internal/atomicfile"
)

// Automatic renewal without a browser: a per-user job that runs
// `certrenew-host renew --due` every hour (host/engine, auto.go decides
// what is due; running it more often costs one file read). On Linux a
// systemd user timer, on macOS a launchd agent, on Windows a scheduled
// task. Each is the user's own: no administrator rights, and it runs only
// while the user is logged in, when the keys (a login keychain, a user's
// NSS database) can be used.

// Names of the job.
const (
	systemdUnit  = "certrenew-renew-due"
	launchdLabel = "org.certrenew.renew-due"
	windowsTask  = `\certrenew\renew-due`
)

// Runner runs a system tool (systemctl, launchctl, schtasks) and returns
// its combined output. Tests pass a fake; nil means the real tool.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

func execRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// AutoRenew sets up and removes the job for one user.
type AutoRenew struct {
	Env Env
	// UID is the user's ID (macOS: launchctl's gui/UID domain).
	UID int
	Run Runner
}

func (a AutoRenew) run(ctx context.Context, name string, args ...string) error {
	run := a.Run
	if run == nil {
		run = execRunner
	}
	out, err := run(ctx, name, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// checkBin refuses a host path the job files could not carry safely.
func checkBin(bin string) error {
	if !filepath.IsAbs(bin) {
		return fmt.Errorf("install: the auto-renewal job needs the host's absolute path, not %q", bin)
	}
	if strings.ContainsAny(bin, "\"\n\r\x00") {
		return fmt.Errorf("install: the host's path %q holds a quote or a line break; the job cannot name it", bin)
	}
	return nil
}

// Install writes the job that runs bin's `renew --due` and enables it. It
// returns what it wrote or registered. An error after the files were
// written says so, with the command to finish by hand.
func (a AutoRenew) Install(ctx context.Context, bin string) ([]string, error) {
	if err := checkBin(bin); err != nil {
		return nil, err
	}
	switch a.Env.GOOS {
	case "linux":
		return a.installSystemd(ctx, bin)
	case "darwin":
		return a.installLaunchd(ctx, bin)
	case "windows":
		tr := `"` + bin + `" renew --due`
		if err := a.run(ctx, "schtasks", "/Create", "/F", "/TN", windowsTask, "/SC", "HOURLY", "/TR", tr); err != nil {
			return nil, err
		}
		return []string{"scheduled task " + windowsTask}, nil
	}
	return nil, fmt.Errorf("install: automatic renewal is not supported on %s", a.Env.GOOS)
}

// Uninstall removes the job; a job that is not there is not an error.
func (a AutoRenew) Uninstall(ctx context.Context) ([]string, error) {
	switch a.Env.GOOS {
	case "linux":
		dir := a.systemdDir()
		timer := filepath.Join(dir, systemdUnit+".timer")
		if _, err := os.Stat(timer); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		// Disable first; a user without a session manager still gets the
		// files removed (systemd then has nothing to start).
		derr := a.run(ctx, "systemctl", "--user", "disable", "--now", systemdUnit+".timer")
		var done []string
		for _, f := range []string{timer, filepath.Join(dir, systemdUnit+".service")} {
			if err := os.Remove(f); err == nil {
				done = append(done, f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return done, err
			}
		}
		if derr == nil {
			derr = a.run(ctx, "systemctl", "--user", "daemon-reload")
		}
		if derr != nil {
			return done, fmt.Errorf("install: the timer's files are removed, but systemd was not told: %w", derr)
		}
		return done, nil
	case "darwin":
		plist := a.launchdPlist()
		if _, err := os.Stat(plist); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		_ = a.run(ctx, "launchctl", "bootout", "gui/"+strconv.Itoa(a.UID)+"/"+launchdLabel) // not loaded: fine
		if err := os.Remove(plist); err != nil {
			return nil, err
		}
		return []string{plist}, nil
	case "windows":
		if err := a.run(ctx, "schtasks", "/Query", "/TN", windowsTask); err != nil {
			return nil, nil // no such task
		}
		if err := a.run(ctx, "schtasks", "/Delete", "/F", "/TN", windowsTask); err != nil {
			return nil, err
		}
		return []string{"scheduled task " + windowsTask}, nil
	}
	return nil, nil
}

func (a AutoRenew) systemdDir() string {
	base := a.Env.ConfigHome
	if base == "" {
		base = filepath.Join(a.Env.Home, ".config")
	}
	return filepath.Join(base, "systemd", "user")
}

// systemdQuote quotes one ExecStart word (systemd.service(5), "Command
// lines"): inside double quotes a backslash and a quote are escaped, and
// % is systemd's specifier character.
func systemdQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "%", "%%")
	return `"` + s + `"`
}

// SystemdUnits are the service and timer of the Linux job.
func SystemdUnits(bin string) (service, timer string) {
	service = "[Unit]\n" +
		"Description=certrenew: renew client certificates that are due\n" +
		"Documentation=https://github.com/certrenew/certrenew/blob/main/docs/renewal.md\n\n" +
		"[Service]\n" +
		"Type=oneshot\n" +
		"ExecStart=" + systemdQuote(bin) + " renew --due\n"
	timer = "[Unit]\n" +
		"Description=certrenew: renew client certificates that are due, hourly\n\n" +
		"[Timer]\n" +
		"OnCalendar=hourly\n" +
		"RandomizedDelaySec=15min\n" +
		"Persistent=true\n\n" +
		"[Install]\n" +
		"WantedBy=timers.target\n"
	return service, timer
}

func (a AutoRenew) installSystemd(ctx context.Context, bin string) ([]string, error) {
	dir := a.systemdDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	service, timer := SystemdUnits(bin)
	var done []string
	for _, f := range []struct{ name, body string }{{systemdUnit + ".service", service}, {systemdUnit + ".timer", timer}} {
		p := filepath.Join(dir, f.name)
		if err := atomicfile.Write(p, []byte(f.body), 0o644); err != nil {
			return done, err
		}
		done = append(done, p)
	}
	err := a.run(ctx, "systemctl", "--user", "daemon-reload")
	if err == nil {
		err = a.run(ctx, "systemctl", "--user", "enable", "--now", systemdUnit+".timer")
	}
	if err != nil {
		return done, fmt.Errorf("install: the timer is written to %s but could not be started (is there a systemd user session?); "+
			"start it in your session with `systemctl --user enable --now %s.timer`: %w", dir, systemdUnit, err)
	}
	return append(done, "systemd user timer "+systemdUnit+".timer"), nil
}

func (a AutoRenew) launchdPlist() string {
	return filepath.Join(a.Env.Home, "Library", "LaunchAgents", launchdLabel+".plist")
}

// LaunchdPlist is the macOS agent: bin's `renew --due` at load and hourly.
func LaunchdPlist(bin string) string {
	var b strings.Builder
	esc := func(s string) string {
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString("<plist version=\"1.0\">\n<dict>\n")
	b.WriteString("\t<key>Label</key>\n\t<string>" + launchdLabel + "</string>\n")
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, arg := range []string{bin, "renew", "--due"} {
		b.WriteString("\t\t<string>" + esc(arg) + "</string>\n")
	}
	b.WriteString("\t</array>\n")
	b.WriteString("\t<key>StartInterval</key>\n\t<integer>3600</integer>\n")
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	b.WriteString("\t<key>ProcessType</key>\n\t<string>Background</string>\n")
	b.WriteString("</dict>\n</plist>\n")
	return b.String()
}

func (a AutoRenew) installLaunchd(ctx context.Context, bin string) ([]string, error) {
	p := a.launchdPlist()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(p, []byte(LaunchdPlist(bin)), 0o644); err != nil {
		return nil, err
	}
	domain := "gui/" + strconv.Itoa(a.UID)
	_ = a.run(ctx, "launchctl", "bootout", domain+"/"+launchdLabel) // an older copy; not loaded is fine
	if err := a.run(ctx, "launchctl", "bootstrap", domain, p); err != nil {
		return []string{p}, fmt.Errorf("install: the agent is written to %s but launchd did not load it: %w", p, err)
	}
	return []string{p, "launchd agent " + launchdLabel}, nil
}
