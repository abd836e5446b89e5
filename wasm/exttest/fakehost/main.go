// Command fakehost is a stand-in for certrenew-host in the extension's
// browser tests: it speaks the real framing and messages (host/proto) but
// keeps two made-up certificates in memory. A renewal with the password
// "wrong" fails with bad_password; any other renews after STEP_DELAY per
// step (default 150ms). It is test scaffolding, never shipped.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
)

func main() {
	delay := 150 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("STEP_DELAY")); err == nil {
		delay = d
	}
	now := time.Now()
	certs := []proto.Cert{
		cert("c1", "CN=alice,O=Example Corp", "1a2b3c", now, 200, 30),
		cert("c2", "CN=alice-laptop,O=Example Corp", "4d5e6f", now, 5, 30),
	}
	if os.Getenv("FAKEHOST_TWINS") != "" {
		// A second "alice" whose key is in a TPM and whose portal has
		// not answered for three days: renewing it fails with
		// server_unreachable.
		c := cert("c3", "CN=alice,O=Example Corp", "7a8b9c", now, 120, 30)
		c.Backend, c.Portal = "tpm", "https://old-portal.example.net"
		c.PortalUnreachableSince = now.Add(-72 * time.Hour).UTC().Truncate(time.Second)
		certs = append([]proto.Cert{c}, certs...) // first: the enroll form must not take its portal
	}
	if os.Getenv("FAKEHOST_EMPTY") != "" {
		certs = nil
	}
	out := os.Stdout
	send := func(r *proto.Reply) {
		if err := proto.WriteReply(out, r); err != nil {
			os.Exit(1)
		}
	}
	send(&proto.Reply{Type: proto.TypeHello, Hello: &proto.Hello{
		Protocol: envOr("FAKEHOST_PROTOCOL", proto.Version), HostVersion: "fake", Backends: []string{"soft"},
	}})
	// certOf decodes req's params into p and finds the certificate *id
	// names; it answers the request's error itself and gives -1 when
	// either fails.
	certOf := func(req *proto.Request, p any, id *string) int {
		if err := req.DecodeParams(p); err != nil {
			send(errReply(req, errcode.BadRequest))
			return -1
		}
		i := find(certs, *id)
		if i < 0 {
			send(errReply(req, errcode.CertNotFound))
		}
		return i
	}
	serial := 0x7000
	for {
		b, err := proto.ReadFrame(os.Stdin, proto.MaxRequestFrame)
		if err != nil {
			return
		}
		req, err := proto.DecodeRequest(b)
		if err != nil {
			send(&proto.Reply{Type: proto.TypeError, Error: (&proto.Error{Code: errcode.BadRequest}).Localize("")})
			continue
		}
		switch req.Command {
		case proto.CmdList:
			send(result(req.ID, proto.ListResult{Certs: certs, WarnDays: 30}))
		case proto.CmdRenew:
			var p proto.RenewParams
			i := certOf(req, &p, &p.CertID)
			if i < 0 {
				continue
			}
			if !certs[i].PortalUnreachableSince.IsZero() {
				send(&proto.Reply{ID: req.ID, Type: proto.TypeProgress, Progress: &proto.Progress{CertID: p.CertID, Step: proto.StepKeygen}})
				send(errReply(req, errcode.ServerUnreachable))
				continue
			}
			if p.Password == "wrong" {
				send(&proto.Reply{ID: req.ID, Type: proto.TypeProgress, Progress: &proto.Progress{CertID: p.CertID, Step: proto.StepKeygen}})
				time.Sleep(delay)
				send(errReply(req, errcode.BadPassword))
				continue
			}
			for _, s := range proto.Steps {
				send(&proto.Reply{ID: req.ID, Type: proto.TypeProgress, Progress: &proto.Progress{CertID: p.CertID, Step: s}})
				if s == proto.StepInstall && os.Getenv("FAKEHOST_NOTICE") != "" {
					// What the Windows store announces before the OS
					// asks the user to trust a new root.
					send(&proto.Reply{ID: req.ID, Type: proto.TypeProgress, Progress: &proto.Progress{CertID: p.CertID, Step: s,
						Notice: &proto.Notice{Kind: proto.NoticeOSConfirmsRoot, Subject: "CN=Example Root CA G2"}}})
				}
				time.Sleep(delay)
			}
			serial++
			old := certs[i].Serial
			certs[i] = cert(certs[i].ID, certs[i].Subject, fmt.Sprintf("%x", serial), time.Now(), 365, 30)
			send(result(req.ID, proto.RenewResult{Cert: certs[i], OldSerial: old}))
		case proto.CmdEnroll:
			var p proto.EnrollParams
			if err := req.DecodeParams(&p); err != nil {
				send(errReply(req, errcode.BadRequest))
				continue
			}
			if p.Invitation != "INVITE-OK" {
				send(errReply(req, errcode.BadInvitation))
				continue
			}
			for _, s := range proto.Steps {
				if s == proto.StepCleanup {
					continue
				}
				send(&proto.Reply{ID: req.ID, Type: proto.TypeProgress, Progress: &proto.Progress{Step: s}})
				time.Sleep(delay)
			}
			serial++
			c := cert(fmt.Sprintf("c%d", len(certs)+1), "CN="+p.User+",O=Example Corp", fmt.Sprintf("%x", serial), time.Now(), 365, 30)
			c.Portal = p.Portal
			certs = append(certs, c)
			send(result(req.ID, proto.EnrollResult{Cert: c}))
		case proto.CmdRemove:
			var p proto.RemoveParams
			i := certOf(req, &p, &p.CertID)
			if i < 0 {
				continue
			}
			removed := certs[i]
			certs = append(certs[:i:i], certs[i+1:]...)
			send(result(req.ID, proto.RemoveResult{CertID: removed.ID, Serial: removed.Serial}))
		default:
			send(errReply(req, errcode.UnknownCommand))
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func cert(id, subject, serial string, now time.Time, days, warn int) proto.Cert {
	status := proto.StatusValid
	if days <= warn {
		status = proto.StatusExpiring
	}
	return proto.Cert{
		ID: id, Subject: subject, Issuer: "CN=Example Issuing CA", Serial: serial,
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(time.Duration(days) * 24 * time.Hour),
		DaysLeft: days, Status: status, Backend: "soft", Portal: "https://portal.example.com", User: "alice",
		SHA256: fingerprint(id + serial),
	}
}

// fingerprint makes a made-up SHA-256 fingerprint in the host's format.
func fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

func find(cs []proto.Cert, id string) int {
	for i := range cs {
		if cs[i].ID == id {
			return i
		}
	}
	return -1
}

func result(id string, v any) *proto.Reply {
	b, _ := json.Marshal(v)
	return &proto.Reply{ID: id, Type: proto.TypeResult, Result: b}
}

func errReply(req *proto.Request, c errcode.Code) *proto.Reply {
	return &proto.Reply{ID: req.ID, Type: proto.TypeError, Error: (&proto.Error{Code: c}).Localize(req.Lang)}
}
