package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/nm"
)

// install registers the host with browsers and, on request, trusts a CA for
// portal TLS or for the organisation's TLS servers.
func (c *CLI) install(_ context.Context, args []string) error {
	fs := c.flags("install")
	bin := fs.String("path", "", "absolute path of certrenew-host for the manifest (default: this binary)")
	portalCA := fs.String("portal-ca", "", "PEM file of a CA to trust for portal TLS (for portals without a public certificate)")
	serverCA := fs.String("server-trust-ca", "", "PEM file of a CA the organisation trusts for its TLS servers too (Wi-Fi, VPN, the portal in browsers); see docs/trust.md")
	system, browsers, in, err := c.targets(fs, args, "register for every user of this machine (needs administrator rights)")
	if err != nil {
		return err
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
	done, err := in.Install(system, browsers, *bin, origins)
	c.report("registered", done)
	if err != nil {
		return err
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

// uninstall removes the browser registrations.
func (c *CLI) uninstall(_ context.Context, args []string) error {
	fs := c.flags("uninstall")
	system, browsers, in, err := c.targets(fs, args, "remove the registration for every user of this machine")
	if err != nil {
		return err
	}
	done, err := in.Uninstall(system, browsers)
	c.report("removed", done)
	return err
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
