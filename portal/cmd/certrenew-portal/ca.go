package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/cakeys"
)

// caInit creates the CA, name-constrained, before the first serve
// would create an unconstrained one; with --key-store pkcs11 its keys are
// made on the token and DATA/ca-keys.json records where.
func caInit(f *flags) action {
	list := f.String("name-constraints", "", "permitted DNS domains, IPs and CIDRs (comma-separated), e.g. corp.example,10.0.0.0/8")
	ks := addKeyStoreFlags(f)
	var nc ca.Constraints
	var cfg cakeys.Config
	var given bool
	return action{
		check: func(*call) (err error) {
			if nc, err = ca.ParseConstraints(*list); err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			cfg, given, err = ks.config()
			return err
		},
		do: func(c *call) error {
			dir := filepath.Join(c.dir, "ca")
			if _, err := os.Stat(dir); err == nil {
				return ca.ErrExists
			}
			keys, err := openKeysOr(c.dir, cfg, given)
			if err != nil {
				return err
			}
			defer keys.Close()
			authority, err := keys.CAConfig().Init(dir, nc)
			if err != nil {
				return err
			}
			if given {
				if err := cakeys.Save(c.dir, cfg); err != nil {
					return fmt.Errorf("the CA was made, but recording its key store failed (write DATA/%s by hand): %w", cakeys.FileName, err)
				}
			}
			_, err = fmt.Fprintf(c.stdout, "%s\nroot sha256 %s\nkeys %s\n", authority.RootPath(), fingerprint(authority.Root), keysName(keys))
			return err
		},
	}
}

// caPath prints the path of the root CA certificate (the trust anchor).
func caPath(*flags) action {
	return action{do: func(c *call) error {
		keys, err := openKeys(c.dir)
		if err != nil {
			return err
		}
		defer keys.Close()
		authority, err := keys.CAConfig().LoadOrCreate(filepath.Join(c.dir, "ca"), zerolog.Nop())
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
// the old root; a running serve picks it up on SIGHUP. Its keys go where
// DATA/ca-keys.json says or, with --key-store, where the flags say (the
// old generations' keys stay where they are: moving from files to a
// token).
func caRebuild(f *flags) action {
	list := f.String("name-constraints", "", `permitted DNS domains, IPs and CIDRs of the new generation (comma-separated; "none"); default: the old generation's`)
	ks := addKeyStoreFlags(f)
	var cfg cakeys.Config
	var given bool
	return action{
		check: func(*call) (err error) {
			cfg, given, err = ks.config()
			return err
		},
		do: func(c *call) error {
			keys, err := openKeysOr(c.dir, cfg, given)
			if err != nil {
				return err
			}
			defer keys.Close()
			dir := filepath.Join(c.dir, "ca")
			var authority *ca.CA
			if *list == "" {
				authority, err = keys.CAConfig().Rebuild(dir)
			} else {
				var nc ca.Constraints
				if *list != "none" {
					if nc, err = ca.ParseConstraints(*list); err != nil {
						return fmt.Errorf("%w: %w", errUsage, err)
					}
				}
				authority, err = keys.CAConfig().RebuildWith(dir, nc)
			}
			if err != nil {
				return err
			}
			c.log.Info().Int("generation", authority.Generation).Str("root_serial", authority.Root.SerialNumber.Text(16)).
				Str("name_constraints", authority.Constraints().String()).Str("keys", keysName(keys)).Msg("CA rebuilt")
			if given {
				if err := cakeys.Save(c.dir, cfg); err != nil {
					return fmt.Errorf("the CA was rebuilt, but recording its key store failed (write DATA/%s by hand): %w", cakeys.FileName, err)
				}
			}
			_, err = fmt.Fprintf(c.stdout, "generation %d\nroot sha256 %s\nkeys %s\n", authority.Generation, fingerprint(authority.Root), keysName(keys))
			return err
		},
	}
}

// fingerprint is the SHA-256 of a certificate, as hosts' serverTrustCAs
// policy names it.
func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
