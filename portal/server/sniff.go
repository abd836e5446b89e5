package server

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"time"
)

// split serves TLS and plain HTTP on one port: each accepted connection goes
// to the TLS side when its first byte opens a TLS handshake record
// (content type 22, RFC 8446, Section 5.1), else to the plain side, which
// serves only CRLs (RFC 5280, Section 4.2.1.13: relying parties fetch a CRL
// distribution point over http, not https).
type split struct {
	ln         net.Listener
	tls, plain *chanListener
	closeOnce  sync.Once
}

const (
	tlsRecordHandshake = 0x16
	// sniffTimeout bounds how long a silent connection holds a goroutine.
	sniffTimeout = 10 * time.Second
)

func newSplit(ln net.Listener) *split {
	done := make(chan struct{})
	s := &split{ln: ln}
	s.tls = &chanListener{c: make(chan net.Conn), done: done, addr: ln.Addr(), close: s.close}
	s.plain = &chanListener{c: make(chan net.Conn), done: done, addr: ln.Addr(), close: s.close}
	go s.run(done)
	return s
}

func (s *split) close() {
	s.closeOnce.Do(func() {
		close(s.tls.done)
		s.ln.Close()
	})
}

func (s *split) run(done chan struct{}) {
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			s.close()
			return
		}
		if err != nil {
			// Out of file descriptors and the like: back off and retry,
			// as net/http's Serve does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(delay):
			case <-done:
				return
			}
			continue
		}
		delay = 0
		go s.classify(c, done)
	}
}

func (s *split) classify(c net.Conn, done chan struct{}) {
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	br := bufio.NewReaderSize(c, 1024)
	first, err := br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	to := s.plain
	if first[0] == tlsRecordHandshake {
		to = s.tls
	}
	select {
	case to.c <- &peekedConn{Conn: c, r: br}:
	case <-done:
		c.Close()
	}
}

// peekedConn reads through the reader that peeked at its first byte.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// chanListener is one side of a split.
type chanListener struct {
	c     chan net.Conn
	done  chan struct{}
	addr  net.Addr
	close func()
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.c:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close closes the shared listener: both sides stop accepting.
func (l *chanListener) Close() error {
	l.close()
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
