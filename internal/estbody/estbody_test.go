package estbody

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Encode writes one line of padded base64 (RFC 8951): no CR, no LF.
func TestEncode(t *testing.T) {
	for _, n := range []int{1, 2, 3, 47, 48, 49, 57, 58, 1000} {
		in := bytes.Repeat([]byte{0xa5}, n)
		out := Encode(in)
		if bytes.ContainsAny(out, "\r\n \t") {
			t.Fatalf("%d bytes: line breaks in %q", n, out)
		}
		if string(out) != base64.StdEncoding.EncodeToString(in) {
			t.Fatalf("%d bytes: not padded standard base64", n)
		}
	}
}

// Every line but the last is exactly width long, every line ends in CRLF,
// and the lines decode to the input, at 64 and 76 columns.
func TestWrap(t *testing.T) {
	for _, width := range []int{64, 76} {
		for _, n := range []int{0, 1, 47, 48, 49, 56, 57, 58, 114, 1000} {
			t.Run(fmt.Sprintf("%d/%d", width, n), func(t *testing.T) {
				in := bytes.Repeat([]byte{0xa5}, n)
				out := string(Wrap(in, width))
				if !strings.HasSuffix(out, "\r\n") {
					t.Fatal("no final CRLF")
				}
				lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
				for i, l := range lines {
					if len(l) > width || (i < len(lines)-1 && len(l) != width) {
						t.Fatalf("line %d is %d long", i, len(l))
					}
				}
				got, err := base64.StdEncoding.DecodeString(strings.Join(lines, ""))
				if err != nil || !bytes.Equal(got, in) {
					t.Fatalf("decodes to %d bytes, %v", len(got), err)
				}
			})
		}
	}
}

// Decode reads every form peers write: one line, MIME lines at 64 and 76
// columns with CRLF or LF, trailing breaks, no padding; and refuses what
// is not base64.
func TestDecode(t *testing.T) {
	in := bytes.Repeat([]byte{1, 2, 3, 0xfe, 0xff}, 41) // 205 bytes: padded
	one := Encode(in)
	forms := map[string][]byte{
		"one line":       one,
		"one line LF":    append(append([]byte{}, one...), '\n'),
		"76 CRLF":        Wrap(in, 76),
		"64 CRLF":        Wrap(in, 64),
		"64 LF":          bytes.ReplaceAll(Wrap(in, 64), []byte("\r\n"), []byte("\n")),
		"no padding":     bytes.TrimRight(one, "="),
		"spaces and tab": []byte(" " + string(one[:10]) + "\t" + string(one[10:]) + " "),
	}
	for name, body := range forms {
		got, err := Decode(body)
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{"", "\r\n", "not base64!", "-----BEGIN CERTIFICATE REQUEST-----", "\x30\x82\x01\x00"} {
		if _, err := Decode([]byte(bad)); !errors.Is(err, ErrNotBase64) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzDecode: any body decodes or is ErrNotBase64, never panics; what
// decodes encodes back to the same bytes once its white space is gone.
func FuzzDecode(f *testing.F) {
	in := bytes.Repeat([]byte{0x30, 0x82, 0xa5}, 40)
	f.Add(Encode(in))
	f.Add(Wrap(in, 76))
	f.Add(Wrap(in, 64))
	f.Add([]byte("TWFu\r\nTQ"))
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, body []byte) {
		der, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrNotBase64) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(der) == 0 {
			t.Fatal("empty result without error")
		}
		again, err := Decode(Encode(der))
		if err != nil || !bytes.Equal(again, der) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
