package commands

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/hsm"
)

// DoctorEnv is what the doctor command inspects besides the engine. Zero
// fields are reported as not configured.
type DoctorEnv struct {
	Executable string
	NSSDBs     []string // NSS database directories the host writes to
	LogFile    string   // the host's log (zerolog JSON lines)
	// Roots returns the CAs portals are checked against (loaded on first
	// use: the system pool costs tens of milliseconds); nil means the
	// system's.
	Roots func() *x509.CertPool
	// Timeout bounds each portal check; 0 means 5 s.
	Timeout time.Duration
}

// doctor answers CmdDoctor: a report with no secrets. Portal checks fetch
// /.well-known/est/cacerts (RFC 7030, Section 4.1) over verified TLS.
func (s *Set) doctor(ctx context.Context) (*proto.DoctorResult, error) {
	env := s.Doctor
	res := &proto.DoctorResult{
		HostVersion: s.HostVersion,
		Protocol:    proto.Version,
		Executable:  env.Executable,
		OS:          runtime.GOOS + "/" + runtime.GOARCH,
		Checked:     time.Now().UTC(),
		Backends:    []proto.DoctorCheck{},
		Tokens:      []proto.DoctorCheck{},
		NSSDBs:      []proto.DoctorCheck{},
		Portals:     []proto.DoctorCheck{},
	}
	for _, b := range s.Engine.Backends() {
		res.Backends = append(res.Backends, proto.DoctorCheck{Name: b, OK: true})
		res.Tokens = append(res.Tokens, tokenCheck(ctx, s.Engine.Keys(), b))
	}
	for _, dir := range env.NSSDBs {
		res.NSSDBs = append(res.NSSDBs, nssCheck(dir))
	}
	list, err := s.Engine.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	res.Certs = len(list.Certs)
	portals := map[string]bool{}
	for _, c := range list.Certs {
		if c.Portal != "" {
			portals[c.Portal] = true
		}
	}
	names := make([]string, 0, len(portals))
	for p := range portals {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		res.Portals = append(res.Portals, portalCheck(ctx, env, p))
	}
	if env.LogFile != "" {
		if f, err := os.Open(env.LogFile); err == nil {
			res.LastOp = LastOp(f)
			f.Close()
		}
	}
	return res, nil
}

func tokenCheck(ctx context.Context, keys *hsm.Registry, scheme string) proto.DoctorCheck {
	c := proto.DoctorCheck{Name: scheme}
	if keys == nil {
		c.Detail, c.Status = "not inspected", proto.DoctorNotInspected
		return c
	}
	b, err := keys.Backend(scheme)
	if err != nil {
		c.Detail, c.Status = err.Error(), proto.DoctorFailed
		return c
	}
	l, ok := b.(hsm.Lister)
	if !ok {
		c.OK, c.Detail, c.Status = true, "available", proto.DoctorAvailable
		return c
	}
	ids, err := l.List(ctx)
	if err != nil {
		c.Detail, c.Status = err.Error(), proto.DoctorFailed
		return c
	}
	c.OK, c.Detail, c.Status, c.N = true, fmt.Sprintf("%d key(s)", len(ids)), proto.DoctorKeys, len(ids)
	return c
}

func nssCheck(dir string) proto.DoctorCheck {
	c := proto.DoctorCheck{Name: dir}
	if _, err := os.Stat(filepath.Join(dir, "cert9.db")); err != nil {
		c.Detail, c.Status = "no cert9.db: "+errors.Unwrap(err).Error(), proto.DoctorNSSMissing
		return c
	}
	c.OK, c.Detail, c.Status = true, "cert9.db", proto.DoctorNSSReady
	return c
}

func portalCheck(ctx context.Context, env DoctorEnv, portal string) proto.DoctorCheck {
	c := proto.DoctorCheck{Name: portal}
	timeout := env.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(portal, "/")+"/.well-known/est/cacerts", nil)
	if err != nil {
		c.Detail, c.Status = err.Error(), proto.DoctorFailed
		return c
	}
	var roots *x509.CertPool
	if env.Roots != nil {
		roots = env.Roots()
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	resp, err := client.Do(req)
	if err != nil {
		c.Detail, c.Status = err.Error(), proto.DoctorFailed
		return c
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		c.Detail, c.Status, c.N = "TLS verified; /cacerts answered "+resp.Status, proto.DoctorHTTPStatus, resp.StatusCode
		return c
	}
	c.OK, c.Detail, c.Status = true, "TLS verified ("+tls.VersionName(resp.TLS.Version)+"), /cacerts 200", proto.DoctorTLSVerified
	return c
}

// LastOp finds the last enrollment or renewal in a host log: the engine's
// "enrolled"/"renewed" lines and the session's "request failed" lines for
// enroll and renew. Lines that are not JSON objects are skipped.
func LastOp(r io.Reader) *proto.DoctorLastOp {
	var last *proto.DoctorLastOp
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var l struct {
			Msg     string    `json:"message"`
			Op      string    `json:"op"`
			Command string    `json:"command"`
			CertID  string    `json:"cert_id"`
			Code    string    `json:"code"`
			Time    time.Time `json:"time"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		switch {
		case (l.Msg == "enrolled" || l.Msg == "renewed") && l.Op != "":
			last = &proto.DoctorLastOp{Command: l.Op, CertID: l.CertID, At: l.Time, OK: true}
		case l.Msg == "request failed" && (l.Command == proto.CmdEnroll || l.Command == proto.CmdRenew):
			last = &proto.DoctorLastOp{Command: l.Command, At: l.Time, Code: errcode.Code(l.Code)}
		}
	}
	return last
}
