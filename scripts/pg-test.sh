#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster on 127.0.0.1 for the tests.
#
#   eval "$(scripts/pg-test.sh start)"   # exports CERTRENEW_TEST_PG_DSN and CERTRENEW_TEST_PG_DIR
#   scripts/pg-test.sh stop "$CERTRENEW_TEST_PG_DIR"
#
# The cluster lives in a new temporary directory, listens only on loopback
# on a free port, trusts local connections (test data only) and runs as the
# postgres user when started by root (PostgreSQL refuses to run as root).
set -euo pipefail

pgbin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && dirname "$(command -v initdb)" && return
  echo "pg-test: PostgreSQL is not installed (Debian package postgresql)" >&2
  exit 1
}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    bin="$(pgbin)"
    dir="$(mktemp -d /tmp/certrenew-pg.XXXXXX)"
    chmod 0755 "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1
    # A free port: try random ones until the server starts on one.
    for _ in $(seq 20); do
      port=$((20000 + RANDOM % 40000))
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null; then
        started=1
        break
      fi
    done
    if [[ -z ${started:-} ]]; then
      echo "pg-test: PostgreSQL did not start; see $dir/server.log" >&2
      exit 1
    fi
    echo "export CERTRENEW_TEST_PG_DIR=$dir"
    echo "export CERTRENEW_TEST_PG_DSN='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
    ;;
  stop)
    dir="${2:?usage: pg-test.sh stop DIR}"
    bin="$(pgbin)"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
