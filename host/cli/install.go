package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/nm"
)

// install registers the host with browsers and, on request, trusts a CA for
// portal TLS or for the organisation's TLS servers.
func (c *CLI) install(ctx context.Context, args []string) error {
	fs := c.flags("install")
	bin := fs.String("path", "", "absolute path of certrenew-host (default: this binary); the manifests name certrenew-nm beside it")
	portalCA := fs.String("portal-ca", "", "PEM file of a CA to trust for portal TLS (for portals without a public certificate)")
	autoRenew := fs.Bool("auto-renew", false, "also renew due certificates without a browser: a per-user systemd timer (Linux), launchd agent (macOS) or scheduled task (Windows) runs `renew --due` hourly")
	serverCA := fs.String("server-trust-ca", "", "PEM file of a CA the organisation trusts for its TLS servers too (Wi-Fi, VPN, the portal in browsers); see docs/trust.md")
	system, browsers, in, err := c.targets(fs, args, "register for every user of this machine (needs administrator rights)")
	if err != nil {
		return err
	}
	if *autoRenew && system {
		return usageError{fmt.Errorf("--auto-renew sets up a job for this user; it does not go with --system")}
	}
	if *bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		*bin, _ = filepath.EvalSymlinks(exe)
	}
	settings, err := c.Paths.Load()
	if err != nil {
		return err
	}
	origins := append(append([]string{}, nm.DefaultOrigins...), settings.AllowedOrigins...)
	done, err := in.Install(system, browsers, c.manifestBinary(*bin, in.Env.GOOS), origins)
	c.report("registered", done)
	if err != nil {
		return err
	}
	if *autoRenew {
		done, err := c.autoRenewJob(in.Env).Install(ctx, *bin)
		for _, d := range done {
			fmt.Fprintln(c.Stdout, "automatic renewal", d)
		}
		if err != nil {
			return err
		}
	}
	if *portalCA != "" {
		f, err := c.Paths.AddTrust(*portalCA)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.Stdout, "trusting portal CA", f)
	}
	if *serverCA != "" {
		fp, err := c.Paths.AddServerTrust(*serverCA)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.Stdout, "CA trusted for TLS servers from the next enrollment or renewal: sha256", fp)
	}
	return nil
}

// manifestBinary is what the browsers are to start for the host at host:
// the front beside it (install.FrontBeside), or, where a build left it
// out, the host itself, which serves whole sessions too but starts slower.
func (c *CLI) manifestBinary(host, goos string) string {
	front := install.FrontBeside(host, goos)
	if _, err := os.Stat(front); err != nil {
		fmt.Fprintf(c.Stderr, "certrenew-host: %s not found; registering %s itself (every popup starts the full host)\n", front, host)
		return host
	}
	return front
}

// uninstall removes the browser registrations.
func (c *CLI) uninstall(ctx context.Context, args []string) error {
	fs := c.flags("uninstall")
	system, browsers, in, err := c.targets(fs, args, "remove the registration for every user of this machine")
	if err != nil {
		return err
	}
	done, err := in.Uninstall(system, browsers)
	c.report("removed", done)
	if system {
		return err
	}
	// The user's automatic renewal goes with the registration.
	jobs, jerr := c.autoRenewJob(in.Env).Uninstall(ctx)
	for _, d := range jobs {
		fmt.Fprintln(c.Stdout, "removed automatic renewal", d)
	}
	return errors.Join(err, jerr)
}

// autoRenewJob is this user's automatic renewal job (install.AutoRenew).
func (c *CLI) autoRenewJob(env install.Env) install.AutoRenew {
	return install.AutoRenew{Env: env, UID: os.Getuid(), Run: c.RunTool}
}

// targets adds --system (described by systemUsage) and --browser to fs,
// parses args and returns the registrations they name and the installer
// for them.
func (c *CLI) targets(fs *flag.FlagSet, args []string, systemUsage string) (bool, []install.Browser, install.Installer, error) {
	system := fs.Bool("system", false, systemUsage)
	browser := fs.String("browser", "all", "chrome, chromium, edge, brave, firefox (comma-separated) or all")
	if err := parse(fs, args); err != nil {
		return false, nil, install.Installer{}, err
	}
	browsers, err := install.ParseBrowsers(*browser)
	if err != nil {
		return false, nil, install.Installer{}, usageError{err}
	}
	env, reg, err := c.InstallEnv(c.Paths, *system)
	return *system, browsers, install.Installer{Env: env, Registry: reg}, err
}

// report prints one line a browser registration done: "registered chrome
// PATH", on Windows with the registry key.
func (c *CLI) report(verb string, done []install.Target) {
	for _, t := range done {
		where := t.Manifest
		if t.Key != "" {
			where = string(t.Hive) + `\` + t.Key + " -> " + t.Manifest
		}
		fmt.Fprintln(c.Stdout, verb, t.Browser, where)
	}
}

// untrust forgets CAs that install trusted: a portal CA (--portal-ca) no
// longer authenticates portals, and a CA trusted for TLS servers
// (--server-trust-ca) loses that trust in the certificate store; it stays
// an anchor for the client certificates it issued. The demo's stop runs it
// so the demo CA is not left trusted for HTTPS. A CA the host's settings or
// the extension's managed policy still names keeps its server trust.
func (c *CLI) untrust(ctx context.Context, args []string) error {
	fs := c.flags("untrust")
	portalCA := fs.String("portal-ca", "", "PEM file of a CA that install --portal-ca trusted for portal TLS")
	serverCA := fs.String("server-trust-ca", "", "PEM file of a CA that install --server-trust-ca trusted for TLS servers")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *portalCA == "" && *serverCA == "" {
		return usageError{errors.New("untrust needs --portal-ca FILE, --server-trust-ca FILE or both")}
	}
	if *portalCA != "" {
		gone, err := c.Paths.RemoveTrust(*portalCA)
		for _, f := range gone {
			fmt.Fprintln(c.Stdout, "no longer trusting portal CA", f)
		}
		if err != nil {
			return err
		}
	}
	if *serverCA == "" {
		return nil
	}
	fp, _, err := c.Paths.RemoveServerTrust(*serverCA)
	if err != nil {
		return err
	}
	// The engine is built after the removal, so it no longer names fp.
	_, st, err := c.start()
	if err != nil {
		return err
	}
	defer st.close()
	changed, err := st.set.Engine.RescopeTrust(ctx)
	for _, ca := range changed {
		fmt.Fprintln(c.Stdout, "CA no longer trusted for TLS servers: sha256", engine.Fingerprint(ca))
	}
	if errors.Is(err, engine.ErrCannotScope) {
		return fmt.Errorf("%w: remove sha256 %s from the operating system's trusted roots by hand", err, fp)
	}
	if err != nil {
		return err
	}
	if still, err := st.set.Engine.ServerTrusted(ctx, fp); err == nil && still {
		fmt.Fprintln(c.Stdout, "sha256", fp, "stays trusted for TLS servers: the host's settings or the extension's managed policy name it")
	}
	return nil
}
