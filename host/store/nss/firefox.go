package nss

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// Firefox on Linux does not read ~/.pki/nssdb: each Firefox profile has its
// own NSS database (cert9.db, key4.db, pkcs11.txt in the profile
// directory). Keys on a PKCS#11 token or in the TPM are reached through a
// module, and a module can be registered in any number of databases, so
// certrenew registers token and TPM modules in every Firefox profile too
// (DB.Shared). A software key lives in ~/.pki/nssdb alone and is not copied.

// FirefoxRoots are the directories, relative to the home directory, where
// Firefox keeps profiles.ini: the Debian/Mozilla build, the Snap and the
// Flatpak.
var FirefoxRoots = []string{
	".mozilla/firefox",
	"snap/firefox/common/.mozilla/firefox",
	".var/app/org.mozilla.firefox/.mozilla/firefox",
}

// FirefoxProfiles returns the profile directories of the user whose home is
// home that hold an NSS database (a profile Firefox has started at least
// once), in the order of FirefoxRoots and profiles.ini.
func FirefoxProfiles(home string) []string {
	var dirs []string
	seen := map[string]bool{}
	for _, root := range FirefoxRoots {
		base := filepath.Join(home, root)
		data, err := os.ReadFile(filepath.Join(base, "profiles.ini"))
		if err != nil {
			continue
		}
		for _, p := range ParseProfilesINI(data) {
			dir := p.Path
			if p.Relative {
				dir = filepath.Join(base, dir)
			}
			dir = filepath.Clean(dir)
			if seen[dir] || !filepath.IsAbs(dir) {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, "cert9.db")); err != nil {
				continue
			}
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// Profile is one [ProfileN] section of Firefox's profiles.ini.
type Profile struct {
	Name     string
	Path     string // as written: relative to profiles.ini's directory when Relative
	Relative bool
}

// ParseProfilesINI reads the [Profile…] sections of a profiles.ini: their
// Name, Path and IsRelative keys. Other sections ([General], [Install…])
// and unknown keys are ignored; a section without a Path is left out, as
// is a relative Path that climbs out of the profiles directory.
func ParseProfilesINI(data []byte) []Profile {
	var out []Profile
	var cur *Profile
	flush := func() {
		if cur != nil && cur.Path != "" {
			out = append(out, *cur)
		}
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			flush()
			if strings.HasPrefix(line[1:len(line)-1], "Profile") {
				cur = &Profile{Relative: true}
			}
			continue
		}
		if cur == nil {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "Name":
			cur.Name = strings.TrimSpace(val)
		case "Path":
			cur.Path = strings.TrimSpace(val)
		case "IsRelative":
			cur.Relative = strings.TrimSpace(val) != "0"
		}
	}
	flush()
	kept := out[:0]
	for _, p := range out {
		if p.Relative && !filepath.IsLocal(p.Path) {
			continue
		}
		kept = append(kept, p)
	}
	return kept
}
