// Command certrenew-nm is the process the browser starts for certrenew's
// native messaging host (the path in the manifests `certrenew-host
// install` writes). It is small and pure Go so that opening the popup is
// quick: it answers hello and list itself and hands the rest of the
// session to certrenew-host, which it finds beside itself (host/front).
// `certrenew-nm version` prints its version.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/listing"
	"github.com/certrenew/certrenew/host/origin"
	"github.com/certrenew/certrenew/host/proto"
)

// version is set at build time, as certrenew-host's; the front answers
// from a start-up record only if the full host that wrote it has the same.
var version = "dev"

func main() {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == "version" {
		fmt.Println("certrenew-nm", version)
		return
	}
	os.Exit(serve(args))
}

func serve(args []string) int {
	// A browser that closes the port while certrenew-host still runs an
	// operation must not take it down: with SIGPIPE ignored, replies to
	// the closed port fail as errors and the front keeps reading the full
	// host until it has finished (or undone) the operation and exited.
	signal.Ignore(syscall.SIGPIPE)
	paths, err := config.Resolve()
	if err != nil {
		return fail(err)
	}
	settings, err := paths.Load()
	if err != nil {
		return fail(err)
	}
	log, closeLog, err := front.OpenLog(paths.LogFile())
	if err != nil {
		return fail(err)
	}
	defer closeLog()
	log = log.With().Str("proc", "certrenew-nm").Logger()
	host, err := hostPath()
	if err != nil {
		return fail(err)
	}
	src := listing.InDir(paths.Home)
	src.WarnDays, src.Log = settings.WarnDays, log
	s := &front.Session{
		In: os.Stdin, Out: os.Stdout, Args: args,
		Allowed: append(append([]string{}, origin.Default...), settings.AllowedOrigins...),
		Hello:   func() (*proto.Hello, error) { return front.Current(paths.Home, version, host) },
		List:    src,
		Start:   front.Command(host, args, os.Stderr),
		Log:     log,
	}
	if err := s.Serve(context.Background()); err != nil {
		return 1
	}
	return 0
}

// hostPath is certrenew-host beside this executable.
func hostPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	name := "certrenew-host"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(filepath.Dir(exe), name), nil
}

// fail reports a start-up error as the one frame the extension can read.
func fail(err error) int {
	proto.WriteReply(os.Stdout, &proto.Reply{Type: proto.TypeError, Error: (&proto.Error{Code: errcode.Internal, Detail: err.Error()}).Localize("")})
	return 1
}
