package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/certrenew/certrenew/host/proto"
)

// remove deletes a managed certificate and its key, as the extension's
// ⁝ → Remove… does (proto.CmdRemove).
func (c *CLI) remove(ctx context.Context, args []string) error {
	fs := c.flags("remove")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	if id == "" {
		return fmt.Errorf("%w: remove CERT-ID", ErrUsage)
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
