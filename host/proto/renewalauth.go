package proto

// CmdRenewalAuth asks the host, before a renewal, what renewing a
// certificate takes, so the UI asks for a password only where the portal
// needs one (protocol 1.1; a 1.0 host answers unknown_command, and the UI
// then asks, as before). The host asks the certificate's portal over mutual
// TLS with the certificate; nothing changes and nothing secret is sent.
const CmdRenewalAuth = "renewalAuth"

// Renewal-auth policies (RenewalAuthResult.RenewalAuth).
const (
	// RenewalAuthPassword: the renewal needs the user's password.
	RenewalAuthPassword = "password"
	// RenewalAuthCertificate: the current certificate is enough; a
	// renewal request without a password renews on it alone.
	RenewalAuthCertificate = "certificate"
)

// RenewalAuthParams are the params of CmdRenewalAuth.
type RenewalAuthParams struct {
	CertID string `json:"certId"`
}

// RenewalAuthResult is the result of CmdRenewalAuth.
type RenewalAuthResult struct {
	_           noCompare
	CertID      string `json:"certId"`
	RenewalAuth string `json:"renewalAuth"`
}
