//go:build linux

package tpm

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/godbus/dbus/v5"
	"github.com/google/go-tpm/tpm2/transport"
)

// tpm2-abrmd is the user-space TPM2 access broker and resource manager
// (TCG "TSS 2.0 TAB and Resource Manager Specification"). It is what a
// machine without the kernel's /dev/tpmrm0 uses to share one TPM between
// programs, and what lets the tests share one swtpm between certrenew-host,
// tpm2_ptool and Chromium's tpm2-pkcs11 module: swtpm serves one client at
// a time and holds only three transient objects, tabrmd swaps them per
// connection.
//
// A client asks the daemon for a connection over D-Bus
// (com.intel.tss2.TctiTabrmd.CreateConnection on /com/intel/tss2/Tabrmd/Tcti).
// The reply's body is only the connection id; the connection itself is a
// unix socket passed out of band (SCM_RIGHTS) beside the reply, on which
// raw TPM 2.0 commands and responses flow. godbus drops descriptors that
// the body does not name, so the D-Bus socket is wrapped to keep them.

const (
	tabrmdBusName   = "com.intel.tss2.Tabrmd"
	tabrmdPath      = "/com/intel/tss2/Tabrmd/Tcti"
	tabrmdInterface = "com.intel.tss2.TctiTabrmd"
)

// TabrmdConfig is the tabrmd TCTI's configuration, in the TSS's own syntax
// ("bus_name=com.intel.tss2.Tabrmd,bus_type=session"), so one string
// configures certrenew-host and tpm2-pkcs11 alike.
type TabrmdConfig struct {
	BusName string // "" is com.intel.tss2.Tabrmd
	BusType string // "system" (default) or "session"
}

// ParseTabrmdConfig parses the tabrmd TCTI configuration string.
func ParseTabrmdConfig(conf string) (TabrmdConfig, error) {
	c := TabrmdConfig{BusName: tabrmdBusName, BusType: "system"}
	if conf == "" {
		return c, nil
	}
	for _, kv := range strings.Split(conf, ",") {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return c, fmt.Errorf("tpm: tabrmd option %q is not key=value", kv)
		case k == "bus_name" && v != "":
			c.BusName = v
		case k == "bus_type" && (v == "system" || v == "session"):
			c.BusType = v
		default:
			return c, fmt.Errorf("tpm: tabrmd option %q: want bus_name=NAME or bus_type=system|session", kv)
		}
	}
	return c, nil
}

// DialTabrmd returns an Opener that gets a connection from tpm2-abrmd.
func DialTabrmd(c TabrmdConfig) Opener {
	return func() (transport.TPMCloser, error) {
		conn, err := c.connect()
		if err != nil {
			return nil, fmt.Errorf("tpm2-abrmd (%s bus): %w", c.BusType, err)
		}
		return transport.FromReadWriteCloser(conn), nil
	}
}

func (c TabrmdConfig) connect() (net.Conn, error) {
	sock, err := dialBus(c.BusType)
	if err != nil {
		return nil, err
	}
	fc := &fdCatcher{UnixConn: sock}
	bus, err := dbus.NewConn(fc)
	if err != nil {
		sock.Close()
		return nil, err
	}
	defer bus.Close()
	if err := bus.Auth([]dbus.Auth{dbus.AuthExternal(fmt.Sprint(os.Geteuid()))}); err != nil {
		return nil, fmt.Errorf("d-bus auth: %w", err)
	}
	if err := bus.Hello(); err != nil {
		return nil, fmt.Errorf("d-bus hello: %w", err)
	}
	var id uint64
	call := bus.Object(c.BusName, tabrmdPath).Call(tabrmdInterface+".CreateConnection", dbus.FlagNoAutoStart)
	if err := call.Store(&id); err != nil {
		fc.closeFDs()
		var de dbus.Error
		if errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
			return nil, fmt.Errorf("%w: no %s on the bus (is tpm2-abrmd running?)", os.ErrNotExist, c.BusName)
		}
		return nil, fmt.Errorf("CreateConnection: %w", err)
	}
	fds := fc.takeFDs()
	if len(fds) != 1 {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return nil, fmt.Errorf("CreateConnection passed %d descriptors, want 1", len(fds))
	}
	f := os.NewFile(uintptr(fds[0]), "tabrmd")
	defer f.Close() // FileConn dups it
	return net.FileConn(f)
}

