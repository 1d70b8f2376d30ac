#!/usr/bin/env bash
# Regenerates the PKI seed corpora with the openssl CLI. Keys are random, so the output differs
# byte for byte on every run; the committed seeds are one such run. Text seeds (config,
# durations, timestamps, encodings, hand-made PEM edge cases) are written by hand and are not
# touched here. Usage: tests/fuzz/make_seeds.sh  (from the repository root or anywhere)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
corpus="$here/corpus"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

obj="$corpus/pki_object"
der="$corpus/pki_der"
csr="$corpus/csr"
armor="$corpus/pem_armor"
mkdir -p "$obj" "$der" "$csr" "$armor"

ossl() { openssl "$@" 2>/dev/null; }

# ---- keys ----
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key
ossl genpkey -algorithm ED25519 -out ed25519.key
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.key
ossl genpkey -algorithm ED448 -out ed448.key

cp p256.key "$obj/key_p256_pkcs8.pem"
cp ed25519.key "$obj/key_ed25519.pem"
cp p521.key "$obj/key_p521_foreign.pem"
cp ed448.key "$obj/key_ed448_foreign.pem"
ossl pkey -in p384.key -traditional -out "$obj/key_p384_traditional.pem"
# "EC PARAMETERS" + "EC PRIVATE KEY", as `openssl ecparam -genkey` writes them.
ossl ecparam -name prime256v1 -genkey -out "$obj/key_p256_with_params.pem"
ossl pkey -in rsa2048.key -traditional -out "$obj/key_rsa2048_traditional.pem"
ossl pkey -in rsa1024.key -outform DER -out "$obj/key_rsa1024.der"
ossl pkey -in p256.key -outform DER -out "$obj/key_p256_pkcs8.der"
ossl pkey -in p256.key -traditional -outform DER -out "$der/key_p256_traditional.der"
ossl pkey -in ed25519.key -outform DER -out "$der/key_ed25519.der"
ossl pkey -in p256.key -pubout -out "$obj/pub_p256.pem"
ossl pkey -in rsa2048.key -pubout -outform DER -out "$obj/pub_rsa2048.der"
ossl pkey -in ed25519.key -pubout -outform DER -out "$der/pub_ed25519.der"
ossl pkey -in p256.key -aes128 -passout pass:x -out "$obj/key_p256_encrypted_pkcs8.pem"
ossl pkey -in p256.key -traditional -aes128 -passout pass:x -out "$obj/key_p256_encrypted_legacy.pem"
cp "$obj/key_p256_pkcs8.der" "$der/key_p256_pkcs8.der"

# ---- certificates ----
cat >leaf.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth, 1.3.6.1.5.5.7.3.9
subjectAltName = DNS:example.com, DNS:*.example.com, IP:192.0.2.1, IP:2001:db8::1, email:ops@example.com, URI:https://example.com/x, otherName:1.2.3.4;UTF8:hello, dirName:dir_sect, RID:1.2.3.4
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:http://ocsp.example.com, caIssuers;URI:http://ca.example.com/ca.crt
crlDistributionPoints = URI:http://crl.example.com/ca.crl
certificatePolicies = 2.23.140.1.2.1
[dir_sect]
CN = dir name
O = Example
EOF
cat >ca.ext <<'EOF'
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nameConstraints = permitted;DNS:example.com, excluded;IP:10.0.0.0/255.0.0.0
EOF

ossl req -new -x509 -key p384.key -subj "/C=DE/O=Fuzz CA/CN=Fuzz Root" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out root.pem
ossl req -new -key p256.key -subj "/O=Fuzz CA/CN=Fuzz Intermediate" -out int.csr
ossl x509 -req -in int.csr -CA root.pem -CAkey p384.key -set_serial 2 -days 1000 \
  -extfile ca.ext -out int.pem
ossl req -new -key ed25519.key -subj "/CN=example.com/O=Ex\, Inc./emailAddress=a@example.com" \
  -out leaf.csr
ossl x509 -req -in leaf.csr -CA int.pem -CAkey p256.key -set_serial 0x0123456789ABCDEF0123 \
  -days 90 -extfile leaf.ext -out leaf.pem
