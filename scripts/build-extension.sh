#!/usr/bin/env bash
# Build the certrenew browser extension (MV3) as an unpacked directory.
#
#   scripts/build-extension.sh OUTDIR [chrome|firefox]
#       e.g. scripts/build-extension.sh dist/extension
#            scripts/build-extension.sh dist/extension-firefox firefox
#
# CERTRENEW_PORTAL_MATCHES="https://portal.example/*,..." names the
# organisation's portals: they become host_permissions (granted at install,
# so the worker can register the renewal-link content script there for
# portals set by policy, without a prompt) and Chrome's
# externally_connectable lists them. Without it the extension asks for
# access to a portal when the user saves it on the options page (see
# wasm/cmd/extmanifest and docs/extension.md, "Building for your portal").
#
# Needs only Go. OUTDIR is emptied first. It then holds:
#   manifest.json background.js settings.js notify.js link.js content.js
#   schema.json _locales/ icons/   (from extension/, icons drawn by wasm/cmd/genicons)
#   popup.html app.html options.html app.js  web/app.wasm  (the go-app UI, wasm/;
#                                            app.js starts with extension/early.js)
#   bare.html bare-app.js       web/bare.wasm      (benchmark baseline, wasm/bare)
#   wasm_exec.js app.css web/certrenew.css
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR [chrome|firefox]" >&2
  exit 2
fi
browser="${2:-chrome}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
if [[ "$out" == "$root" || "$out" == "/" ]]; then
  echo "refusing to empty $out" >&2
  exit 2
fi
find "$out" -mindepth 1 -delete

cd "$root"
goroot="$(go env GOROOT)"
wasm_exec="$goroot/lib/wasm/wasm_exec.js"
[[ -f "$wasm_exec" ]] || wasm_exec="$goroot/misc/wasm/wasm_exec.js"

echo "wasm: UI and baseline" >&2
mkdir -p "$out/web"
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$out/web/app.wasm" ./wasm
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$out/web/bare.wasm" ./wasm/cmd/bare

echo "pages" >&2
go run ./wasm/cmd/genext -out "$out" -wasm-exec "$wasm_exec"

echo "icons" >&2
go run ./wasm/cmd/genicons -out "$out/icons"

echo "extension files" >&2
go run ./wasm/cmd/extmanifest -in extension/manifest.json -out "$out/manifest.json" \
  -browser "$browser" -matches "${CERTRENEW_PORTAL_MATCHES:-}"
cp extension/background.js extension/settings.js extension/notify.js extension/link.js \
  extension/content.js extension/schema.json "$out/"
cp -R extension/_locales "$out/"
cp extension/web/*.css "$out/web/"

# What go-app would add for a PWA and an extension must not have.
for f in app-worker.js manifest.webmanifest; do
  if [[ -e "$out/$f" ]]; then
    echo "unexpected $f in output" >&2
    exit 1
  fi
done
echo "built $out" >&2
