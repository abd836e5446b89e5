#!/usr/bin/env bash
# certrenew build entry point.
#
#   ./build.sh          build the binaries (bin/) and the extension (dist/extension)
#   ./build.sh demo     install Debian packages, build, start a demo portal, register the host
#   ./build.sh test     install Debian packages, build, run every test (what CI runs)
#   ./build.sh bench    run the benchmarks and print ratios against their baselines
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
version="$(git describe --always --dirty 2>/dev/null || echo dev)"

build() {
  mkdir -p bin
  go build -trimpath -ldflags "-X main.version=$version" -o bin/certrenew-host ./host/cmd/certrenew-host
  go build -trimpath -o bin/certrenew-portal ./portal/cmd/certrenew-portal
  scripts/build-extension.sh dist/extension
}

case "${1:-build}" in
  build)
    build
    ;;
  demo)
    scripts/deps-debian.sh
    build
    exec scripts/demo.sh
    ;;
  test)
    scripts/deps-debian.sh
    build
    go vet ./...
    for os in windows darwin; do
      GOOS=$os go vet ./host/... ./hsm/... ./internal/...
    done
    # A throwaway PostgreSQL on loopback for the portal's storage tests.
    if [[ -z ${CERTRENEW_TEST_PG_DSN:-} ]] && pg_env="$(scripts/pg-test.sh start)"; then
      eval "$pg_env"
      trap 'scripts/pg-test.sh stop "$CERTRENEW_TEST_PG_DIR"' EXIT
    fi
    go test -count=1 -timeout 25m ./...
    ;;
  bench)
    build
    exec scripts/bench.sh
    ;;
  *)
    echo "usage: $0 [build|demo|test|bench]" >&2
    exit 2
    ;;
esac
