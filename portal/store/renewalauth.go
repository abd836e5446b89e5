package store

import (
	"context"
	"fmt"
)

// RenewalAuth is how a re-enrollment (RFC 7030, Section 4.2.2)
// authenticates besides the current certificate over mutual TLS.
type RenewalAuth string

const (
	// RenewalAuthPassword (the default, as the seed): the current
	// certificate over mutual TLS AND the user's password (HTTP Basic).
	RenewalAuthPassword RenewalAuth = "password"
	// RenewalAuthCertificate: the current, unrevoked, unexpired
	// certificate over mutual TLS is enough (RFC 7030, Section 3.3.2).
	RenewalAuthCertificate RenewalAuth = "certificate"
)

// DefaultRenewalAuth applies when neither the tenant nor the user has
// one set.
const DefaultRenewalAuth = RenewalAuthPassword

// ParseRenewalAuth checks a policy name.
func ParseRenewalAuth(s string) (RenewalAuth, error) {
	switch a := RenewalAuth(s); a {
	case RenewalAuthPassword, RenewalAuthCertificate:
		return a, nil
	}
	return "", fmt.Errorf("renewal auth %q: want %q or %q", s, RenewalAuthPassword, RenewalAuthCertificate)
}

// RenewalAuths keeps the renewal-auth policy: one for the tenant and an
// override per user.
type RenewalAuths interface {
	// SetRenewalAuth sets the tenant's policy (userID "") or userID's
	// override; a user's "" removes the override. ErrNotFound if the
	// user does not exist.
	SetRenewalAuth(ctx context.Context, userID string, a RenewalAuth) error
	// RenewalAuth returns the policy that applies to userID: the user's
	// override, else the tenant's, else DefaultRenewalAuth. userID ""
	// asks for the tenant's. set reports whether the user (or, for "",
	// the tenant) has one of its own.
	RenewalAuth(ctx context.Context, userID string) (a RenewalAuth, set bool, err error)
}
