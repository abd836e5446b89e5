#!/bin/sh
# Install certrenew-host on macOS and register it with Chrome, Chromium,
# Edge, Brave and Firefox.
#
#   sh install-macos.sh                 for this user: ~/Library/Application Support/certrenew
#   sudo sh install-macos.sh --system   for every user: /Library/Application Support/certrenew
#   sh install-macos.sh --uninstall [--system]
#
# Run it from the unpacked release folder (host/darwin-arm64, host/darwin-amd64).
set -eu

system=""
uninstall=""
for a in "$@"; do
  case "$a" in
    --system) system="--system" ;;
    --uninstall) uninstall=1 ;;
    *) echo "usage: $0 [--system] [--uninstall]" >&2; exit 2 ;;
  esac
done

case "$(uname -m)" in
  arm64) arch=arm64 ;;
  x86_64) arch=amd64 ;;
  *) echo "unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac
here="$(cd "$(dirname "$0")" && pwd)"
if [ -n "$system" ]; then
  dest="/Library/Application Support/certrenew"
else
  dest="$HOME/Library/Application Support/certrenew"
fi

if [ -n "$uninstall" ]; then
  "$dest/certrenew-host" uninstall $system
  rm -f "$dest/certrenew-host" "$dest/certrenew-nm"
  echo "removed $dest/certrenew-host and certrenew-nm"
  exit 0
fi

mkdir -p "$dest"
# The browsers start certrenew-nm (the manifests name it), which starts
# certrenew-host beside it when a session needs more than its list.
for b in certrenew-host certrenew-nm; do
  cp "$here/host/darwin-$arch/$b" "$dest/$b"
  chmod 755 "$dest/$b"
  # Downloaded files carry a quarantine flag; browsers start the host
  # without asking, so clear it (the binaries are not notarized).
  xattr -d com.apple.quarantine "$dest/$b" 2>/dev/null || true
done
"$dest/certrenew-host" install $system --path "$dest/certrenew-host"
