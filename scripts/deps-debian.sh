#!/usr/bin/env bash
# Install the Debian packages certrenew's demo and tests use, if missing.
# Go itself (1.26) must already be installed.
set -euo pipefail

pkgs=(
  libnss3-tools   # certutil, pk12util, vfychain: the NSS certificate database
  chromium        # the browser the end-to-end tests drive (headless)
  softhsm2 opensc # PKCS#11 token and pkcs11-tool (hardware-key backend)
  swtpm swtpm-tools tpm2-tools # software TPM 2.0 (hardware-key backend)
  xvfb xdotool    # a real display for the token PIN dialog
  postgresql      # the portal's scale-out store; tests start a throwaway cluster (scripts/pg-test.sh)
  libtpm2-pkcs11-1 libtpm2-pkcs11-tools # tpm2-pkcs11 module and tpm2_ptool (TPM keys in NSS)
  tpm2-abrmd libtss2-tcti-tabrmd0 dbus-daemon # user-space TPM resource manager: host, tpm2_ptool and Chromium share one swtpm
  gcc libc6-dev   # cgo: the PKCS#11 backend (crypto11) loads modules with dlopen
  ca-certificates
  zip rpm         # ./build.sh dist (extension zip), rpm -qlp in the package test
  firefox-esr     # the Firefox build of the extension (headless)
  fonts-noto-cjk  # Japanese text in the ja screenshots
)
# web-ext (Mozilla's extension linter) needs Node.js >= 20: use the node on
# PATH when there is one, else Debian's.
command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
install_web_ext() {
  # An exact version from the npm registry, in its own prefix.
  local want=10.7.0 dir=/opt/certrenew-webext
  if [[ "$(web-ext --version 2>/dev/null)" == "$want" ]]; then
    return 0
  fi
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing web-ext@$want" >&2
  $sudo mkdir -p "$dir"
  $sudo npm install --no-audit --no-fund --prefix "$dir" "web-ext@$want" >/dev/null
  $sudo ln -sf "$dir/node_modules/.bin/web-ext" /usr/local/bin/web-ext
}
trap install_web_ext EXIT

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
