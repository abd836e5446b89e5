// Package install registers certrenew-host with browsers by writing native
// messaging host manifests. See
// https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging#native-messaging-host-location
package install

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// HostName is the native messaging host name the extension connects to.
const HostName = "com.certrenew.host"

// Manifest is a Chromium-family native messaging host manifest.
type Manifest struct {
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Path           string   `json:"path"`
	Type           string   `json:"type"`
	AllowedOrigins []string `json:"allowed_origins"`
}

// UserDirs returns the per-user manifest folders of the Chromium family on
// Linux, under configHome ($XDG_CONFIG_HOME or ~/.config).
func UserDirs(configHome string) map[string]string {
	return map[string]string{
		"chromium": filepath.Join(configHome, "chromium", "NativeMessagingHosts"),
		"chrome":   filepath.Join(configHome, "google-chrome", "NativeMessagingHosts"),
	}
}

// Write writes the manifest for binary into each dir and returns the files.
func Write(dirs map[string]string, binary string, origins []string) ([]string, error) {
	if !filepath.IsAbs(binary) {
		return nil, fmt.Errorf("install: host path %q must be absolute", binary)
	}
	m := Manifest{
		Name:           HostName,
		Description:    "certrenew: renews client certificates",
		Path:           binary,
		Type:           "stdio",
		AllowedOrigins: origins,
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return files, err
		}
		f := filepath.Join(d, HostName+".json")
		if err := os.WriteFile(f, append(data, '\n'), 0o644); err != nil {
			return files, err
		}
		files = append(files, f)
	}
	return files, nil
}
