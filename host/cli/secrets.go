package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Secrets come on stdin, one a line, never as arguments: an argument is in
// /proc/PID/cmdline for every local user and in shell history.

// pinIf names the PIN for readLines if it is asked for (--pin-stdin).
func pinIf(asked bool) string {
	if asked {
		return "PIN"
	}
	return ""
}

// readLines reads one secret a line from r, in the order named, with one
// buffered reader so that no line is lost. An empty name is a secret not
// asked for: its element is "" and it takes no line. Errors name the
// secret and its line, never what was read.
func readLines(r io.Reader, names ...string) ([]string, error) {
	br := bufio.NewReader(r)
	out := make([]string, len(names))
	line := 0
	for i, name := range names {
		if name == "" {
			continue
		}
		line++
		s, err := readSecret(br)
		if errors.Is(err, errNoLine) {
			return nil, fmt.Errorf("%w: no %s on stdin (expected on line %d)", ErrUsage, name, line)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the %s on stdin (line %d) is empty", ErrUsage, name, line)
		}
		out[i] = s
	}
	return out, nil
}

var (
	errNoLine    = errors.New("no line")
	errEmptyLine = errors.New("empty line")
)

// readSecret reads one line from r without echoing it anywhere.
func readSecret(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errNoLine
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errEmptyLine
	}
	return line, nil
}
