#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# squidconf.sh CORPUS TPROXYD: run the squid.conf corpus's check.sh
# (CORPUS/check.sh) against the tproxyd binary TPROXYD under the conditions
# the corpus recorded Squid 5.7's own verdicts in (its squid-ref.sh, see
# CORPUS/MANIFEST.md): no network, and an /etc/hosts that maps the host
# names of "acl NAME src|dst HOST" lines to 198.18.0.1 (the parser resolves
# them) plus passwd/group entries for the cache_effective_user/group names
# the files use. So a file's verdict does not depend on this machine's DNS.
# Needs root for the private mount and network namespace (unshare); without
# it the check runs as it is, and says so.
set -eu
corpus=$1
bin=$2
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT

cp /etc/hosts "$w/hosts"
cp /etc/passwd "$w/passwd"
cp /etc/group "$w/group"
cat "$corpus"/conf/*.conf "$corpus"/inc/*/* 2>/dev/null |
	awk '$1 == "acl" && ($3 == "dst" || $3 == "src") {
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^#/)
				break
			if ($i ~ /^[A-Za-z0-9.-]*[A-Za-z][A-Za-z0-9.-]*$/ &&
			    $i != "all")
				print $i
		}
	}' | sort -u | while read -r h; do
		echo "198.18.0.1 $h" >> "$w/hosts"
	done
cat "$corpus"/conf/*.conf "$corpus"/inc/*/* 2>/dev/null |
	awk '$1 == "cache_effective_user" || $1 == "cache_effective_group" {
		print $2
	}' | sort -u | while read -r u; do
		grep -q "^$u:" "$w/passwd" ||
			echo "$u:x:64999:64999::/nonexistent:/usr/sbin/nologin" \
				>> "$w/passwd"
		grep -q "^$u:" "$w/group" || echo "$u:x:64999:" >> "$w/group"
	done

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1; then
	echo "squidconf.sh: not root: checking with this machine's" \
		"/etc/hosts and resolver" >&2
	exec env TPROXYD="$bin" "$corpus/check.sh"
fi
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare -n -m sh -c '
	mount --bind "$1/hosts" /etc/hosts &&
	mount --bind "$1/passwd" /etc/passwd &&
	mount --bind "$1/group" /etc/group &&
	ip link set lo up &&
	TPROXYD="$2" exec "$3/check.sh"' sh "$w" "$bin" "$corpus"
