package keychain

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/certrenew/certrenew/host/store"
)

// verifyChain checks that leaf chains, through CA certificates in the
// keychain, to a root there, and that macOS's own verifier accepts that
// chain for TLS client authentication (security verify-cert, the ssl
// policy on the client side, -C) with that root given as the ONLY anchor
// (-r): the root needs no trust settings, and none are made for it.
func (s *Store) verifyChain(ctx context.Context, leaf *x509.Certificate) error {
	out, err := s.Run.Run(ctx, "find-certificate", "-a", "-p", s.Keychain)
	if err != nil {
		return fmt.Errorf("keychain: list certificates: %w", err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for rest := out; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil || !c.IsCA {
			continue // not ours to judge; the chain needs none of it
		}
		if bytes.Equal(c.RawSubject, c.RawIssuer) {
			roots.AddCert(c)
		} else {
			inter.AddCert(c)
		}
	}
	paths, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return fmt.Errorf("%w: certificate does not chain to a CA in %s: %v", store.ErrNotVerified, s.Keychain, err)
	}
	path := paths[0]
	files := make([][]byte, len(path))
	for i, c := range path {
		files[i] = pemOf(c)
	}
	return s.withFiles(files, func(f []string) error {
		args := []string{"verify-cert"}
		for _, c := range f[:len(f)-1] {
			args = append(args, "-c", c)
		}
		args = append(args, "-r", f[len(f)-1], "-p", "ssl", "-C", "-L", "-q")
		if _, err := s.Run.Run(ctx, args...); err != nil {
			return fmt.Errorf("%w: macOS does not accept the certificate for client authentication: %v", store.ErrNotVerified, err)
		}
		return nil
	})
}

// withFiles writes each of data (public certificates) to a fresh private
// file, runs fn on their paths, in order, and removes them.
func (s *Store) withFiles(data [][]byte, fn func([]string) error) error {
	dir, err := os.MkdirTemp(s.TempDir, tempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	paths := make([]string, len(data))
	for i, d := range data {
		paths[i] = filepath.Join(dir, strconv.Itoa(i)+".pem")
		if err := os.WriteFile(paths[i], d, 0o600); err != nil {
			return err
		}
	}
	return fn(paths)
}
