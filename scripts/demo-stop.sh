#!/usr/bin/env bash
# Stop what ./build.sh demo started: the demo portal (its PID in
# .state/demo/portal.pid), the trust given to the demo CA (certrenew-host
# untrust), certrenew-host's browser registration (certrenew-host
# uninstall) and the credentials file. Safe to run twice.
# CERTRENEW_DEMO_STATE moves the state as in demo.sh;
# CERTRENEW_DEMO_KEEP_HOST=1 keeps the registration (demo.sh's restart).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${CERTRENEW_DEMO_STATE:-$root/.state/demo}"
pidf="$state/portal.pid"

# alive: PID is the demo's portal, still running. Not kill -0: a PID can
# be reused after a reboot, and an exited child not yet reaped passes it.
alive() {
  [[ "$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" == *certrenew-portal\ serve* ]]
}

if [[ -f "$pidf" ]]; then
  pid="$(cat "$pidf")"
  if alive "$pid"; then
    kill "$pid"
    # Wait until it is gone, not a fixed time.
    for _ in $(seq 1 200); do
      alive "$pid" || break
      sleep 0.05
    done
    if alive "$pid"; then
      kill -KILL "$pid"
    fi
    echo "stopped the demo portal (pid $pid)"
  fi
  rm -f "$pidf" "$state/portal.url"
fi
rm -f "$state/credentials"

# The demo CA loses the trust install gave it (for TLS servers, for portal
# TLS); a restarted demo makes a new CA, so this runs on restart too.
if [[ -f "$state/host" && -f "$state/demo-ca.pem" ]]; then
  "$(cat "$state/host")" untrust --portal-ca "$state/demo-ca.pem" --server-trust-ca "$state/demo-ca.pem"
  rm -f "$state/demo-ca.pem"
fi

if [[ -z ${CERTRENEW_DEMO_KEEP_HOST:-} && -f "$state/host" ]]; then
  "$(cat "$state/host")" uninstall
  rm -f "$state/host"
fi
