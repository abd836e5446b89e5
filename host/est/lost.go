package est

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/certrenew/certrenew/errcode"
)

// Paths of certrenew-portal's additions to EST that recover a request
// whose answer was lost (portal/README.md).
const (
	IssuedPath  = "/certrenew/issued"
	ConfirmPath = "/certrenew/confirm"
)

// ErrNotSent marks a failure that provably happened before any byte of
// the request left: the connection was never made (dial, name lookup) or
// the server's certificate was refused in the TLS handshake.
var ErrNotSent = errors.New("request not sent")

// notSent reports a dial failure (no connection, so nothing was sent).
func notSent(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// ErrNotIssued reports the portal's definite answer that it issued nothing
// for a key and never will (it refuses the key from then on).
var ErrNotIssued = errors.New("the portal issued no certificate for this key")

// Issued asks the portal which certificate it issued for the key that
// signed csrDER, a request without challengePassword made just for this
// question: the signature proves possession of the key. It returns the
// certificate and the other certificates of the answer, or ErrNotIssued.
func (c *Client) Issued(ctx context.Context, csrDER []byte) (*x509.Certificate, []*x509.Certificate, error) {
	leaf, rest, err := c.enroll(ctx, IssuedPath, nil, "", "", csrDER)
	var se *ServerError
	if errors.As(err, &se) && se.Status == http.StatusNotFound && se.Code == errcode.NotIssued {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotIssued, err)
	}
	return leaf, rest, err
}

// Confirm tells the portal that the holder of id has its certificate, by
// using it over mutual TLS.
func (c *Client) Confirm(ctx context.Context, id *Identity) error {
	if id == nil {
		return errors.New("est: confirmation needs the identity")
	}
	_, err := c.do(ctx, http.MethodPost, ConfirmPath, id, []byte{}, "", "")
	return err
}
