// Package e2e holds certrenew's end-to-end tests: the built extension in
// real headless Chromium, the real certrenew-host registered as its native
// messaging host, a real NSS database and the reference portal on loopback.
package e2e
