package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/cakeys"
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
		// The key store and its PIN are read at every start: a PIN
		// changed on the token needs only a restart.
		keys, err := openKeys(c.dir)
		if err != nil {
			return err
		}
		r := &reloader{data: c.dir, keys: keys, log: c.log}
		defer r.close()
		c.log.Info().Str("ca_keys", keysName(keys)).Msg("CA key store")
		authority, err := keys.CAConfig().LoadOrCreate(filepath.Join(c.dir, "ca"), c.log)
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
		go r.onHUP(ctx, srv)
		return srv.Serve(ctx)
	}}
}

// reloader reloads the CA directory on SIGHUP, so `ca rebuild` takes
// effect without a restart, and re-issues the server's TLS certificate
// (from the rebuilt CA, with the link certificates in its chain).
type reloader struct {
	data string
	log  zerolog.Logger
	mu   sync.Mutex
	keys *cakeys.Token // the key store the loaded CA signs with
	// old are key stores replaced by a reload: requests in flight may
	// still sign with them, so they are closed at the end only, with keys.
	old []*cakeys.Token
}

func (r *reloader) onHUP(ctx context.Context, srv *server.Server) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			c, err := r.load()
			if err != nil {
				r.log.Error().Err(err).Msg("CA reload failed; keeping the loaded CA")
				continue
			}
			srv.SetCA(c)
			r.log.Info().Int("generation", c.Generation).Msg("CA reloaded")
			if err := srv.RenewServerCert(); err != nil {
				r.log.Error().Err(err).Msg("server certificate re-issue failed; keeping the current one")
			}
		}
	}
}

// load loads the CA with the key store DATA/ca-keys.json names now: the
// open one if unchanged (a rebuild on the same token), else a new one
// (a rebuild that moved the keys to a token).
func (r *reloader) load() (*ca.CA, error) {
	cfg, err := cakeys.Load(r.data)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := r.keys
	if cur := keys.Config(); cfg != cur && (cfg.IsToken() || cur.IsToken()) {
		if keys, err = cakeys.Open(cfg); err != nil {
			return nil, err
		}
	}
	c, err := keys.CAConfig().Load(filepath.Join(r.data, "ca"))
	if err != nil {
		if keys != r.keys {
			keys.Close()
		}
		return nil, err
	}
	if keys != r.keys {
		r.old = append(r.old, r.keys)
		r.keys = keys
		r.log.Info().Str("ca_keys", keysName(keys)).Msg("CA key store")
	}
	return c, nil
}

func (r *reloader) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range append(r.old, r.keys) {
		k.Close()
	}
	r.old, r.keys = nil, nil
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