// dialBus connects to the session or system bus named by the environment
// (DBUS_SESSION_BUS_ADDRESS, DBUS_SYSTEM_BUS_ADDRESS), taking the first
// unix address that answers. See the D-Bus Specification, "Server
// Addresses".
func dialBus(busType string) (*net.UnixConn, error) {
	addrs := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS")
	if addrs == "" {
		addrs = "unix:path=/run/dbus/system_bus_socket"
	}
	if busType == "session" {
		if addrs = os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addrs == "" {
			return nil, fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set", os.ErrNotExist)
		}
	}
	var last error = fmt.Errorf("%w: no unix address in %q", os.ErrNotExist, addrs)
	for _, a := range strings.Split(addrs, ";") {
		path, ok := unixPath(a)
		if !ok {
			continue
		}
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// unixPath returns the socket path of a "unix:path=..." or
// "unix:abstract=..." address (abstract names start with "@" in Go).
func unixPath(addr string) (string, bool) {
	opts, ok := strings.CutPrefix(addr, "unix:")
	if !ok {
		return "", false
	}
	for _, kv := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(kv, "=")
		v, err := url.PathUnescape(v)
		if err != nil {
			return "", false
		}
		switch k {
		case "path":
			return v, true
		case "abstract":
			return "@" + v, true
		}
	}
	return "", false
}

// fdCatcher is the D-Bus socket for godbus's generic transport: it asks the
// bus for descriptor passing (NEGOTIATE_UNIX_FD, before BEGIN in the
// authentication exchange) and keeps every descriptor that arrives.
type fdCatcher struct {
	*net.UnixConn
	mu  sync.Mutex
	fds []int
}

func (c *fdCatcher) Read(p []byte) (int, error) {
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := c.ReadMsgUnix(p, oob)
	if oobn > 0 {
		msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn])
		if perr == nil {
			for i := range msgs {
				if fds, err := syscall.ParseUnixRights(&msgs[i]); err == nil {
					c.mu.Lock()
					c.fds = append(c.fds, fds...)
					c.mu.Unlock()
				}
			}
		}
	}
	return n, err
}

// Write passes the authentication lines through, putting NEGOTIATE_UNIX_FD
// before BEGIN: without it the bus refuses to pass descriptors to us.
func (c *fdCatcher) Write(p []byte) (int, error) {
	if !bytes.Equal(p, []byte("BEGIN\r\n")) {
		return c.UnixConn.Write(p)
	}
	if _, err := c.UnixConn.Write([]byte("NEGOTIATE_UNIX_FD\r\n")); err != nil {
		return 0, err
	}
	line := make([]byte, 0, 32)
	b := make([]byte, 1)
	for !bytes.HasSuffix(line, []byte("\r\n")) && len(line) < 256 {
		if _, err := c.UnixConn.Read(b); err != nil {
			return 0, err
		}
		line = append(line, b[0])
	}
	if !bytes.HasPrefix(line, []byte("AGREE_UNIX_FD")) {
		return 0, fmt.Errorf("d-bus: the bus does not pass file descriptors: %q", bytes.TrimSpace(line))
	}
	return c.UnixConn.Write(p)
}

func (c *fdCatcher) takeFDs() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	fds := c.fds
	c.fds = nil
	return fds
}

func (c *fdCatcher) closeFDs() {
	for _, fd := range c.takeFDs() {
		syscall.Close(fd)
	}
}
