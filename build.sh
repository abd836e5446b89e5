#!/usr/bin/env bash
# certrenew build entry point.
#
#   ./build.sh          build the binaries (bin/) and the extension (dist/extension)
#   ./build.sh demo     install the demo's Debian packages, build, start a demo portal, register the host
#   ./build.sh demo-stop  stop the demo portal, remove the host registration and the credentials file
#   ./build.sh test     install every Debian package the tests use, build, run every test (what CI runs)
#   ./build.sh bench    run the benchmarks and print ratios against their baselines
#   ./build.sh dist     release files in dist/: extension zip(s), host for every OS/CPU,
#                       .deb/.rpm, Windows/macOS install scripts, BUILDS.txt
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
version="$(git describe --always --dirty 2>/dev/null || echo dev)"

build() {
  mkdir -p bin
  # -s -w: no symbol table or DWARF (a third of each binary); panics still
  # name their functions, and `go version -m` still reads the build.
  go build -trimpath -ldflags "-s -w -X main.version=$version" -o bin/certrenew-host ./host/cmd/certrenew-host
  # What the browser starts: pure Go, quick to start; it hands sessions to
  # certrenew-host beside it (host/front).
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o bin/certrenew-nm ./host/cmd/certrenew-nm
  go build -trimpath -ldflags "-s -w" -o bin/certrenew-portal ./portal/cmd/certrenew-portal
  scripts/build-extension.sh dist/extension
}

targets=(linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64)

# Every target compiles and vets, so a Windows or macOS break fails here.
cross_check() {
  for t in "${targets[@]}"; do
    GOOS=${t%/*} GOARCH=${t#*/} CGO_ENABLED=0 go build -o /dev/null ./host/cmd/certrenew-host
    GOOS=${t%/*} GOARCH=${t#*/} CGO_ENABLED=0 go build -o /dev/null ./host/cmd/certrenew-nm
  done
  for os in windows darwin; do
    GOOS=$os go vet ./host/... ./hsm/... ./internal/...
  done
}

dist() {
  rm -rf dist
  scripts/build-extension.sh dist/extension
  (cd dist/extension && zip -qr ../certrenew-chrome.zip .)
  scripts/build-extension.sh dist/extension-firefox firefox
  (cd dist/extension-firefox && zip -qr ../certrenew-firefox.zip .)
  go run ./tools/dist -out dist -version 0.1.0 -release "git.${version//-/.}"
  cat dist/BUILDS.txt
}

case "${1:-build}" in
  build)
    build
    ;;
  demo)
    scripts/deps-debian.sh demo
    build
    exec scripts/demo.sh
    ;;
  demo-stop)
    exec scripts/demo-stop.sh
    ;;
  test)
    scripts/deps-debian.sh test
    build
    go vet ./...
    (cd interop && go vet ./...)
    cross_check
    # A throwaway PostgreSQL on loopback for the portal's storage tests.
    if [[ -z ${CERTRENEW_TEST_PG_DSN:-} ]] && pg_env="$(scripts/pg-test.sh start)"; then
      eval "$pg_env"
      trap 'scripts/pg-test.sh stop "$CERTRENEW_TEST_PG_DIR"' EXIT
    fi
    # The browser suites run after the rest, one package at a time: a
    # Chromium started on a machine busy compiling and testing other
    # packages is slow enough to trip the pages' own timeouts.
    browser_pkgs=(github.com/certrenew/certrenew/e2e github.com/certrenew/certrenew/wasm/exttest)
    go test -count=1 -timeout 25m $(go list ./... | grep -v -x -F "${browser_pkgs[@]/#/-e}")
    # Where requests, processes and locks meet, again under the race
    # detector (about a minute and a half here).
    go test -race -count=1 -timeout 15m ./portal/limit/... ./portal/est/... ./portal/passcheck/... \
      ./portal/store/... ./host/engine/... ./host/front/... ./host/nm/... ./host/internal/... ./internal/lockfile/...
    go test -count=1 -timeout 25m -p 1 "${browser_pkgs[@]}"
    # interop/ is its own module (globalsign/est needs go-tpm v0.3); it tests the built binaries.
    (cd interop && CERTRENEW_HOST_BIN="$root/bin/certrenew-host" CERTRENEW_PORTAL_BIN="$root/bin/certrenew-portal" \
      go test -count=1 -timeout 10m ./...)
    ;;
  dist)
    dist
    ;;
  bench)
    build
    exec scripts/bench.sh
    ;;
  *)
    echo "usage: $0 [build|demo|demo-stop|test|bench|dist]" >&2
    exit 2
    ;;
esac
