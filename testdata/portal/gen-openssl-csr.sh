#!/bin/sh
# Regenerates the OpenSSL-made CSR fixtures used by portal/est tests, to
# check interoperability of the challengePassword parser with an
# independent PKCS#10 encoder. Run from this directory.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/key.pem"
cat > "$tmp/req.cnf" <<CONF
[req]
distinguished_name = dn
attributes = attrs
prompt = no
string_mask = MASK
[dn]
CN = alice
[attrs]
challengePassword = ABCD-EFGH-JKLM-NPQR
CONF
sed 's/MASK/utf8only/' "$tmp/req.cnf" > "$tmp/utf8.cnf"
sed 's/MASK/default/' "$tmp/req.cnf" > "$tmp/printable.cnf"
openssl req -new -key "$tmp/key.pem" -config "$tmp/utf8.cnf" -out openssl-utf8.csr.pem
openssl req -new -key "$tmp/key.pem" -config "$tmp/printable.cnf" -out openssl-printable.csr.pem
