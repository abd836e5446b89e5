// Package e2e holds certrenew's end-to-end tests: the built extension in
// real headless Chromium, the real certrenew-host registered as its native
// messaging host, a real NSS database and the reference portal on loopback.
//
// The portal's root is a trust anchor for client certificates only (never
// for TLS servers, docs/trust.md), so Chromium accepts the portal's TLS
// certificate by its key's hash (--ignore-certificate-errors-spki-list,
// user.installPortal), and nothing else the portal's CA signs.
package e2e
