package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/internal/session"
	"github.com/certrenew/certrenew/host/nm"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/rs/zerolog"
)

// started is a host ready to run commands on certificates.
type started struct {
	set   *commands.Set
	log   zerolog.Logger
	close func()
	// record is what the front may answer from (front.Record), when this
	// start left nothing to do for a later one; nil otherwise.
	record *front.Record
}

// serveNative runs a native messaging session for the browser that started
// the host with args.
func (h *Host) serveNative(args []string) int {
	settings, err := h.Paths.Load()
	if err != nil {
		return h.fail(true, err)
	}
	logger, closeLog, err := openLog(h.Paths)
	if err != nil {
		return h.fail(true, err)
	}
	defer closeLog()
	allowed := append(append([]string{}, nm.DefaultOrigins...), settings.AllowedOrigins...)
	// A caller that is refused touches nothing: no recovery runs.
	if session.Admit(args, allowed, logger, func(r *proto.Reply) { proto.WriteReply(h.Stdout, r) }) != nil {
		return 1
	}
	ctx, st, err := h.startWith(settings, logger)
	if err != nil {
		return h.fail(true, err)
	}
	defer st.close()
	h.writeRecord(st, settings)
	s := &nm.Session{In: h.Stdin, Out: h.Stdout, Args: args, Allowed: allowed, Commands: st.set, Log: logger}
	if err := s.Serve(ctx); err != nil {
		return 1
	}
	return 0
}

// start reads the settings, opens the log and starts the host.
func (h *Host) start() (context.Context, *started, error) {
	settings, err := h.Paths.Load()
	if err != nil {
		return nil, nil, err
	}
	logger, closeLog, err := openLog(h.Paths)
	if err != nil {
		return nil, nil, err
	}
	ctx, st, err := h.startWith(settings, logger)
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	stop := st.close
	st.close = func() { stop(); closeLog() }
	return ctx, st, nil
}

// startWith builds the engine, finishes or undoes what an interrupted
// operation left (recovery) and applies the trust scope once; the context
// ends at SIGINT or SIGTERM.
func (h *Host) startWith(settings config.Settings, logger zerolog.Logger) (context.Context, *started, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The trusted CAs (the system's and those `install --portal-ca` added)
	// are loaded once, on first use: hello and list need none.
	roots := sync.OnceValues(h.Paths.Roots)
	eng, err := h.NewEngine(ctx, h.Paths, settings, logger, roots)
	if err != nil {
		logger.Error().Err(err).Msg("start-up failed")
		stop()
		return nil, nil, err
	}
	settled := true
	recovered, err := eng.Recover(ctx)
	if err != nil {
		settled = false
		logger.Error().Err(err).Msg("recovery incomplete")
	}
	// Once: CAs an older certrenew trusted for TLS servers lose it.
	if err := eng.ScopeTrust(ctx); err != nil {
		settled = false
		logger.Warn().Err(err).Msg("trust scope not applied; retried at the next start")
	}
	set := &commands.Set{
		Engine: eng, HostVersion: h.Version, Recovered: recovered, Log: logger,
		Doctor: h.DoctorEnv(h.Paths, func() *x509.CertPool { r, _ := roots(); return r }),
	}
	st := &started{set: set, log: logger, close: stop}
	if settled {
		st.record = &front.Record{Version: h.Version}
	}
	return ctx, st, nil
}

// frontInputs are the files whose change makes a start do more than the
// last (front.Record): the settings, and what this OS adds
// (Host.FrontInputs).
func (h *Host) frontInputs(s config.Settings) []front.Input {
	in := []front.Input{{Path: filepath.Join(h.Paths.Home, "config.json")}}
	if h.FrontInputs != nil {
		in = append(in, h.FrontInputs(h.Paths, s)...)
	}
	return in
}

// writeRecord leaves the front a record of this start (front.Record), so
// the next sessions' hello and list need not start the full host. The
// inputs are stamped now, after the start (which may have made the NSS
// database or registered modules in Firefox profiles), so that what it
// wrote itself does not send the next session to the full host again.
func (h *Host) writeRecord(st *started, settings config.Settings) {
	if st.record == nil {
		return
	}
	st.record.Files = front.Snapshot(h.frontInputs(settings))
	exe, err := os.Executable()
	if err == nil {
		st.record.Host = front.HostStamp(exe)
		st.record.Hello = *st.set.Hello()
		err = front.WriteRecord(h.Paths.Home, *st.record)
	}
	if err != nil {
		st.log.Warn().Err(err).Msg("start-up record not written; the next session starts certrenew-host too")
	}
}

func openLog(paths config.Paths) (zerolog.Logger, func(), error) {
	return front.OpenLog(paths.LogFile())
}

// fail reports a start-up error: as a frame in native messaging mode (the
// only form the extension can read), on stderr otherwise.
func (h *Host) fail(nativeMessaging bool, err error) int {
	if nativeMessaging {
		proto.WriteReply(h.Stdout, &proto.Reply{Type: proto.TypeError, Error: wire.Error(err, "")})
		return 1
	}
	fmt.Fprintln(h.Stderr, "certrenew-host:", err)
	return 1
}
