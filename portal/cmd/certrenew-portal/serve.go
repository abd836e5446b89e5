package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/directory"
	"github.com/certrenew/certrenew/portal/passcheck"
	"github.com/certrenew/certrenew/portal/server"
)

// serve serves HTTPS (and CRLs over plain HTTP on the same port) until
// SIGINT or SIGTERM.
func serve(f *flags) action {
	listen := f.String("listen", "127.0.0.1:8443", "address to listen on; port 0 picks a free port")
	validity := f.Duration("cert-validity", ca.DefaultClientValidity, "lifetime of issued client certificates")
	f.StringVar(&f.logPath, "log", "", "log file (default DATA/portal.log)")
	grace := f.Duration("supersede-grace", server.DefaultSupersedeGrace, "how long a renewed certificate's predecessor stays valid, once its successor is confirmed, before it is revoked")
	unconfirmed := f.Duration("unconfirmed-limit", server.DefaultUnconfirmedLimit, "how long a renewed certificate's predecessor stays valid when its successor is never confirmed")
	publicURL := f.String("public-url", "", "https origin clients use (renewal links, CRL URL, server certificate name); default the listen address")
	serverKeygen := f.Bool("server-keygen", false, "offer keys made on the server, not hardware-bound: the mobile page's one-time PKCS#12 for Android and EST serverkeygen (RFC 7030, 4.4)")
	crlURL := f.String("crl-url", "", "http origin put into certificates for their CRL; default http:// on the public URL's host and port")
	dirFile := f.String("directory", "", "LDAP / Active Directory file (docs/directory.md); default DATA/directory.json if it exists")
	return action{do: func(c *call) error {
		authority, err := ca.LoadOrCreate(filepath.Join(c.dir, "ca"), c.log)
		if err != nil {
			return err
		}
		cfg := server.Config{
			CA: authority, Store: c.store, Log: c.log, Validity: *validity, SupersedeGrace: *grace, UnconfirmedLimit: *unconfirmed,
			PublicURL: *publicURL, CRLURL: *crlURL, ServerKeygen: *serverKeygen,
		}
		if cfg.Directory, err = loadDirectory(c, *dirFile); err != nil {
			return err
		}
		srv, err := server.Listen(cfg, *listen)
		if err != nil {
			return err
		}
		// `profile` puts the URL into the profiles it makes.
		if err := os.WriteFile(filepath.Join(c.dir, publicURLFile), []byte(srv.URL()+"\n"), 0o644); err != nil {
			return err
		}
		// The first stdout line is the contract with scripts and tests.
		if _, err := fmt.Fprintln(c.stdout, srv.URL()); err != nil {
			return err
		}
		if s, ok := c.stdout.(interface{ Sync() error }); ok {
			_ = s.Sync()
		}
		ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		go reloadOnHUP(ctx, srv, filepath.Join(c.dir, "ca"), c.log)
		return srv.Serve(ctx)
	}}
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

// loadDirectory loads the directory file, path or DATA/directory.json,
// and checks that its service account binds (a failure is logged, not
// fatal: the directory may come back; until then directory logins get
// directory_unavailable). No file, no directory: nil.
func loadDirectory(c *call, path string) (passcheck.Directory, error) {
	if path == "" {
		path = filepath.Join(c.dir, "directory.json")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	d, err := directory.Load(path)
	if err != nil {
		return nil, err
	}
	log := c.log.With().Str("directory", d.String()).Logger()
	if err := d.Ping(c.ctx); err != nil {
		log.Error().Err(err).Msg("directory: service account check failed; serving anyway")
	} else {
		log.Info().Msg("directory: passwords of directory users are checked there")
	}
	return d, nil
}
