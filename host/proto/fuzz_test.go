package proto

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader and the request
// decoder, as a hostile or broken browser could.
func FuzzReadFrame(f *testing.F) {
	var seed bytes.Buffer
	WriteFrame(&seed, []byte(`{"id":"1","command":"list"}`), MaxRequestFrame)
	f.Add(seed.Bytes())
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, '{'})
	f.Add([]byte{2, 0, 0, 0, '{', '}'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for i := 0; i < 64; i++ {
			frame, err := ReadFrame(r, MaxRequestFrame)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrShortFrame) && !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("unexpected error class: %v", err)
				}
				return
			}
			if len(frame) > MaxRequestFrame {
				t.Fatalf("frame of %d bytes over the cap", len(frame))
			}
			req, err := DecodeRequest(frame)
			if err != nil {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("decode error not ErrBadRequest: %v", err)
				}
				continue
			}
			var rp RenewParams
			var ep EnrollParams
			_ = req.DecodeParams(&rp)
			_ = req.DecodeParams(&ep)
		}
	})
}

// FuzzDecodeRequest targets the JSON decoding directly.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"id":"1","command":"renew","params":{"certId":"a","password":"p"}}`))
	f.Add([]byte(`{"id":"2","command":"enroll","params":{"portal":"https://x","user":"u","password":"p","invitation":"c"}}`))
	f.Add([]byte(`{"command":"list","params":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeRequest(data)
		if err != nil {
			return
		}
		if req.Command == "" || len(req.ID) > 64 {
			t.Fatalf("accepted invalid request %+v", req)
		}
		var ep EnrollParams
		if err := req.DecodeParams(&ep); err != nil && !errors.Is(err, ErrBadRequest) {
			t.Fatal(err)
		}
	})
}
