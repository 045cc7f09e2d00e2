#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages tproxyd needs to build, test and demo.
# Idempotent: asks dpkg what is already installed and calls apt-get only for
# what is missing; prints nothing when everything is there.
#
#   scripts/deps.sh [build|test|demo|fuzz|bench|cachetests|package]   (default: test, a superset of build)
set -eu

build="gcc make pkg-config libev-dev libc-ares-dev libcap-dev libssl-dev"
# tshark: the WCCP tests decode tproxyd's packets with Wireshark's dissector
# and fail without it (tests/blackbox/test_wccp2.py).
test="$build libcmocka-dev openssl python3 python3-pytest python3-pytest-xdist curl iproute2 nftables iptables procps libcap2-bin util-linux clang iputils-ping tshark"
demo="$build curl iproute2 nftables iptables procps iputils-ping python3 openssl"
fuzz="clang libssl-dev"
# bench: the peers are run by bench/bench.py inside namespaces only; their
# packaged services must not start on the host (policy-rc.d below).
# libnginx-mod-stream: nginx's TCP proxy with ssl_preread (the HTTPS rows);
# squid-openssl: Debian's squid built with OpenSSL (https_port ssl-bump),
# the same Squid 5.7 otherwise; it replaces the squid package.
# varnish: a peer of the cache rows (bench/cache_bench.py).
bench="$test wrk haproxy nginx-light libnginx-mod-stream squid-openssl python3-matplotlib varnish"

# nginx-light, openssl: the TLS origin of the HTTPS interception tests and
# its certificates (tests/blackbox/tls_env.py); its service must not start
# on the host either (policy-rc.d below).
test="$test nginx-light openssl"

# bash-completion: the completion files are tried under its
# _init_completion as an installed system runs them
# (tests/blackbox/test_cli.py).
test="$test bash-completion"

# squidguard: Debian's URL filter, run unmodified as url_rewrite_program
# (tests/blackbox/test_helpers_rewrite.py).
test="$test squidguard"

# squid-openssl: Debian's Squid (/usr/sbin/squid, the bench's flavour) run
# beside tproxyd as doc/migrating.md's "Side by side" has it
# (tests/blackbox/test_side_by_side.py).
test="$test squid-openssl"

# ngtcp2-client: Debian's QUIC client (gtlsclient), whose Initial packets
# the QUIC reader must read (tests/blackbox/test_quic_initial.py,
# scripts/quic-capture.py).
test="$test ngtcp2-client"

# bind9-dnsutils (dig) and dnsmasq-base (dnsmasq): DNS through the UDP
# relay, dig in the client namespace asking dnsmasq in the server's
# (tests/blackbox/test_udp.py).
test="$test bind9-dnsutils dnsmasq-base"

# systemd-container: systemd-nspawn boots this machine's systemd in the router
# namespace for the tproxyctl.service tests (test_tproxyctl_systemd.py).
test="$test systemd systemd-container"

# c-icap: Debian's ICAP server, run by tests/blackbox/test_icap.py (its
# echo service); libc-icap-mod-virus-scan and clamav: its virus_scan
# service with a ClamAV database the test writes (EICAR only), mounted
# for c-icap alone with unshare (util-linux).
test="$test c-icap libc-icap-mod-virus-scan clamav"
# make package-test: dpkg-buildpackage with debhelper (debian/rules), and
# lintian on the .deb (tests/blackbox/test_package.py); the build
# dependencies of debian/control are those of "build"; logrotate checks the
# shipped logrotate file.
package="$build debhelper lintian fakeroot logrotate python3 python3-pytest"

# logrotate: the package's logrotate file is run on a live tproxyd
# (tests/blackbox/test_logrotate.py).
test="$test logrotate"

# prometheus: promtool checks a real /metrics scrape and the packaged alert
# rules, and the Prometheus server scrapes a test tproxyd on loopback to
# evaluate the dashboard's queries (tests/blackbox/test_monitoring.py); its
# service must not start on the host (policy-rc.d below). python3-yaml: the
# test reads the alert rules.
test="$test prometheus python3-yaml"

# make cache-tests (scripts/cache-tests.sh asks only when node or npm is
# missing: a node from elsewhere brings its own npm).
cachetests="nodejs npm"

case "${1:-test}" in
build) want=$build ;;
package) want=$package ;;
cachetests) want=$cachetests ;;
test) want=$test ;;
fuzz) want=$fuzz ;;
demo) want=$demo ;;
bench) want=$bench ;;
*) echo "usage: $0 [build|test|demo|fuzz|bench|cachetests|package]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
	command -v sudo >/dev/null || {
		echo "deps: need root to install:$missing" >&2; exit 1; }
else
	sudo=
fi
# Never ask: sudo drops the environment, so apt-get runs under env(1).
export DEBIAN_FRONTEND=noninteractive
apt="$sudo env DEBIAN_FRONTEND=noninteractive apt-get"
# tshark's package asks whether non-root users may capture: answer no
# beforehand (the tests capture as root).
case " $missing " in
*" tshark "*)
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		$sudo debconf-set-selections ;;
esac
# Installing squid/haproxy/nginx would start their services listening on the
# host: forbid service starts for the duration of the install (the tests and
# the bench run them inside namespaces only).
prc=
if [ "${1:-test}" != build ] && [ "${1:-test}" != fuzz ] &&
	[ ! -e /usr/sbin/policy-rc.d ]; then
	prc=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' | $sudo tee $prc >/dev/null
	$sudo chmod 755 $prc
	trap '$sudo rm -f $prc' EXIT
fi
# An empty package list (fresh container) makes install fail: update first.
if ! $apt install -y -qq --no-install-recommends $missing >/dev/null; then
	$apt update -qq
	$apt install -y -qq --no-install-recommends $missing >/dev/null
fi
