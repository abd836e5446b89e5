package keychain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Tool is the security(1) binary.
const Tool = "/usr/bin/security"

// InputPath is where RunInput's data appears to the tool: the read end of
// a pipe inherited as file descriptor 3. security(1) reads an input file
// with open, fstat and one read of st_size bytes (readFileSizet in Apple's
// SecurityTool), and on macOS fstat of a pipe reports the bytes buffered in
// it, so the data is written in full before the tool starts.
const InputPath = "/dev/fd/3"

// maxInput keeps RunInput's data within one pipe buffer (16 KiB on macOS),
// so the write completes before the reader exists. An identity's PKCS#12
// is 2-5 KiB.
const maxInput = 16 << 10

// Exec runs the real security tool.
type Exec struct {
	// Path is the tool; "" means Tool. Tests point it elsewhere.
	Path string
}

func (e Exec) command(ctx context.Context, args []string) *exec.Cmd {
	p := e.Path
	if p == "" {
		p = Tool
	}
	return exec.CommandContext(ctx, p, args...)
}

// Run runs security with args. Errors carry the subcommand and stderr,
// never the other arguments.
func (e Exec) Run(ctx context.Context, args ...string) ([]byte, error) {
	return run(e.command(ctx, args), args)
}

// RunInput runs security with data readable at InputPath, through a pipe:
// the data is never written to a file, and never on the command line.
func (e Exec) RunInput(ctx context.Context, data []byte, args ...string) ([]byte, error) {
	if len(data) > maxInput {
		return nil, fmt.Errorf("security %s: input of %d bytes exceeds one pipe buffer", args[0], len(data))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	_, werr := w.Write(data)
	if err := errors.Join(werr, w.Close()); err != nil {
		return nil, fmt.Errorf("security %s: fill input pipe: %w", args[0], err)
	}
	cmd := e.command(ctx, args)
	cmd.ExtraFiles = []*os.File{r} // fd 3
	return run(cmd, args)
}

func run(cmd *exec.Cmd, args []string) ([]byte, error) {
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
