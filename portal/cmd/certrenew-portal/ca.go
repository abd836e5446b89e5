package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
)

// caInit creates the CA, name-constrained, before the first serve
// would create an unconstrained one.
func caInit(f *flags) action {
	list := f.String("name-constraints", "", "permitted DNS domains, IPs and CIDRs (comma-separated), e.g. corp.example,10.0.0.0/8")
	var nc ca.Constraints
	return action{
		check: func(*call) (err error) {
			if nc, err = ca.ParseConstraints(*list); err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			return nil
		},
		do: func(c *call) error {
			authority, err := ca.Init(filepath.Join(c.dir, "ca"), nc)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c.stdout, "%s\nroot sha256 %s\n", authority.RootPath(), fingerprint(authority.Root))
			return err
		},
	}
}

// caPath prints the path of the root CA certificate (the trust anchor).
func caPath(*flags) action {
	return action{do: func(c *call) error {
		authority, err := ca.LoadOrCreate(filepath.Join(c.dir, "ca"), zerolog.Nop())
		if err != nil {
			return err
		}
		p, err := filepath.Abs(authority.RootPath())
		if err != nil {
			return err
		}
		return c.println(p)
	}}
}

// caRebuild makes a new root and issuing CA, with link certificates to
// the old root; a running serve picks it up on SIGHUP.
func caRebuild(f *flags) action {
	list := f.String("name-constraints", "", `permitted DNS domains, IPs and CIDRs of the new generation (comma-separated; "none"); default: the old generation's`)
	return action{do: func(c *call) error {
		dir := filepath.Join(c.dir, "ca")
		var authority *ca.CA
		var err error
		if *list == "" {
			authority, err = ca.Rebuild(dir)
		} else {
			var nc ca.Constraints
			if *list != "none" {
				if nc, err = ca.ParseConstraints(*list); err != nil {
					return fmt.Errorf("%w: %w", errUsage, err)
				}
			}
			authority, err = ca.RebuildWith(dir, nc)
		}
		if err != nil {
			return err
		}
		c.log.Info().Int("generation", authority.Generation).Str("root_serial", authority.Root.SerialNumber.Text(16)).
			Str("name_constraints", authority.Constraints().String()).Msg("CA rebuilt")
		_, err = fmt.Fprintf(c.stdout, "generation %d\nroot sha256 %s\n", authority.Generation, fingerprint(authority.Root))
		return err
	}}
}

// fingerprint is the SHA-256 of a certificate, as hosts' serverTrustCAs
// policy names it.
func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
