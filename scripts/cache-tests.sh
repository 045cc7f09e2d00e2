#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make cache-tests: the public HTTP cache test suite (http-cache-tests on
# npm, github.com/http-tests/cache-tests) run twice on loopback, straight
# to the suite's server and through a throw-away tproxyd used as a forward
# proxy; see tests/cache-tests/run.mjs and compare.mjs.
#
#   scripts/cache-tests.sh [BUILD_DIR]
#
# Environment: NODE, NPM (Debian's node 20 by default), CACHE_TESTS_VERSION,
# UPDATE_BASELINE=1 (rewrite tests/cache-tests/baseline.json),
# CACHE_TESTS_RUN_TIMEOUT (seconds per run, 240).
# Exit status: 0 pass, 1 a test of the baseline fails now, 2 trouble.
set -eu

B=${1:-build}
NODE=${NODE:-/usr/bin/node}
NPM=${NPM:-/usr/bin/npm}
VERSION=${CACHE_TESTS_VERSION:-0.4.5}
RUN_TIMEOUT=${CACHE_TESTS_RUN_TIMEOUT:-240}
HERE=$(cd "$(dirname "$0")/.." && pwd)
D=$HERE/$B/cache-tests
NPMDIR=$D/npm
SUITE=$NPMDIR/node_modules/http-cache-tests
T=$HERE/tests/cache-tests
TPROXYD=$HERE/$B/tproxyd

die() { echo "cache-tests: $*" >&2; exit 2; }

[ -x "$TPROXYD" ] || die "$TPROXYD missing (run make first)"
# Node and npm: installed from Debian when missing (a node from elsewhere
# that brings its own npm is left alone).
if ! command -v "$NODE" >/dev/null || ! command -v "$NPM" >/dev/null; then
	sh "$HERE/scripts/deps.sh" cachetests
fi
command -v "$NODE" >/dev/null || die "no $NODE (apt-get install nodejs npm)"
mkdir -p "$D"

# The suite, installed once into the build directory.
have=$("$NODE" -p "require('$SUITE/package.json').version" 2>/dev/null ||
	true)
if [ "$have" != "$VERSION" ]; then
	echo "== installing http-cache-tests@$VERSION into $NPMDIR"
	mkdir -p "$NPMDIR"
	timeout 300 "$NPM" install --no-audit --no-fund --silent \
		--prefix "$NPMDIR" "http-cache-tests@$VERSION" ||
		die "npm install http-cache-tests@$VERSION failed"
fi

free_port() {
	python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}
wait_port() {
	i=0
	while ! listening "$1"; do
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		[ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
}

# Stops a process this script started and waits for its end (tproxyd
# gets shutdown_lifetime 1 s; SIGKILL after 10 s in any case).
stop() {
	kill "$1" 2>/dev/null || return 0
	(sleep 10; kill -9 "$1" 2>/dev/null) &
	guard=$!
	wait "$1" 2>/dev/null || true
	kill "$guard" 2>/dev/null || true
}
SPID= TPID=
cleanup() {
	[ -z "$TPID" ] || stop "$TPID"
	[ -z "$SPID" ] || stop "$SPID"
}
trap cleanup EXIT INT TERM

# The suite's server, on loopback only (listen-loopback.mjs).
SPORT=$(free_port)
rm -f "$D/server.log" "$D/access.log" "$D/cache.log"
npm_config_protocol=http npm_config_port=$SPORT \
	npm_config_pidfile=$D/server.pid \
	"$NODE" --import "$T/listen-loopback.mjs" "$SUITE/server/server.mjs" \
	>"$D/server.log" 2>&1 &
SPID=$!
wait_port "$SPORT" "$SPID" || die "the suite's server did not listen on" \
	"127.0.0.1:$SPORT (see $D/server.log)"

# A throw-away tproxyd: forward proxy on loopback, its logs in $D.
PPORT=$(free_port)
cat >"$D/tproxyd.conf" <<CONF
# written by scripts/cache-tests.sh
http_port 127.0.0.1:$PPORT
http_access allow all
pid_filename $D/tproxyd.pid
access_log $D/access.log
cache_log $D/cache.log
dns_nameservers 127.0.0.1
visible_hostname cache-tests.invalid
shutdown_lifetime 1 seconds
CONF
"$TPROXYD" -N -d 1 -f "$D/tproxyd.conf" >"$D/tproxyd.out" 2>&1 &
TPID=$!
wait_port "$PPORT" "$TPID" || die "tproxyd did not listen on 127.0.0.1:$PPORT" \
	"(see $D/cache.log, $D/tproxyd.out)"

BASE=http://127.0.0.1:$SPORT
export CACHE_TESTS_RUN_TIMEOUT="$RUN_TIMEOUT"
bound=$((RUN_TIMEOUT + 30))
start=$(date +%s)
echo "== direct: client -> $BASE"
timeout "$bound" "$NODE" "$T/run.mjs" "$SUITE" "$BASE" "$D/direct.json" ||
	[ $? -eq 3 ] || die "the direct run failed"
mid=$(date +%s)
echo "== through tproxyd: client -> 127.0.0.1:$PPORT -> $BASE"
timeout "$bound" "$NODE" "$T/run.mjs" "$SUITE" "$BASE" "$D/tproxyd.json" \
	"127.0.0.1:$PPORT" || [ $? -eq 3 ] || die "the run through tproxyd failed"
end=$(date +%s)

if ! kill -0 "$TPID" 2>/dev/null; then
	TPID=
	die "tproxyd ended during the run (see $D/cache.log, $D/tproxyd.out)"
fi
echo "== runs: direct $((mid - start)) s, through tproxyd $((end - mid)) s;" \
	"access.log: $(wc -l <"$D/access.log") requests"
"$NODE" "$T/compare.mjs" "$D/direct.json" "$D/tproxyd.json" \
	"$D/results.json" "$T/baseline.json"
