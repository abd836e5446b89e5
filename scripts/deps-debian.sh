#!/usr/bin/env bash
# Install the Debian packages certrenew uses, if missing.
# Go itself (1.26) must already be installed.
#
#   scripts/deps-debian.sh [test]      everything the tests use (what CI installs)
#   scripts/deps-debian.sh demo        only what ./build.sh demo and its next steps use
#   scripts/deps-debian.sh --list SET  print SET's packages, one a line, and install nothing
set -euo pipefail

# What the demo uses: build the host (cgo), register it, and run the
# browser the next steps open.
demo_pkgs=(
  libnss3-tools   # certutil, pk12util, vfychain: the NSS certificate database the host installs into
  chromium        # the browser the demo's next steps (and the end-to-end tests) use
  gcc libc6-dev   # cgo: the PKCS#11 backend (crypto11) loads modules with dlopen
  ca-certificates
  fonts-noto-cjk  # Japanese text (the extension in ja, and the ja screenshots)
)
# What only the tests (and ./build.sh dist) use, on top of the demo's.
test_only_pkgs=(
  softhsm2 opensc # PKCS#11 token and pkcs11-tool (hardware-key backend)
  swtpm swtpm-tools tpm2-tools # software TPM 2.0 (hardware-key backend)
  xvfb xdotool    # a real display for the token PIN dialog
  openssl python3 # OpenSSL verifies signed profiles and opens PKCS#12s; Python's plistlib parses profiles (tests only)
  scep            # scepclient: an independent SCEP client (micromdm's, Debian's build) for the portal's SCEP tests
  postgresql      # the portal's scale-out store; tests start a throwaway cluster (scripts/pg-test.sh)
  slapd ldap-utils # OpenLDAP: the portal's directory tests start a throwaway slapd (portal/directory/slapdtest)
  libtpm2-pkcs11-1 libtpm2-pkcs11-tools # tpm2-pkcs11 module and tpm2_ptool (TPM keys in NSS)
  tpm2-abrmd libtss2-tcti-tabrmd0 dbus-daemon # user-space TPM resource manager: host, tpm2_ptool and Chromium share one swtpm
  zip rpm         # ./build.sh dist (extension zip), rpm -qlp in the package test
  firefox-esr     # the Firefox build of the extension (headless)
  strongswan-pki  # strongSwan's EST client (pki --est/--estca): interop under both renewal-auth policies
  systemd         # systemd-analyze verify checks the auto-renewal timer's units
)
# web-ext (Mozilla's extension linter, tests only) needs Node.js >= 20: use
# the node on PATH when there is one, else Debian's.
web_ext=web-ext@10.7.0
command -v node >/dev/null 2>&1 || test_only_pkgs+=(nodejs npm)

list=false
if [[ ${1:-} == --list ]]; then
  list=true
  shift
fi
set_name="${1:-test}"
case "$set_name" in
  demo) pkgs=("${demo_pkgs[@]}") ;;
  test) pkgs=("${demo_pkgs[@]}" "${test_only_pkgs[@]}") ;;
  *)
    echo "usage: $0 [--list] [demo|test]" >&2
    exit 2
    ;;
esac
if $list; then
  printf '%s\n' "${pkgs[@]}"
  [[ $set_name == test ]] && echo "npm:$web_ext"
  exit 0
fi

install_web_ext() {
  # An exact version from the npm registry, in its own prefix.
  local want=${web_ext#web-ext@} dir=/opt/certrenew-webext
  if [[ "$(web-ext --version 2>/dev/null)" == "$want" ]]; then
    return 0
  fi
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing $web_ext" >&2
  $sudo mkdir -p "$dir"
  $sudo npm install --no-audit --no-fund --prefix "$dir" "$web_ext" >/dev/null
  $sudo ln -sf "$dir/node_modules/.bin/web-ext" /usr/local/bin/web-ext
}
[[ $set_name == test ]] && trap install_web_ext EXIT

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
