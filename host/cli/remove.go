package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/certrenew/certrenew/host/proto"
)

// remove deletes a managed certificate and its key, as the extension's
// ⁝ → Remove… does (proto.CmdRemove).
func (c *CLI) remove(ctx context.Context, args []string) error {
	fs := c.flags("remove")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	id, err := parseWithID(fs, args, "remove CERT-ID")
	if err != nil {
		return err
	}
	res, err := c.run(ctx, proto.CmdRemove, proto.RemoveParams{CertID: id})
	if err != nil {
		return err
	}
	return c.show(*asJSON, res, func(w io.Writer) {
		r := res.(*proto.RemoveResult)
		fmt.Fprintf(w, "removed %s (serial %s)\n", r.CertID, r.Serial)
	})
}
