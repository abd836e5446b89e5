package e2e

import (
	"crypto/x509"
	"encoding/pem"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nssView is what the NSS database in a user's HOME holds, read with the
// NSS tools themselves.
type nssView struct {
	listing string
	clients []*x509.Certificate // certificates under certrenew-* nicknames
	keyIDs  []string
}

func (u *user) nss(t *testing.T) nssView {
	t.Helper()
	db := "sql:" + filepath.Join(u.home, ".pki", "nssdb")
	out, err := exec.Command("certutil", "-d", db, "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v %s", err, out)
	}
	v := nssView{listing: string(out)}
	for _, line := range strings.Split(v.listing, "\n") {
		if !strings.HasPrefix(line, "certrenew-") {
			continue
		}
		nick := strings.Fields(line)[0]
		pems, err := exec.Command("certutil", "-d", db, "-L", "-n", nick, "-a").Output()
		if err != nil {
			t.Fatalf("certutil -L -n %s: %v", nick, err)
		}
		for rest := pems; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			v.clients = append(v.clients, c)
		}
	}
	keys, _ := exec.Command("certutil", "-d", db, "-K").CombinedOutput()
	for _, line := range strings.Split(string(keys), "\n") {
		if _, rest, ok := strings.Cut(line, ">"); ok {
			if f := strings.Fields(rest); len(f) >= 2 {
				v.keyIDs = append(v.keyIDs, f[1])
			}
		}
	}
	return v
}

// only asserts the database holds exactly one client certificate, with
// serial, and exactly one key; it returns that key's ID.
func (v nssView) only(t *testing.T, serial string) string {
	t.Helper()
	if len(v.clients) != 1 || v.clients[0].SerialNumber.Text(16) != serial {
		var got []string
		for _, c := range v.clients {
			got = append(got, c.SerialNumber.Text(16))
		}
		t.Fatalf("NSS client certificates %v, want only %s\n%s", got, serial, v.listing)
	}
	if len(v.keyIDs) != 1 {
		t.Fatalf("NSS keys %v, want exactly one", v.keyIDs)
	}
	return v.keyIDs[0]
}

// trustsRoot asserts a certrenew root CA is installed as a trust anchor for
// client certificates only ("T,,"): never for TLS servers (issue 11).
func (v nssView) trustsRoot(t *testing.T) {
	t.Helper()
	for _, line := range strings.Split(v.listing, "\n") {
		if strings.HasPrefix(line, "certrenew CA ") && strings.Contains(line, "Root") && strings.HasSuffix(strings.TrimSpace(line), " T,,") {
			return
		}
	}
	t.Fatalf("no certrenew root CA with trust T,, in NSS:\n%s", v.listing)
}

// verifies asserts NSS itself validates the client certificate for SSL
// client use (certutil -V -u C), chain and trust included.
func (u *user) nssVerifies(t *testing.T, nick string) {
	t.Helper()
	db := "sql:" + filepath.Join(u.home, ".pki", "nssdb")
	out, err := exec.Command("certutil", "-d", db, "-V", "-n", nick, "-u", "C").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "certificate is valid") {
		t.Fatalf("certutil -V %s: %v\n%s", nick, err, out)
	}
}

func (v nssView) nickname(t *testing.T) string {
	t.Helper()
	for _, line := range strings.Split(v.listing, "\n") {
		if strings.HasPrefix(line, "certrenew-") {
			return strings.Fields(line)[0]
		}
	}
	t.Fatal("no certrenew client certificate in NSS")
	return ""
}
