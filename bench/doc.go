// Package bench holds certrenew's benchmarks. Each measurement has a
// baseline measured in the same run, so scripts/bench.sh can print ratios
// that mean something on any machine:
//
//   - BenchmarkHostSession: spawn certrenew-host, read its hello, list,
//     close stdin, wait — against bench/cmd/echohost, a standard-library
//     host that does only the framing.
//   - BenchmarkRenewal: engine.Renew with a soft key and a real NSS DB
//     against an in-process portal — against one bare mutual-TLS GET of
//     /mtls/whoami on a fresh connection, the floor of any renewal.
//   - BenchmarkPopup: headless Chromium with the built extension and the
//     real host, popup.html open → first .cert-row in the DOM — against
//     bare.html → #bare-ready, the smallest go-app page packaged the same
//     way.
//
// The benchmarks run only with -bench; timing is never asserted. They use
// the binaries and extension named by CERTRENEW_HOST_BIN,
// CERTRENEW_PORTAL_BIN and CERTRENEW_EXTENSION_DIR (scripts/bench.sh sets
// them to ./build.sh's output) and build what is not given.
package bench
