#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/certgen-corpus.sh - the seed corpus of tests/fuzz/fuzz_certgen.c:
# server certificates (DER) as fuzz_certgen gets them, made here with the
# openssl command line (nothing from the internet), plus the recorded
# test certificates of tests/data/tls/.  Run from the top of the tree;
# rewrites tests/fuzz/corpus/certgen/.
set -eu
out=tests/fuzz/corpus/certgen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

for f in leaf expired self ca; do
	openssl x509 -in "tests/data/tls/$f.pem" -outform DER \
		-out "$out/real-$f.der"
done

# name SUBJECT DAYS KEYALG [EXTENSIONS...]: a self-signed certificate
mk() {
	name=$1 subj=$2 days=$3 alg=$4
	shift 4
	ext=""
	for e in "$@"; do
		ext="$ext -addext $e"
	done
	# shellcheck disable=SC2086 # $ext is a list of options
	openssl req -utf8 -x509 -newkey "$alg" -nodes -keyout "$tmp/k.pem" \
		-subj "$subj" -days "$days" -outform DER \
		-out "$out/made-$name.der" $ext 2>/dev/null
}

openssl ecparam -name prime256v1 -out "$tmp/ec.param"
mk nosan-cn "/CN=old.example.com" 30 "ec:$tmp/ec.param"
mk ip-san "/CN=192.0.2.1" 30 "ec:$tmp/ec.param" \
	"subjectAltName=IP:192.0.2.1,IP:2001:db8::1"
mk wildcard-rsa "/C=FR/O=Example/CN=*.example.com" 400 rsa:2048 \
	"subjectAltName=DNS:*.example.com,DNS:example.com"
mk empty-subject "/" 30 "ec:$tmp/ec.param" \
	"subjectAltName=critical,DNS:www.example.com"
mk utf8-subject "/O=Société Générale/CN=société.example" 30 \
	"ec:$tmp/ec.param" "subjectAltName=DNS:xn--socit-esab.example"
mk many-sans "/CN=a0.example.net" 30 "ec:$tmp/ec.param" \
	"subjectAltName=$(i=0; s=""; while [ $i -lt 60 ]; do \
		s="${s}${s:+,}DNS:a$i.example.net"; i=$((i+1)); done; \
		echo "$s"),email:a@example.net,URI:https://example.net/"
mk star-tld "/CN=*.com" 30 "ec:$tmp/ec.param" "subjectAltName=DNS:*.com"
mk long-validity "/CN=forever.example.com" 36500 "ec:$tmp/ec.param" \
	"subjectAltName=DNS:forever.example.com"
ls -l "$out"
