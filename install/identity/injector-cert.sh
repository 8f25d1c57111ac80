#!/bin/sh
# Creates the injector's HTTPS serving certificate (injector.crt, injector.key) in DIR, signed
# by the weft issuer in the same folder (issuer.crt, issuer.key, as `weft identity create-ca`
# writes them). The webhook's caBundle is the trust anchor, so the chain must be complete:
# injector.crt holds the leaf followed by the issuer.
#
#   sh install/identity/injector-cert.sh install/identity [DAYS]
#
# Needs openssl 1.1.1 or newer. `weft install` does the same without openssl.
set -eu
dir=${1:?usage: injector-cert.sh DIR [DAYS]}
days=${2:-365}
service=weft-injector
namespace=weft-system
for f in issuer.crt issuer.key; do
  [ -f "$dir/$f" ] || { echo "injector-cert.sh: $dir/$f is missing (run: weft identity create-ca --identity-dir $dir)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/ext.cnf" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = critical, DNS:$service.$namespace.svc, DNS:$service.$namespace.svc.cluster.local
EXT
umask 077
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/injector.key" -subj "/O=weft/CN=$service.$namespace.svc" \
  -out "$tmp/injector.csr" 2>/dev/null
openssl x509 -req -in "$tmp/injector.csr" -CA "$dir/issuer.crt" -CAkey "$dir/issuer.key" -set_serial "0x$(openssl rand -hex 16)" \
  -days "$days" -sha256 -extfile "$tmp/ext.cnf" -out "$tmp/leaf.crt" 2>/dev/null
cat "$tmp/leaf.crt" "$dir/issuer.crt" > "$dir/injector.crt"
mv "$tmp/injector.key" "$dir/injector.key"
echo "wrote $dir/injector.crt and $dir/injector.key" >&2
