// Package interop holds tests only: certrenew against independent EST
// implementations (RFC 7030). github.com/globalsign/est v1.0.6 in both
// directions — its client against the certrenew-portal binary, and the
// certrenew-host binary against its server — and strongSwan's client
// (`pki --estca`/`pki --est`, Debian strongswan-pki) against the portal;
// both clients enroll and re-enroll (re-key over mutual TLS) under each
// renewal-auth policy. Plus the portal re-enrollment benchmark with
// globalsign/est's server as the same-run baseline.
//
// This is its own Go module: globalsign/est needs go-tpm's legacy tpm2 API
// (v0.3.x) while certrenew's TPM backend needs go-tpm v0.9.x, and one module
// cannot hold both. It does not require the main module; it reaches
// certrenew only through the binaries named by CERTRENEW_HOST_BIN and
// CERTRENEW_PORTAL_BIN, or builds them from the repository root.
package interop
