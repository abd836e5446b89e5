package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/nm"
	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

// HostPath is where the packages install certrenew-host.
const HostPath = "/usr/bin/certrenew-host"

// FrontPath is where they install certrenew-nm, the binary the browser
// manifests name; it starts the certrenew-host beside it.
const FrontPath = "/usr/bin/certrenew-nm"

// Spec describes one Linux package.
type Spec struct {
	Format  string // deb or rpm
	Arch    string // Go arch: amd64, arm64
	Version string
	Release string
	Host    string // the linux/Arch certrenew-host binary
	Front   string // the linux/Arch certrenew-nm binary
	Out     string // folder for the package file
}

// Package builds the package and returns its path. The browser manifests
// are written by host/install itself (system-wide, every browser) into a
// staging root, so the package holds exactly what `certrenew-host install
// --system` writes (naming FrontPath); the rpm also carries Firefox's /usr/lib64 location.
func Package(s Spec) (string, error) {
	stage, err := os.MkdirTemp("", "certrenew-pkg-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	in := install.Installer{Env: install.Env{GOOS: "linux", Root: stage, Lib64: s.Format == "rpm"}}
	if _, err := in.Install(true, install.AllBrowsers, FrontPath, nm.DefaultOrigins); err != nil {
		return "", err
	}
	host, err := filepath.Abs(s.Host)
	if err != nil {
		return "", err
	}
	front, err := filepath.Abs(s.Front)
	if err != nil {
		return "", err
	}
	contents := files.Contents{{
		Source: host, Destination: HostPath,
		FileInfo: &files.ContentFileInfo{Mode: 0o755, Owner: "root", Group: "root"},
	}, {
		Source: front, Destination: FrontPath,
		FileInfo: &files.ContentFileInfo{Mode: 0o755, Owner: "root", Group: "root"},
	}}
	err = filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(stage, p)
		contents = append(contents, &files.Content{
			Source: p, Destination: "/" + filepath.ToSlash(rel),
			FileInfo: &files.ContentFileInfo{Mode: 0o644, Owner: "root", Group: "root"},
		})
		return nil
	})
	if err != nil {
		return "", err
	}
	nssTools := "libnss3-tools"
	if s.Format == "rpm" {
		nssTools = "nss-tools"
	}
	// A cgo build (PKCS#11 through crypto11) links glibc dynamically and
	// needs at least the version it was built against.
	glibc, err := Glibc(host)
	if err != nil {
		return "", err
	}
	info := nfpm.WithDefaults(&nfpm.Info{
		Name: "certrenew-host", Arch: s.Arch, Platform: "linux",
		Version: s.Version, Release: s.Release, VersionSchema: "none",
		Maintainer:  "certrenew <certrenew@certrenew.org>",
		Description: "certrenew native messaging host: renews X.509 client certificates from the browser toolbar",
		Homepage:    "https://certrenew.org", License: "Apache-2.0", Section: "utils", Priority: "optional",
		Overridables: nfpm.Overridables{
			Contents: contents,
			// certutil and pk12util manage the browsers' NSS database.
			Depends: append([]string{nssTools}, libcDepends(s.Format, glibc)...),
		},
	})
	if err := nfpm.PrepareForPackager(info, s.Format); err != nil {
		return "", err
	}
	p, err := nfpm.Get(s.Format)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.Out, 0o755); err != nil {
		return "", err
	}
	name := filepath.Join(s.Out, p.ConventionalFileName(info))
	f, err := os.Create(name)
	if err != nil {
		return "", err
	}
	if err := p.Package(info, f); err != nil {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("%s: %w", s.Format, err)
	}
	return name, f.Close()
}
