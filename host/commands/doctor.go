package commands

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/hsm"
)

// DoctorEnv is what the doctor command inspects besides the engine. Zero
// fields are reported as not configured.
type DoctorEnv struct {
	Executable string
	NSSDBs     []string // NSS database directories the host writes to
	// NSSNote, if set, adds to an NSS database's detail (a Firefox
	// profile: whether it reaches the software keys).
	NSSNote func(dir string) string
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
	for _, b := range s.backends() {
		res.Backends = append(res.Backends, proto.DoctorCheck{Name: b, OK: true, Detail: attestationDetail(ctx, s.Engine.Keys(), b)})
		res.Tokens = append(res.Tokens, tokenCheck(ctx, s.Engine.Keys(), b))
	}
	for _, dir := range env.NSSDBs {
		c := nssCheck(dir)
		if c.OK && env.NSSNote != nil {
			if note := env.NSSNote(dir); note != "" {
				c.Detail += "; " + note
			}
		}
		res.NSSDBs = append(res.NSSDBs, c)
	}
	list, err := s.Engine.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	res.Certs = len(list)
	for _, p := range portalsOf(list) {
		c := portalCheck(ctx, env, p)
		res.Portals = append(res.Portals, c)
		// A portal that gave no HTTP answer cannot be reached, which the
		// list then says (engine.NoteReach).
		s.Engine.NoteReach(p, c.Status != proto.DoctorFailed)
	}
	if res.AutoRenewal, err = s.autoPlans(ctx); err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	last, err := s.Engine.LastOutcome()
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	if last != nil {
		res.LastOp = &proto.DoctorLastOp{Command: last.Op, CertID: last.CertID, At: last.At, OK: last.OK, Code: errcode.Code(last.Code)}
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

// portalsOf lists, sorted, the portals that issued ids.
func portalsOf(ids []engine.Identity) []string {
	var out []string
	for _, id := range ids {
		if id.Portal != "" && !slices.Contains(out, id.Portal) {
			out = append(out, id.Portal)
		}
	}
	slices.Sort(out)
	return out
}

// attestationDetail says whether a backend's keys can be proven to the
// portal (docs/hardware-trust.md), "" for a backend that has no proof.
func attestationDetail(ctx context.Context, keys *hsm.Registry, name string) string {
	if keys == nil {
		return ""
	}
	b, err := keys.Backend(name)
	if err != nil {
		return ""
	}
	c, ok := b.(hsm.AttestationChecker)
	if !ok {
		return ""
	}
	what, err := c.CheckAttestation(ctx)
	if err != nil {
		return "keys cannot be attested: " + err.Error()
	}
	return "keys can be attested: " + what
}
