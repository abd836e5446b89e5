package front_test

import (
	"slices"
	"testing"

	"github.com/certrenew/certrenew/host/proto"
)

// FuzzSession feeds the front any byte stream as the browser's side of a
// session: it must not panic or hang, must write only whole frames that
// are replies, and must send the browser exactly one hello before
// anything else, whoever answers.
func FuzzSession(f *testing.F) {
	f.Add(slices.Concat(request("1", "list"), request("2", "hello")))
	f.Add(slices.Concat(request("1", "list"), request("2", "renew"), request("3", "list")))
	f.Add(request("r", "die"))
	f.Add([]byte("\x05\x00\x00\x00{\"id\""))
	f.Add([]byte("\xff\xff\xff\xff"))
	f.Add([]byte("\x02\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, hello := range []func() (*proto.Hello, error){current, stale} {
			fh := &fullHost{}
			rs, _ := session(t, in, hello, fh.start)
			if len(rs) == 0 || rs[0].Type != proto.TypeHello || rs[0].ID != "" {
				t.Fatalf("first frame %+v", rs)
			}
			// The full host's own hello reaches the browser only as the
			// first frame of a session it answers whole.
			fullHellos := 0
			for _, r := range rs {
				if r.Type == proto.TypeHello && r.Hello != nil && r.Hello.HostVersion == "full" {
					fullHellos++
				}
			}
			if _, err := hello(); (err == nil && fullHellos != 0) || (err != nil && (fullHellos != 1 || rs[0].Hello.HostVersion != "full")) {
				t.Fatalf("full host hellos: %+v", rs)
			}
		}
	})
}
