package keychain

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Tool is the security(1) binary.
const Tool = "/usr/bin/security"

// Exec runs the real security tool.
type Exec struct{}

// Run runs security with args. Errors carry the subcommand and stderr,
// never the arguments (an import's one-time password is one of them).
func (Exec) Run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, Tool, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 400 {
			msg = msg[:400]
		}
		return nil, fmt.Errorf("security %s: %w: %s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}
