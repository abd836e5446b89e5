package install

import (
	"path/filepath"
	"strings"
)

// FrontName is the executable the manifests name on goos: certrenew-nm
// (host/front), which the browser starts and which starts certrenew-host
// beside it when a session needs more than hello and list.
func FrontName(goos string) string {
	if goos == "windows" {
		return "certrenew-nm.exe"
	}
	return "certrenew-nm"
}

// FrontBeside is the path of the front beside the host binary host, for
// goos (host may be a Windows path planned on another OS).
func FrontBeside(host, goos string) string {
	if goos == "windows" || isWindowsAbs(host) {
		i := strings.LastIndexAny(host, `\/`)
		return host[:i+1] + FrontName("windows")
	}
	return filepath.Join(filepath.Dir(host), FrontName(goos))
}
