package tpm

import (
	"strings"

	"github.com/google/go-tpm/tpm2/transport"
)

// Device is a TPM as a setting names it, parsed once for everything that
// reaches that TPM: this backend and the TSS software beside it
// (tpm2-pkcs11, tpm2-tools), which takes a TCTI string.
//
// The grammar: a device path ("" is DefaultDevice); "tabrmd" or
// "tabrmd:CONF", the tpm2-abrmd resource manager with CONF in the tabrmd
// TCTI's own syntax ("bus_type=session"); or "unix:PATH", a socket speaking
// raw TPM 2.0 commands (swtpm socket --server type=unixio), for tests and
// virtual machines.
type Device struct {
	setting  string
	isSocket bool
	path     string        // the device node, or the socket's path
	tabrmd   *TabrmdConfig // tabrmd[:CONF]
}

// ParseDevice parses a TPM device setting.
func ParseDevice(s string) (Device, error) {
	d := Device{setting: s}
	switch {
	case strings.HasPrefix(s, "unix:"):
		d.isSocket, d.path = true, strings.TrimPrefix(s, "unix:")
	case s == "tabrmd" || strings.HasPrefix(s, "tabrmd:"):
		// ParseTabrmdConfig's errors say "tpm: tabrmd option ...".
		c, err := ParseTabrmdConfig(strings.TrimPrefix(strings.TrimPrefix(s, "tabrmd"), ":"))
		if err != nil {
			return Device{}, err
		}
		d.tabrmd = &c
	default:
		d.path = s
	}
	return d, nil
}

// Backend returns a backend keeping its key blobs in dir on this TPM.
func (d Device) Backend(dir string) *Backend {
	switch {
	case d.isSocket:
		return NewWithOpener(dir, DialSocket(d.path))
	case d.tabrmd != nil:
		return NewWithOpener(dir, DialTabrmd(*d.tabrmd))
	}
	return New(dir, d.path)
}

// TCTI is the TSS TCTI string (TPM2TOOLS_TCTI, TPM2_PKCS11_TCTI) for this
// TPM; "" leaves the TSS default.
func (d Device) TCTI() string {
	switch {
	case d.isSocket:
		return "swtpm:path=" + d.path
	case d.tabrmd != nil:
		return d.setting
	case d.path != "":
		return "device:" + d.path
	}
	return ""
}

// ResourceManaged reports whether something between the TPM and its
// clients flushes what a client leaves loaded (the kernel's /dev/tpmrm0,
// tpm2-abrmd). A raw socket has nothing, so other TSS software sharing
// the TPM needs Backend.FlushTransient before it runs.
func (d Device) ResourceManaged() bool { return !d.isSocket }

// Opener returns a connection maker for this TPM, for TSS work beside the
// backend (tpm2-pkcs11's token unlock) on the same device.
func (d Device) Opener() Opener {
	switch {
	case d.isSocket:
		return DialSocket(d.path)
	case d.tabrmd != nil:
		return DialTabrmd(*d.tabrmd)
	}
	path := d.path
	if path == "" {
		path = DefaultDevice
	}
	return func() (transport.TPMCloser, error) { return openDevice(path) }
}
