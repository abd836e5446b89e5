package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/sqlstore"
)

// A command is one row of the command table (main.go).
type command struct {
	name    string                   // as typed: "invite create"
	when    func(rest []string) bool // if set, the row is for these arguments only
	flagSet string                   // the name its command-line errors give, if not name
	args    int                      // positional arguments it takes
	opens   opens                    // what is opened before its body runs
	// setup declares the command's own flags (--data is everyone's) and
	// returns what it does once they are parsed.
	setup func(f *flags) action
}

// opens says what a command opens in the data directory before its body
// runs.
type opens int

const (
	// storeAndLog (the zero value) opens the database and appends to the log.
	storeAndLog opens = iota
	// dataDirOnly makes the data directory (mode 0700) and opens nothing.
	dataDirOnly
)

// An action is a command's body: check the command line beyond what the
// flag parser knows, before anything is opened (optional); then do.
type action struct {
	check func(c *call) error
	do    func(c *call) error
}

// call is one run of a command: its parsed command line and, for
// commands that open them, the store and the log.
type call struct {
	ctx    context.Context
	args   []string // positional arguments
	dir    string   // the data directory (--data)
	stdin  io.Reader
	stdout io.Writer
	*env
}

// run is what every command does: parse its flags and count its
// arguments, check, open the data directory, run its body and explain
// store errors. main picks the exit status.
func (cmd command) run(args []string, stdin io.Reader, stdout io.Writer) error {
	name := cmd.flagSet
	if name == "" {
		name = cmd.name
	}
	f := newFlags(name)
	act := cmd.setup(f)
	pos, err := f.parse(args, cmd.args)
	if err != nil {
		return err
	}
	c := &call{ctx: context.Background(), args: pos, dir: *f.data, stdin: stdin, stdout: stdout}
	if act.check != nil {
		if err := act.check(c); err != nil {
			return err
		}
	}
	switch cmd.opens {
	case storeAndLog:
		c.env, err = openEnv(c.dir, f.logPath)
	case dataDirOnly:
		err = privateDir(c.dir)
	}
	if err != nil {
		return err
	}
	if c.env != nil {
		defer c.env.close()
	}
	return explain(act.do(c))
}

// admin is the store's administrator operations.
func (c *call) admin() *admin.Admin { return &admin.Admin{Store: c.store} }

// println prints one line of output.
func (c *call) println(a ...any) error {
	_, err := fmt.Fprintln(c.stdout, a...)
	return err
}

// table prints a header and rows, in columns.
func (c *call) table(header string, rows [][]string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// flags is a command's flag set with the shared --data flag.
type flags struct {
	*flag.FlagSet
	data    *string
	logPath string // serve's --log; "" is DATA/portal.log
}

func newFlags(name string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := os.Getenv("CERTRENEW_PORTAL_DATA")
	if def == "" {
		def = "./portal-data"
	}
	return &flags{FlagSet: fs, data: fs.String("data", def, "data directory")}
}

// parse parses flags mixed with positional arguments ("user add ID
// --password-stdin") and checks the positional count.
func (f *flags) parse(args []string, positional int) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errUsage, f.Name(), err)
		}
		if f.NArg() == 0 {
			break
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
	if len(pos) != positional {
		return nil, fmt.Errorf("%w: %s takes %d argument(s), got %d", errUsage, f.Name(), positional, len(pos))
	}
	return pos, nil
}

// env is what a command opens in the data directory.
type env struct {
	log   zerolog.Logger
	store *sqlstore.DB
	close func()
}

// openEnv opens the log (logPath, or DATA/portal.log) and the database:
// DATA/portal.db (SQLite), or $CERTRENEW_PORTAL_DB if it is a
// postgres:// DSN.
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
	var db *sqlstore.DB
	if dsn := os.Getenv("CERTRENEW_PORTAL_DB"); sqlstore.IsPostgresDSN(dsn) {
		db, err = sqlstore.OpenPostgres(context.Background(), dsn)
	} else {
		db, err = sqlstore.Open(context.Background(), filepath.Join(dir, "portal.db"))
	}
	if err != nil {
		lf.Close()
		return nil, err
	}
	return &env{
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

// usagef makes a bad-command-line error (exit status 2).
func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, a...)...)
}

// needs is a check that a command was given --flag.
func needs(cmd, flag string, value *string) func(*call) error {
	return func(*call) error {
		if *value == "" {
			return usagef("%s needs --%s", cmd, flag)
		}
		return nil
	}
}

// serialFirst tells "reissue allow --serial S" from "reissue allow ID".
func serialFirst(rest []string) bool {
	return len(rest) > 0 && strings.HasPrefix(strings.TrimLeft(rest[0], "-"), "serial")
}
