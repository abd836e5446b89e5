// Command echohost is the baseline for the host spawn benchmark: the least
// a native messaging host can do. It speaks the same framing as
// certrenew-host (4-byte native-order length, then JSON), sends a hello
// frame unprompted, answers every request with a fixed result and exits
// at end of input. It imports only the standard library, so the gap
// between it and certrenew-host is certrenew's own start-up and list.
package main

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
)

const maxFrame = 64 << 10

func main() {
	out := os.Stdout
	if err := write(out, []byte(`{"type":"hello","hello":{"protocol":"1.0","hostVersion":"echo","backends":["soft"]}}`)); err != nil {
		os.Exit(1)
	}
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(os.Stdin, hdr[:]); err != nil {
			if err == io.EOF {
				return
			}
			os.Exit(1)
		}
		n := binary.NativeEndian.Uint32(hdr[:])
		if n > maxFrame {
			os.Exit(1)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(os.Stdin, buf); err != nil {
			os.Exit(1)
		}
		var req struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(buf, &req) != nil {
			os.Exit(1)
		}
		id, _ := json.Marshal(req.ID)
		reply := append(append([]byte(`{"id":`), id...), `,"type":"result","result":{"certs":[],"warnDays":30}}`...)
		if err := write(out, reply); err != nil {
			os.Exit(1)
		}
	}
}

func write(w io.Writer, payload []byte) error {
	buf := make([]byte, 4+len(payload))
	binary.NativeEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	_, err := w.Write(buf)
	return err
}
