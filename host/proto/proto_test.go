package proto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	for _, msg := range []string{`{}`, `{"id":"1","command":"list"}`, strings.Repeat("x", 1000)} {
		if err := WriteFrame(&buf, []byte(msg), MaxHostFrame); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{`{}`, `{"id":"1","command":"list"}`, strings.Repeat("x", 1000)} {
		got, err := ReadFrame(&buf, MaxRequestFrame)
		if err != nil || string(got) != want {
			t.Fatalf("got %q %v", got, err)
		}
	}
	if _, err := ReadFrame(&buf, MaxRequestFrame); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

func TestFrameNativeByteOrder(t *testing.T) {
	var buf bytes.Buffer
	WriteFrame(&buf, []byte("abc"), 10)
	if n := binary.NativeEndian.Uint32(buf.Bytes()[:4]); n != 3 {
		t.Fatalf("header says %d", n)
	}
}

func TestFrameLimits(t *testing.T) {
	// A header that claims 4 GiB must be refused without allocating it.
	hdr := []byte{0xff, 0xff, 0xff, 0xff}
	if _, err := ReadFrame(bytes.NewReader(hdr), MaxRequestFrame); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("huge frame: %v", err)
	}
	var buf bytes.Buffer
	if err := WriteFrame(&buf, make([]byte, MaxHostFrame+1), MaxHostFrame); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized write: %v", err)
	}
	if buf.Len() != 0 {
		t.Fatal("an oversized frame was partly written")
	}
	// Exactly at the limit is fine.
	if err := WriteFrame(&buf, make([]byte, 16), 16); err != nil {
		t.Fatal(err)
	}
}

func TestFrameTruncated(t *testing.T) {
	for _, in := range [][]byte{{1, 0}, {5, 0, 0, 0, 'a', 'b'}} {
		if _, err := ReadFrame(bytes.NewReader(in), 100); !errors.Is(err, ErrShortFrame) {
			t.Fatalf("%v: %v", in, err)
		}
	}
}

func TestDecodeRequest(t *testing.T) {
	for in, ok := range map[string]bool{
		`{"id":"1","command":"list"}`: true,
		`{"id":"1","command":"renew","params":{"certId":"a","password":"p"},"extra":1}`: true,
		`{"id":"1"}`:    false,
		`[]`:            false,
		`{"command":1}`: false,
		`not json`:      false,
		`{"id":"` + strings.Repeat("a", 65) + `","command":"list"}`: false,
	} {
		_, err := DecodeRequest([]byte(in))
		if (err == nil) != ok {
			t.Errorf("%s: err %v", in, err)
		}
		if err != nil && !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: error %v is not ErrBadRequest", in, err)
		}
	}
}

func TestDecodeErrorsDoNotEchoSecrets(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"id":"1","command":"renew","params":{"certId":"a","password":12345678}}`))
	if err != nil {
		t.Fatal(err)
	}
	var p RenewParams
	err = req.DecodeParams(&p)
	if err == nil || strings.Contains(err.Error(), "12345678") {
		t.Fatalf("err %v", err)
	}
	if _, err := DecodeRequest([]byte(`{"id":"1","command":"x","params":{"password":"hunter2"`)); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err %v", err)
	}
}

func TestCheckVersion(t *testing.T) {
	if e := CheckVersion("1.7", true); e != nil {
		t.Fatalf("same major: %v", e)
	}
	if e := CheckVersion("0.9", true); e == nil || e.Code != errcode.VersionMismatch || e.Update != "certrenew-host" {
		t.Fatalf("older host: %+v", e)
	}
	if e := CheckVersion("2.0", true); e == nil || e.Update != "the browser extension" {
		t.Fatalf("newer host: %+v", e)
	}
	if e := CheckVersion("2.0", false); e == nil || e.Update != "certrenew-host" {
		t.Fatalf("newer UI: %+v", e)
	}
	if e := CheckVersion("garbage", true); e == nil {
		t.Fatal("garbage accepted")
	}
}

func TestReplyShape(t *testing.T) {
	var buf bytes.Buffer
	WriteReply(&buf, &Reply{ID: "7", Type: TypeProgress, Progress: &Progress{Step: StepCSR}})
	b, _ := ReadFrame(&buf, MaxHostFrame)
	var m map[string]any
	json.Unmarshal(b, &m)
	if m["type"] != "progress" || m["id"] != "7" || m["progress"].(map[string]any)["step"] != "csr" {
		t.Fatalf("%s", b)
	}
}
