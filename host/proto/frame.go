package proto

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

const (
	// MaxHostFrame is the largest frame the host may send. Chrome refuses
	// host-to-browser messages over 1 MiB.
	MaxHostFrame = 1 << 20
	// MaxRequestFrame is the largest frame the host accepts. Requests are
	// small JSON objects; anything bigger is refused before it is read.
	MaxRequestFrame = 64 << 10
)

// ErrFrameTooLarge reports a frame whose declared length is over the cap.
var ErrFrameTooLarge = errors.New("frame too large")

// ErrShortFrame reports a stream that ended inside a frame.
var ErrShortFrame = errors.New("frame truncated")

// ReadFrame reads one frame: a 4-byte length in native byte order followed by
// that many bytes. It never allocates more than max bytes, whatever the
// header claims. At a clean end of stream it returns io.EOF.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, ErrShortFrame
		}
		return nil, err
	}
	n := binary.NativeEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, ErrShortFrame
		}
		return nil, err
	}
	return buf, nil
}

// WriteFrame writes payload as one frame. It refuses payloads over max so
// that the peer never sees a frame it must reject.
func WriteFrame(w io.Writer, payload []byte, max int) error {
	if len(payload) > max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(payload), max)
	}
	buf := make([]byte, 4+len(payload))
	binary.NativeEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	_, err := w.Write(buf)
	return err
}

// WriteReply marshals and writes a host reply, capped at MaxHostFrame.
func WriteReply(w io.Writer, r *Reply) error { return WriteReplyMax(w, r, MaxHostFrame) }

// WriteReplyMax is WriteReply with another cap.
func WriteReplyMax(w io.Writer, r *Reply, max int) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return WriteFrame(w, b, max)
}

// ReadReplies reads host frames from r until its end and decodes each as a
// Reply: what a browser reads of a whole session (tests of the host and of
// the front read their output with it).
func ReadReplies(r io.Reader) ([]Reply, error) {
	var out []Reply
	for {
		b, err := ReadFrame(r, MaxHostFrame)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("bad frame: %w", err)
		}
		var rep Reply
		if err := json.Unmarshal(b, &rep); err != nil {
			return out, fmt.Errorf("a frame that is not a reply: %q", b)
		}
		out = append(out, rep)
	}
}
