package base64lines

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// Every line but the last is exactly width long, every line ends in CRLF,
// and the lines decode to the input: at the host's 64 columns and the
// portal's 76, for lengths around a line's worth of bytes.
func TestEncode(t *testing.T) {
	for _, width := range []int{64, 76} {
		for _, n := range []int{0, 1, 47, 48, 49, 56, 57, 58, 114, 1000} {
			t.Run(fmt.Sprintf("%d/%d", width, n), func(t *testing.T) {
				in := bytes.Repeat([]byte{0xa5}, n)
				out := string(Encode(in, width))
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
