package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/server"
)

func cmdCARebuild(args []string, stdout io.Writer) error {
	f := newFlags("ca rebuild")
	list := f.String("name-constraints", "", `permitted DNS domains, IPs and CIDRs of the new generation (comma-separated; "none"); default: the old generation's`)
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	dir := filepath.Join(e.dir, "ca")
	var c *ca.CA
	if *list == "" {
		c, err = ca.Rebuild(dir)
	} else {
		var nc ca.Constraints
		if *list != "none" {
			if nc, err = ca.ParseConstraints(*list); err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
		}
		c, err = ca.RebuildWith(dir, nc)
	}
	if err != nil {
		return err
	}
	e.log.Info().Int("generation", c.Generation).Str("root_serial", c.Root.SerialNumber.Text(16)).
		Str("name_constraints", c.Constraints().String()).Msg("CA rebuilt")
	_, err = fmt.Fprintf(stdout, "generation %d\nroot sha256 %s\n", c.Generation, fingerprint(c.Root))
	return err
}

// cmdCAInit creates the CA, name-constrained, before the first serve
// would create an unconstrained one.
func cmdCAInit(args []string, stdout io.Writer) error {
	f := newFlags("ca init")
	list := f.String("name-constraints", "", "permitted DNS domains, IPs and CIDRs (comma-separated), e.g. corp.example,10.0.0.0/8")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	nc, err := ca.ParseConstraints(*list)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := privateDir(*f.data); err != nil {
		return err
	}
	c, err := ca.Init(filepath.Join(*f.data, "ca"), nc)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\nroot sha256 %s\n", c.RootPath(), fingerprint(c.Root))
	return err
}

// fingerprint is the SHA-256 of a certificate, as hosts' serverTrustCAs
// policy names it.
func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// reloadOnHUP reloads the CA directory on SIGHUP, so `ca rebuild` takes
// effect without a restart, and re-issues the server's TLS certificate
// (from the rebuilt CA, with the link certificates in its chain).
func reloadOnHUP(ctx context.Context, srv *server.Server, dir string, log zerolog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			c, err := ca.Load(dir)
			if err != nil {
				log.Error().Err(err).Msg("CA reload failed; keeping the loaded CA")
				continue
			}
			srv.SetCA(c)
			log.Info().Int("generation", c.Generation).Msg("CA reloaded")
			if err := srv.RenewServerCert(); err != nil {
				log.Error().Err(err).Msg("server certificate re-issue failed; keeping the current one")
			}
		}
	}
}
