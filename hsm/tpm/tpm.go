// Package tpm is the TPM 2.0 key backend, on go-tpm's direct API (tpm2).
//
// Keys are ordinary (non-primary) objects created under the storage root
// key (SRK, the TCG reference ECC P-256 template of the owner hierarchy,
// recreated on demand since it is deterministic) with fixedTPM, fixedParent
// and sensitiveDataOrigin (TPM 2.0 Part 1, Section 27.2), so the private
// part never leaves the TPM in clear. The wrapped blob is persisted as a
// TSS2 PEM file ("TSS2 PRIVATE KEY", the ASN.1 form of
// draft-bottomley-tpm2-keys), which tpm2-pkcs11's `tpm2_ptool link` and
// OpenSSL's TPM providers read too.
//
// URIs are "tpm:<32 hex digits>", naming <Dir>/<id>.tpmkey. Every command
// runs on one connection; each transient handle is flushed before the call
// returns (swtpm has no resource manager), and TPM_RC_RETRY, _YIELDED and
// _TESTING are retried.
package tpm

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/internal/keydir"
	keyfile "github.com/foxboron/go-tpm-keyfiles"
	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// Scheme is the URI scheme of TPM keys.
const Scheme = "tpm"

// DefaultDevice is the kernel's resource-managed TPM device.
const DefaultDevice = "/dev/tpmrm0"

// Opener connects to a TPM.
type Opener func() (transport.TPMCloser, error)

// Backend keeps TPM-wrapped key blobs in Dir.
type Backend struct {
	Dir  string
	open Opener
	// device is what Present checks; "" when Open is a custom opener.
	device string

	mu   sync.Mutex
	conn transport.TPMCloser
}

var _ hsm.Backend = (*Backend)(nil)
var _ hsm.Lister = (*Backend)(nil)
var _ hsm.Detector = (*Backend)(nil)
var _ hsm.Reclaimer = (*Backend)(nil)

// New returns a backend on the TPM device (DefaultDevice if "").
func New(dir, device string) *Backend {
	if device == "" {
		device = DefaultDevice
	}
	return &Backend{Dir: dir, device: device, open: func() (transport.TPMCloser, error) { return openDevice(device) }}
}

// NewWithOpener returns a backend on any TPM transport (swtpm in tests).
func NewWithOpener(dir string, open Opener) *Backend { return &Backend{Dir: dir, open: open} }

// DialSocket returns an Opener for a TPM that speaks raw TPM 2.0 commands on
// a unix socket (swtpm socket --server type=unixio).
func DialSocket(path string) Opener {
	return func() (transport.TPMCloser, error) {
		c, err := net.Dial("unix", path)
		if err != nil {
			return nil, err
		}
		return transport.FromReadWriteCloser(c), nil
	}
}

// Scheme implements hsm.Backend.
func (b *Backend) Scheme() string { return Scheme }

// Present implements hsm.Detector.
func (b *Backend) Present(ctx context.Context) bool {
	if b.device == "" {
		return true
	}
	_, err := os.Stat(b.device)
	return err == nil
}

// Close drops the connection to the TPM.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn == nil {
		return nil
	}
	err := b.conn.Close()
	b.conn = nil
	return err
}

// with runs f on the connection, opening it if needed, under the lock: a
// TPM runs one command at a time and transient handles are per connection.
func (b *Backend) with(f func(t transport.TPM) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn == nil {
		c, err := b.open()
		if err != nil {
			return fmt.Errorf("tpm: open: %w", mapErr(err))
		}
		b.conn = c
	}
	err := f(retrying{b.conn})
	// The connection is not kept between operations: a TPM without a
	// resource manager (swtpm) serves one client at a time, and other TPM
	// software (tpm2-pkcs11) must get its turn.
	b.conn.Close()
	b.conn = nil
	if err != nil {
		return mapErr(err)
	}
	return nil
}

// Generate implements hsm.Backend. Near needs no handling: this backend has
// one TPM, so every key is made beside every other.
func (b *Backend) Generate(ctx context.Context, req hsm.GenerateRequest) (hsm.Key, error) {
	tmpl, err := template(req.Algorithm)
	if err != nil {
		return nil, err
	}
	var created *tpm2.CreateResponse
	err = b.with(func(t transport.TPM) error {
		created, err = createUnderSRK(t, tmpl, "key")
		return err
	})
	if err != nil {
		return nil, err
	}
	// No description field: it is a later addition to the TSS2 key format
	// that tpm2-pkcs11's parser (tpm2_ptool link) rejects.
	kf := keyfile.NewTPMKey(keyfile.OIDLoadableKey, created.OutPublic, created.OutPrivate)
	id, err := req.KeyID()
	if err != nil {
		return nil, err
	}
	if err := b.files().Write(id, kf.Bytes()); err != nil {
		return nil, fmt.Errorf("tpm: store key blob: %w", err)
	}
	return newKey(b, Scheme+":"+id, kf)
}

// Open implements hsm.Backend. It reads the blob; the TPM is first used
// when the key signs.
func (b *Backend) Open(ctx context.Context, uri string) (hsm.Key, error) {
	data, err := b.files().Read(uri)
	if err != nil {
		return nil, err
	}
	kf, err := keyfile.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("tpm: %s: key blob does not parse: %v", uri, err)
	}
	return newKey(b, uri, kf)
}

// Delete implements hsm.Backend. A TPM key exists only as its wrapped
// blob, so removing the file destroys it: the TPM keeps no copy.
func (b *Backend) Delete(ctx context.Context, uri string) error { return b.files().Delete(uri) }

// Reclaim implements hsm.Reclaimer: the blob named by id goes (a TPM key
// exists only as its blob), and a half-written one with it.
func (b *Backend) Reclaim(ctx context.Context, _, id string) error { return b.files().Reclaim(id) }

// List implements hsm.Lister.
func (b *Backend) List(ctx context.Context) ([]string, error) { return b.files().List() }

// BlobPath returns the TSS2 PEM file of a key URI (for tpm2_ptool link).
func (b *Backend) BlobPath(uri string) (string, error) {
	id, err := b.files().ID(uri)
	if err != nil {
		return "", err
	}
	return b.files().File(id), nil
}

func (b *Backend) files() keydir.Dir { return keydir.Dir{Path: b.Dir, Scheme: Scheme, Ext: ".tpmkey"} }

// FlushTransient flushes every transient object on the TPM. It is for TPMs
// reached without a resource manager (swtpm on a socket), where other TPM
// software (tpm2-tools under tpm2_ptool) leaves objects loaded when it
// exits; on /dev/tpmrm0 the kernel does this itself.
func (b *Backend) FlushTransient() error {
	return b.with(func(t transport.TPM) error {
		rsp, err := tpm2.GetCapability{Capability: tpm2.TPMCapHandles, Property: uint32(tpm2.TPMHTTransient) << 24, PropertyCount: 64}.Execute(t)
		if err != nil {
			return fmt.Errorf("tpm: list transient handles: %w", err)
		}
		hs, err := rsp.CapabilityData.Data.Handles()
		if err != nil {
			return err
		}
		for _, h := range hs.Handle {
			flush(t, h)
		}
		return nil
	})
}
