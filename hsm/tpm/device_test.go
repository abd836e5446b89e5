package tpm

import "testing"

func TestParseDevice(t *testing.T) {
	for _, c := range []struct {
		setting, tcti string
		managed       bool
	}{
		{"", "", true},
		{"/dev/tpmrm0", "device:/dev/tpmrm0", true},
		{"unix:/run/swtpm.sock", "swtpm:path=/run/swtpm.sock", false},
		{"tabrmd", "tabrmd", true},
		{"tabrmd:bus_type=session", "tabrmd:bus_type=session", true},
	} {
		d, err := ParseDevice(c.setting)
		if err != nil {
			t.Errorf("%q: %v", c.setting, err)
			continue
		}
		if got := d.TCTI(); got != c.tcti {
			t.Errorf("%q: TCTI %q, want %q", c.setting, got, c.tcti)
		}
		if got := d.ResourceManaged(); got != c.managed {
			t.Errorf("%q: resource managed %v", c.setting, got)
		}
	}
	if d, _ := ParseDevice(""); d.Backend(t.TempDir()).device != DefaultDevice {
		t.Error("an empty setting is not the default device")
	}
}
