package commands

import (
	"testing"

	"github.com/certrenew/certrenew/host/proto"
)

// FuzzKeyPolicy decodes the policy part of an enroll request (which the
// extension fills from managed storage, i.e. from outside input) and
// checks that the policy the engine gets allows exactly the listed
// backends, or all when none is listed.
func FuzzKeyPolicy(f *testing.F) {
	f.Add([]byte(`{"hardwareRequired":true,"allowedBackends":["auto","tpm"]}`))
	f.Add([]byte(`{"allowedBackends":["auto"]}`))
	f.Add([]byte(`{"allowedBackends":null}`))
	f.Add([]byte(`{"allowedBackends":["", "soft", "soft"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := proto.DecodeRequest(append(append([]byte(`{"id":"1","command":"enroll","params":{"policy":`), data...), "}}"...))
		if err != nil {
			return
		}
		var ep proto.EnrollParams
		if req.DecodeParams(&ep) != nil || ep.Policy == nil {
			return
		}
		listed := map[string]bool{}
		for _, b := range ep.Policy.AllowedBackends {
			if b != "auto" {
				listed[b] = true
			}
		}
		pol := enrollRequestOf(ep).Policy
		for _, b := range append([]string{"", "auto", "x"}, proto.KeyBackends...) {
			if got, want := pol.Allows(b), len(listed) == 0 || listed[b]; got != want {
				t.Fatalf("policy %+v allows %q: %v, want %v", ep.Policy, b, got, want)
			}
		}
	})
}
