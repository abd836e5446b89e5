package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/certrenew/certrenew/host/engine"
)

// untrust forgets CAs that install trusted: a portal CA (--portal-ca) no
// longer authenticates portals, and a CA trusted for TLS servers
// (--server-trust-ca) loses that trust in the certificate store; it stays
// an anchor for the client certificates it issued. The demo's stop runs it
// so the demo CA is not left trusted for HTTPS. A CA the host's settings or
// the extension's managed policy still names keeps its server trust.
func (c *CLI) untrust(ctx context.Context, args []string) error {
	fs := c.flags("untrust")
	portalCA := fs.String("portal-ca", "", "PEM file of a CA that install --portal-ca trusted for portal TLS")
	serverCA := fs.String("server-trust-ca", "", "PEM file of a CA that install --server-trust-ca trusted for TLS servers")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *portalCA == "" && *serverCA == "" {
		return usageError{errors.New("untrust needs --portal-ca FILE, --server-trust-ca FILE or both")}
	}
	if *portalCA != "" {
		gone, err := c.Paths.RemoveTrust(*portalCA)
		for _, f := range gone {
			fmt.Fprintln(c.Stdout, "no longer trusting portal CA", f)
		}
		if err != nil {
			return err
		}
	}
	if *serverCA == "" {
		return nil
	}
	fp, _, err := c.Paths.RemoveServerTrust(*serverCA)
	if err != nil {
		return err
	}
	// The engine is built after the removal, so it no longer names fp.
	_, st, err := c.start()
	if err != nil {
		return err
	}
	defer st.close()
	changed, err := st.set.Engine.RescopeTrust(ctx)
	for _, ca := range changed {
		fmt.Fprintln(c.Stdout, "CA no longer trusted for TLS servers: sha256", engine.Fingerprint(ca))
	}
	if errors.Is(err, engine.ErrCannotScope) {
		return fmt.Errorf("%w: remove sha256 %s from the operating system's trusted roots by hand", err, fp)
	}
	if err != nil {
		return err
	}
	if still, err := st.set.Engine.ServerTrusted(ctx, fp); err == nil && still {
		fmt.Fprintln(c.Stdout, "sha256", fp, "stays trusted for TLS servers: the host's settings or the extension's managed policy name it")
	}
	return nil
}
