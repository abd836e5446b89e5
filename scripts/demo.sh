#!/usr/bin/env bash
# Start a demo tenant on loopback and register certrenew-host for this user's
# Chromium and Chrome. Run through ./build.sh demo, which builds first.
# Stop it with ./build.sh demo-stop (scripts/demo-stop.sh).
# CERTRENEW_BIN and CERTRENEW_DEMO_STATE move the binaries and the state
# (the scripts tests run the demo in a temporary HOME).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="${CERTRENEW_BIN:-$root/bin}"
state="${CERTRENEW_DEMO_STATE:-$root/.state/demo}"
data="$state/portal"
creds="$state/credentials"
mkdir -p "$state"

# One demo portal at a time: stop the previous one (not its registration,
# which is made again below).
CERTRENEW_DEMO_KEEP_HOST=1 "$root/scripts/demo-stop.sh" >/dev/null
rm -rf "$data"
mkdir -p "$data"

# The demo CA may vouch for loopback names only (RFC 5280 name
# constraints): the host below trusts it for TLS servers too, so that the
# browser reaches the demo portal, and then nothing else it signs passes.
"$bin/certrenew-portal" ca init --name-constraints localhost,127.0.0.1,::1 --data "$data" >/dev/null

url_file="$state/portal.url"
rm -f "$url_file"
nohup "$bin/certrenew-portal" serve --listen 127.0.0.1:0 --data "$data" >"$url_file" 2>"$state/portal.stderr" &
echo $! >"$state/portal.pid"
# Wait for the first stdout line (the URL), not a fixed time.
for _ in $(seq 1 200); do
  [[ -s "$url_file" ]] && break
  kill -0 "$(cat "$state/portal.pid")" 2>/dev/null || { cat "$state/portal.stderr" >&2; exit 1; }
  sleep 0.05
done
url="$(head -n1 "$url_file")"
[[ "$url" == https://* ]] || { echo "portal did not start" >&2; cat "$state/portal.stderr" >&2; exit 1; }

user="demo"
password="$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c1-16)"
printf '%s\n' "$password" | "$bin/certrenew-portal" user add "$user" --password-stdin --data "$data" >/dev/null
code="$("$bin/certrenew-portal" invite create --user "$user" --data "$data")"
# The secrets go to a file only this user can read, not to the terminal
# (where they would scroll away and stay in its scrollback).
(
  umask 077
  rm -f "$creds"
  cat >"$creds" <<CREDS
# certrenew demo credentials ($(date -u +%Y-%m-%dT%H:%M:%SZ)); removed by ./build.sh demo-stop
portal=$url
user=$user
password=$password
invitation=$code
CREDS
)
ca_root="$("$bin/certrenew-portal" ca path --data "$data")"
# demo-stop removes the registration with the binary that made it, and
# untrusts this CA (kept beside it: the next demo wipes $data first).
echo "$bin/certrenew-host" >"$state/host"
cp "$ca_root" "$state/demo-ca.pem"
"$bin/certrenew-host" install --portal-ca "$ca_root" --server-trust-ca "$ca_root" >/dev/null

cat <<MSG

certrenew demo is running.

  portal       $url   (pid $(cat "$state/portal.pid"), data in $data)
  credentials  $creds
               (user ID, password, invitation code; readable by you only: cat it when asked)

The host is registered for Chromium and Chrome ($HOME/.config/{chromium,google-chrome}/NativeMessagingHosts):
they start $bin/certrenew-nm, which starts $bin/certrenew-host when a session needs it.
The demo CA is trusted for TLS servers after enrollment (install --server-trust-ca), so the browser
reaches the portal; it is name-constrained to localhost, 127.0.0.1 and ::1. A portal's CA is
otherwise installed for client certificates only (docs/trust.md).

Next:
  1. Load the extension: chromium --load-extension=$root/dist/extension
     (or chrome://extensions > Developer mode > Load unpacked > $root/dist/extension)
  2. Click the certrenew toolbar button > Enroll: portal $url, the user ID, password and
     invitation code from $creds.
  3. Renew it: ⁝ > Renew > OK > password > Activate.
     From a terminal instead (the host prompts for the password and invitation code without echo):
       $bin/certrenew-host enroll --portal $url --user $user
       $bin/certrenew-host list
       $bin/certrenew-host renew CERT-ID
     Scripts give the secrets on stdin, one a line, never as arguments (ps and shell history show those):
       certrenew-host enroll ... --password-stdin --invitation-stdin
  4. See the certificate at work: $url/mtls/whoami answers with the serial the browser presented.
  5. The user portal: log in at $url with the same user ID and password: certificate management,
     ⁝ > Show renewal URL (link and QR code); opening the link hands the renewal to the extension.

Stop the demo (portal, host registration, credentials file): ./build.sh demo-stop
MSG
