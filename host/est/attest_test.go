package est

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/certrenew/certrenew/internal/keyattest"
	"github.com/certrenew/certrenew/internal/testpki"
)

// TestChallengeOnlyWhereOffered: the EK certificate names the TPM for
// life, so the host posts it only to a portal whose offer lists its
// issuer. A portal listing none, another maker, or having no offer at all
// (an older portal: 404 or 405) gets no POST, and the answer is
// ErrEKNotOffered; an offer that does not parse is a bad response, and
// nothing is posted either.
func TestChallengeOnlyWhereOffered(t *testing.T) {
	maker := testpki.NewRoot(t, "Maker EK CA")
	ekCert := maker.Issue(t, "EK", testpki.NewKey(t).Public())
	listed, _ := json.Marshal(keyattest.NewOffer([]*x509.Certificate{maker.Cert}))
	other, _ := json.Marshal(keyattest.NewOffer([]*x509.Certificate{testpki.NewRoot(t, "Other Maker").Cert}))
	answer, _ := json.Marshal(keyattest.ChallengeResponse{Credential: []byte("c"), Secret: []byte("s")})
	for _, tc := range []struct {
		name   string
		status int
		offer  []byte
		posted bool
		want   error // nil: the challenge's answer
	}{
		{"issuer listed", 200, listed, true, nil},
		{"no EK roots", 200, []byte(`{"ekIssuers":[]}`), false, ErrEKNotOffered},
		{"another maker", 200, other, false, ErrEKNotOffered},
		{"older portal, 405", 405, nil, false, ErrEKNotOffered},
		{"older portal, 404", 404, nil, false, ErrEKNotOffered},
		{"offer does not parse", 200, []byte("<html>"), false, ErrBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != keyattest.ChallengePath {
					http.NotFound(w, r)
					return
				}
				if r.Method == http.MethodPost {
					posts.Add(1)
					w.Write(answer)
					return
				}
				if tc.status != 200 {
					w.WriteHeader(tc.status)
					return
				}
				w.Write(tc.offer)
			}))
			defer srv.Close()
			c, err := New(srv.URL, srvRoots(srv))
			if err != nil {
				t.Fatal(err)
			}
			rsp, err := c.Challenge(context.Background(), keyattest.ChallengeRequest{EKCert: ekCert.Raw, AKPublic: []byte("ak")})
			if tc.want == nil && (err != nil || string(rsp.Credential) != "c") {
				t.Fatalf("challenge: %v %q", err, rsp.Credential)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("challenge: %v, want %v", err, tc.want)
			}
			if got := posts.Load() == 1; got != tc.posted {
				t.Fatalf("EK certificate posted: %v, want %v", got, tc.posted)
			}
		})
	}
}
