package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/internal/testenv"
)

// TestUntrustServerCA: what the demo does and undoes. `install
// --server-trust-ca` makes the portal's root an anchor for TLS servers at
// enrollment (NSS's vfychain accepts a server certificate it issued);
// `untrust --server-trust-ca` takes that away again (vfychain refuses it)
// while the enrolled client certificate still verifies for SSL client use,
// and `untrust --portal-ca` forgets the portal CA the host kept. Running
// it twice changes nothing more.
func TestUntrustServerCA(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util", "vfychain")
	p, code := alicePortal(t)
	root := filepath.Join(p.Dir, "ca", "root.pem")
	u := newUser(t)
	u.host(t, "", "install", "--portal-ca", root, "--server-trust-ca", root)
	u.enroll(t, p, code)
	server, err := p.CA.ServerCert("intranet.test")
	if err != nil {
		t.Fatal(err)
	}
	const sslClient, sslServer = "0", "1"
	if ok, out := u.vfychain(t, sslServer, server.Leaf); !ok {
		t.Fatalf("after install --server-trust-ca and enrollment NSS rejects a server certificate of the CA:\n%s", out)
	}

	out := u.host(t, "", "untrust", "--portal-ca", root, "--server-trust-ca", root)
	fp := engine.Fingerprint(p.CA.Root)
	if !strings.Contains(out, "no longer trusting portal CA") || !strings.Contains(out, "CA no longer trusted for TLS servers: sha256 "+fp) {
		t.Fatalf("untrust said:\n%s", out)
	}
	if ok, out := u.vfychain(t, sslServer, server.Leaf); ok {
		t.Fatalf("after untrust NSS still accepts a server certificate of the CA:\n%s", out)
	}
	view := u.nss(t)
	if ok, out := u.vfychain(t, sslClient, view.clients[0]); !ok {
		t.Fatalf("after untrust NSS rejects the enrolled client certificate for SSL client use:\n%s", out)
	}
	if again := u.host(t, "", "untrust", "--portal-ca", root, "--server-trust-ca", root); strings.Contains(again, "no longer") {
		t.Fatalf("untrust a second time changed something:\n%s", again)
	}
}
