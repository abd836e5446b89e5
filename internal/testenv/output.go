package testenv

import (
	"bytes"
	"sync"
)

// Output is what a child process has written so far (its stdout or
// stderr, set as exec.Cmd's writer): exec's copying goroutine writes while
// the test reads.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String is the output so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
