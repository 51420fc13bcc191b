#!/bin/sh
# tests/tls/mkca.sh DIR: a test PKI made with the openssl CLI, for the
# TLS tests (never for production).  In DIR:
#   ca.pem ca.key              the test CA
#   localhost.pem/.key         DNS localhost, IP 127.0.0.1 and ::1 (EC)
#   localhost-rsa.pem/.key     the same names, RSA 2048
#   a.test.pem/.key            DNS a.test, *.a.test
#   b.test.pem/.key            DNS b.test
#   ip.pem/.key                IP 127.0.0.1 only, no DNS name
#   expired.pem/.key           localhost, expired in 2020
#   soon.pem/.key              localhost, expires in 10 days
#   client.pem/.key            a client certificate (mTLS to upstreams)
#   other-ca.pem               a CA no test trusts
#   unknown.pem/.key           localhost, signed by other-ca
#   mismatch.key               a key that matches no certificate here
# Each .pem is the leaf then the CA (a full chain), except ca.pem and
# other-ca.pem.  Keys are 0600.
set -eu
D=${1:?usage: mkca.sh DIR}
mkdir -p "$D"
cd "$D"
umask 077
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$1" 2>/dev/null; }

# a CA: NAME SUBJECT
mkca() {
	ec "$1.key"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 \
	    -addext basicConstraints=critical,CA:true \
	    -addext keyUsage=critical,keyCertSign,cRLSign \
	    -out "$1.pem" 2>/dev/null
	mkdir -p "$1.db"
	: >"$1.db/index"
	echo 1000 >"$1.db/serial"
}

# a leaf: NAME CA SAN DAYS|START:END [EXTKU] [KEYFILE]
leaf() {
	name=$1 ca=$2 san=$3 when=$4 eku=${5:-serverAuth} key=${6:-$1.key}
	[ -f "$key" ] || ec "$key"
	openssl req -new -key "$key" -subj "/CN=$name" -out "$name.csr" \
	    2>/dev/null
	cat >"$name.ext" <<EOT
[ca]
default_ca = d
[d]
database = $ca.db/index
serial = $ca.db/serial
new_certs_dir = $ca.db
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
commonName = supplied
[x]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = $eku
subjectAltName = $san
EOT
	case $when in
	*:*)	dates="-startdate ${when%%:*} -enddate ${when#*:}" ;;
	*)	dates="-days $when" ;;
	esac
	# shellcheck disable=SC2086
	openssl ca -batch -config "$name.ext" -extensions x -cert "$ca.pem" \
	    -keyfile "$ca.key" $dates -in "$name.csr" -out "$name.crt" \
	    -notext 2>/dev/null
	cat "$name.crt" "$ca.pem" >"$name.pem"
	rm -f "$name.csr" "$name.ext" "$name.crt"
}

mkca ca "mcpproxyd test CA"
mkca other-ca "a CA nobody trusts"
leaf localhost ca "DNS:localhost,IP:127.0.0.1,IP:::1" 365
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out localhost-rsa.key 2>/dev/null
leaf localhost-rsa ca "DNS:localhost,IP:127.0.0.1,IP:::1" 365 serverAuth \
    localhost-rsa.key
leaf a.test ca "DNS:a.test,DNS:*.a.test" 365
leaf b.test ca "DNS:b.test" 365
leaf ip ca "IP:127.0.0.1" 365
leaf expired ca "DNS:localhost,IP:127.0.0.1" 20200101000000Z:20200201000000Z
leaf soon ca "DNS:localhost,IP:127.0.0.1" 10
leaf client ca "DNS:mcpproxyd.client" 365 clientAuth
leaf unknown other-ca "DNS:localhost,IP:127.0.0.1" 365
ec mismatch.key
rm -rf ca.db other-ca.db
chmod 644 ./*.pem
