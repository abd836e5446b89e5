package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Terminal is the user's terminal when stdin is one: secrets are asked for
// on it with a prompt and read without echo, instead of the --*-stdin
// lines (which at a terminal would wait silently and echo what is typed).
type Terminal interface {
	// ReadSecret shows prompt and reads one line with echo off.
	ReadSecret(prompt string) (string, error)
}

// StdinTerminal is stdin as a Terminal (prompts go to prompts, stderr in
// practice, so stdout stays the command's output), or nil when stdin is
// not a terminal: then secrets come as lines on stdin, as before.
func StdinTerminal(stdin *os.File, prompts io.Writer) Terminal {
	if !term.IsTerminal(int(stdin.Fd())) {
		return nil
	}
	return ttyTerminal{fd: int(stdin.Fd()), out: prompts}
}

type ttyTerminal struct {
	fd  int
	out io.Writer
}

func (t ttyTerminal) ReadSecret(prompt string) (string, error) {
	fmt.Fprint(t.out, prompt)
	b, err := term.ReadPassword(t.fd)
	// The Enter typed was not echoed either: end the prompt's line.
	fmt.Fprintln(t.out)
	return string(b), err
}

// askSecrets prompts for each named secret on the terminal, without echo,
// in the order named. An empty name is a secret not asked for. Errors name
// the secret, never what was typed.
func askSecrets(t Terminal, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, name := range names {
		if name == "" {
			continue
		}
		s, err := t.ReadSecret(promptFor(name))
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: no %s entered", ErrUsage, name)
			}
			return nil, fmt.Errorf("reading the %s from the terminal: %w", name, err)
		}
		if s == "" {
			return nil, fmt.Errorf("%w: the %s entered is empty", ErrUsage, name)
		}
		out[i] = s
	}
	return out, nil
}

// promptFor is the prompt for a secret named as readLines names it.
func promptFor(name string) string {
	switch name {
	case "password":
		return "Password (not shown): "
	case "invitation code":
		return "Invitation code (not shown): "
	case "PIN":
		return "Token PIN (not shown): "
	}
	return name + " (not shown): "
}