# notAfter after 2049 is a GeneralizedTime (RFC 5280 §4.1.2.5).
ossl req -new -x509 -key rsa2048.key -subj "/CN=rsa.example" -days 40000 -out rsa_long.pem
# Version 1: no extensions at all.
ossl req -new -key p256.key -subj "/CN=v1" -out v1.csr
ossl x509 -req -in v1.csr -signkey p256.key -days 1 -out v1.pem
ossl req -new -x509 -key p521.key -subj "/CN=p521" -days 30 -out p521.pem
ossl req -new -x509 -key ed448.key -subj "/CN=ed448" -days 30 -out ed448.pem

cp leaf.pem "$obj/cert_leaf_ed25519_all_extensions.pem"
ossl x509 -in leaf.pem -outform DER -out "$obj/cert_leaf_ed25519_all_extensions.der"
cp "$obj/cert_leaf_ed25519_all_extensions.der" "$der/cert_leaf.der"
cp int.pem "$obj/cert_intermediate_p256.pem"
ossl x509 -in int.pem -outform DER -out "$der/cert_intermediate_nameconstraints.der"
cp rsa_long.pem "$obj/cert_rsa2048_generalizedtime.pem"
ossl x509 -in v1.pem -outform DER -out "$obj/cert_v1.der"
cp "$obj/cert_v1.der" "$der/cert_v1.der"
ossl x509 -in p521.pem -outform DER -out "$obj/cert_p521.der"
ossl x509 -in ed448.pem -outform DER -out "$der/cert_ed448.der"
cat leaf.pem int.pem root.pem >"$obj/chain_leaf_int_root.pem"
{ echo "subject=/CN=example.com (text between blocks is allowed)"; cat leaf.pem;
  echo "issuer=Fuzz Intermediate"; cat int.pem; } >"$obj/chain_with_text.pem"
cat leaf.pem ed25519.key >"$obj/haproxy_cert_and_key.pem"
sed 's/$/\r/' int.pem >"$obj/cert_crlf.pem"

# ---- CSRs ----
ossl req -new -key p256.key -subj "/CN=csr.example" \
  -addext "subjectAltName=DNS:csr.example,DNS:www.csr.example,IP:192.0.2.7,URI:spiffe://x/y" \
  -out csr_p256.pem
ossl req -new -key rsa1024.key -subj "/CN=rsa.example/O=Org" -out csr_rsa1024.pem
ossl req -new -key p384.key -subj "/" -addext "subjectAltName=critical,email:a@b.example" \
  -out csr_p384_no_subject.pem
printf '[req]\ndistinguished_name=dn\nattributes=attr\nprompt=no\n[dn]\nCN=attr.example\n[attr]\nchallengePassword=secret1\nunstructuredName=unstructured\n' >attr.cnf
ossl req -new -key p256.key -config attr.cnf -out csr_attributes.pem

cp csr_p256.pem "$obj/csr_p256_sans.pem"
cp leaf.csr "$obj/csr_ed25519.pem"
ossl req -in csr_rsa1024.pem -outform DER -out "$obj/csr_rsa1024.der"
for f in csr_p256 csr_rsa1024 csr_p384_no_subject csr_attributes; do
  cp "$f.pem" "$csr/$f.pem"
  ossl req -in "$f.pem" -outform DER -out "$csr/$f.der"
done
cp leaf.csr "$csr/csr_ed25519.pem"
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' csr_p256.pem >"$csr/csr_legacy_label.pem"
# A CSR whose signature does not verify: flip one bit in the last byte of the signature.
ossl req -in csr_p256.pem -outform DER -out bad.der
python3 - bad.der "$csr/csr_bad_signature.der" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-1] ^= 1
open(sys.argv[2], 'wb').write(b)
EOF
cp "$csr/csr_bad_signature.der" "$der/csr_bad_signature.der"
cp "$csr/csr_p256.der" "$der/csr_p256.der"

# ---- other blocks ----
ossl req -new -x509 -key p256.key -subj "/CN=crl issuer" -days 10 -out crlca.pem
printf 'dir=.\n[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n' >crl.cnf
: >index.txt
echo 01 >crlnumber
ossl ca -config crl.cnf -gencrl -keyfile p256.key -cert crlca.pem -out "$obj/crl_only.pem"
cat "$obj/crl_only.pem" v1.pem >"$obj/crl_then_cert.pem"

# ---- PEM armor: a few real files for the armor target ----
cp leaf.pem "$armor/cert.pem"
cp "$obj/key_p256_encrypted_legacy.pem" "$armor/legacy_encrypted_headers.pem"
cp "$obj/chain_with_text.pem" "$armor/chain_with_text.pem"
cp "$obj/cert_crlf.pem" "$armor/crlf.pem"

echo "seeds written under $corpus"
