package main

import (
	"context"
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
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	c, err := ca.Rebuild(filepath.Join(e.dir, "ca"))
	if err != nil {
		return err
	}
	e.log.Info().Int("generation", c.Generation).Str("root_serial", c.Root.SerialNumber.Text(16)).Msg("CA rebuilt")
	_, err = fmt.Fprintf(stdout, "generation %d\n", c.Generation)
	return err
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
