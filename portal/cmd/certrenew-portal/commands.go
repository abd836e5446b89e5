package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/server"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/sqlite"
	"github.com/certrenew/certrenew/portal/store/sqlstore"
)

// env is what every command opens in the data directory.
type env struct {
	dir   string
	log   zerolog.Logger
	store *sqlite.DB
	close func()
}

func openEnv(dir, logPath string) (*env, error) {
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	if logPath == "" {
		logPath = filepath.Join(dir, "portal.log")
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	var db *sqlite.DB
	if dsn := os.Getenv("CERTRENEW_PORTAL_DB"); sqlstore.IsPostgresDSN(dsn) {
		db, err = sqlstore.OpenPostgres(context.Background(), dsn)
	} else {
		db, err = sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	}
	if err != nil {
		lf.Close()
		return nil, err
	}
	return &env{
		dir:   dir,
		log:   zerolog.New(lf).With().Timestamp().Logger(),
		store: db,
		close: func() { db.Close(); lf.Close() },
	}, nil
}

// privateDir makes the data directory, or makes an existing one, mode
// 0700: it holds the database (password hashes), the log and the CA keys.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

func cmdServe(args []string, stdout io.Writer) error {
	f := newFlags("serve")
	listen := f.String("listen", "127.0.0.1:8443", "address to listen on; port 0 picks a free port")
	validity := f.Duration("cert-validity", ca.DefaultClientValidity, "lifetime of issued client certificates")
	logPath := f.String("log", "", "log file (default DATA/portal.log)")
	grace := f.Duration("supersede-grace", server.DefaultSupersedeGrace, "how long a renewed certificate's predecessor stays valid, once its successor is confirmed, before it is revoked")
	unconfirmed := f.Duration("unconfirmed-limit", server.DefaultUnconfirmedLimit, "how long a renewed certificate's predecessor stays valid when its successor is never confirmed")
	publicURL := f.String("public-url", "", "https origin clients use (renewal links, CRL URL, server certificate name); default the listen address")
	crlURL := f.String("crl-url", "", "http origin put into certificates for their CRL; default http:// on the public URL's host and port")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	e, err := openEnv(*f.data, *logPath)
	if err != nil {
		return err
	}
	defer e.close()
	authority, err := ca.LoadOrCreate(filepath.Join(e.dir, "ca"), e.log)
	if err != nil {
		return err
	}
	srv, err := server.Listen(server.Config{
		CA: authority, Store: e.store, Log: e.log, Validity: *validity, SupersedeGrace: *grace, UnconfirmedLimit: *unconfirmed,
		PublicURL: *publicURL, CRLURL: *crlURL,
	}, *listen)
	if err != nil {
		return err
	}
	// The first stdout line is the contract with scripts and tests.
	if _, err := fmt.Fprintln(stdout, srv.URL()); err != nil {
		return err
	}
	if s, ok := stdout.(interface{ Sync() error }); ok {
		_ = s.Sync()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go reloadOnHUP(ctx, srv, filepath.Join(e.dir, "ca"), e.log)
	return srv.Serve(ctx)
}

func cmdUserAdd(args []string, stdin io.Reader) error {
	return withPassword("user add", args, stdin, "user added", func(a *admin.Admin, id, pw string) error {
		return a.AddUser(context.Background(), id, pw)
	})
}

// withPassword runs a user command that takes a user ID and a password
// from stdin (never from the arguments), then logs done (never the
// password).
func withPassword(name string, args []string, stdin io.Reader, done string, run func(a *admin.Admin, id, pw string) error) error {
	f := newFlags(name)
	fromStdin := f.Bool("password-stdin", false, "read the password as one line from stdin")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	if !*fromStdin {
		return fmt.Errorf("%w: %s needs --password-stdin (passwords are never taken as arguments)", errUsage, name)
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	if err := run(&admin.Admin{Store: e.store}, pos[0], pw); err != nil {
		return explain(err)
	}
	e.log.Info().Str("user", pos[0]).Msg(done)
	return nil
}

func cmdInviteCreate(args []string, stdout io.Writer) error {
	f := newFlags("invite create")
	user := f.String("user", "", "user the invitation is for")
	expires := f.Duration("expires", admin.DefaultInvitationTTL, "lifetime of the code (0: no expiry)")
	maxUses := f.Int("max-uses", admin.DefaultInvitationMaxUses, "number of first enrollments allowed (0: no limit)")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("%w: invite create needs --user", errUsage)
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	code, err := (&admin.Admin{Store: e.store}).CreateInvitationWith(context.Background(), *user, *expires, *maxUses)
	if err != nil {
		return explain(err)
	}
	e.log.Info().Str("user", *user).Msg("invitation created")
	_, err = fmt.Fprintln(stdout, code)
	return err
}

func cmdReissue(args []string, allow bool) error {
	f := newFlags("reissue")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	if err := (&admin.Admin{Store: e.store}).SetReissue(context.Background(), pos[0], allow); err != nil {
		return explain(err)
	}
	e.log.Info().Str("user", pos[0]).Bool("reissue_allowed", allow).Msg("re-issue permission set")
	return nil
}

func cmdCertList(args []string, stdout io.Writer) error {
	f := newFlags("cert list")
	user := f.String("user", "", "only this user's certificates")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	certs, err := (&admin.Admin{Store: e.store}).Certs(context.Background(), *user)
	if err != nil {
		return explain(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tUSER\tSTATUS\tNOT AFTER")
	now := time.Now()
	for _, c := range certs {
		status := admin.StatusText(c, certs, now)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Serial, c.UserID, status, c.NotAfter.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func cmdCertRevoke(args []string) error {
	f := newFlags("cert revoke")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	if err := (&admin.Admin{Store: e.store}).Revoke(context.Background(), pos[0]); err != nil {
		return explain(err)
	}
	e.log.Info().Str("serial", admin.NormalizeSerial(pos[0])).Msg("certificate revoked")
	return nil
}

func cmdCAPath(args []string, stdout io.Writer) error {
	f := newFlags("ca path")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	if err := privateDir(*f.data); err != nil {
		return err
	}
	authority, err := ca.LoadOrCreate(filepath.Join(*f.data, "ca"), zerolog.Nop())
	if err != nil {
		return err
	}
	p, err := filepath.Abs(authority.RootPath())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, p)
	return err
}

// explain turns store conditions into operator-facing messages.
func explain(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("not found: %w", err)
	case errors.Is(err, store.ErrExists):
		return fmt.Errorf("already exists: %w", err)
	}
	return err
}
