#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: a three-namespace network (client / router / server), tproxyd
# intercepting the client's HTTP and HTTPS with TPROXY in the router, and the
# origin reporting which address it saw. HTTPS by name: tproxyd reads the
# name the client asks for (SNI), splices allowed sites, terminates a
# blocked one and decrypts one (ssl_bump bump, with a CA made by tproxyctl
# ca create), and logs them by name. Everything lives in namespaces
# created here (198.18.0.0/15, 2001:db8::/32) and is removed at the end.
#
# The router's kernel side is set up by tproxyctl from tproxyd.conf.
#
#   client 198.18.1.2 ---- 198.18.1.1 router 198.18.2.1 ---- 198.18.2.2 server
#   2001:db8:1::2          (tproxyd, http_port 3129 tproxy,   2001:db8:2::2
#                           https_port 3130 tproxy ssl-bump)
set -eu
B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh scripts/deps.sh demo
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }

P=tpxdemo$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
CLI=$P-cli RTR=$P-rtr SRV=$P-srv
d=$(mktemp -d /tmp/tproxyd-demo.XXXXXX)
chmod 755 "$d"
cleanup() {
	for ns in $CLI $RTR $SRV; do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[ -n "$pids" ] && kill $pids 2>/dev/null || true
	done
	sleep 0.2
	for ns in $CLI $RTR $SRV; do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$d"
}
trap cleanup EXIT INT TERM
nsx() { ns=$1; shift; ip netns exec "$ns" "$@"; }

echo "== network: $CLI -- $RTR -- $SRV"
for ns in $CLI $RTR $SRV; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
ip link add c0 netns "$CLI" type veth peer name r0 netns "$RTR"
ip link add s0 netns "$SRV" type veth peer name r1 netns "$RTR"
nsx "$CLI" ip addr add 198.18.1.2/24 dev c0
nsx "$CLI" ip addr add 2001:db8:1::2/64 dev c0 nodad
nsx "$RTR" ip addr add 198.18.1.1/24 dev r0
nsx "$RTR" ip addr add 2001:db8:1::1/64 dev r0 nodad
nsx "$RTR" ip addr add 198.18.2.1/24 dev r1
nsx "$RTR" ip addr add 2001:db8:2::1/64 dev r1 nodad
nsx "$SRV" ip addr add 198.18.2.2/24 dev s0
nsx "$SRV" ip addr add 2001:db8:2::2/64 dev s0 nodad
for l in "$CLI c0" "$RTR r0" "$RTR r1" "$SRV s0"; do set -- $l; nsx "$1" ip link set "$2" up; done
nsx "$CLI" ip route add default via 198.18.1.1
nsx "$CLI" ip -6 route add default via 2001:db8:1::1
nsx "$SRV" ip route add default via 198.18.2.1
nsx "$SRV" ip -6 route add default via 2001:db8:2::1
nsx "$RTR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

echo "== origin server on 198.18.2.2:80 and [2001:db8:2::2]:80"
nsx "$SRV" /usr/bin/python3 tests/blackbox/origin.py --listen 198.18.2.2:80 \
	--listen '[2001:db8:2::2]:80' > "$d/origin.out" 2>&1 &

echo "== HTTPS origin: a test CA and a certificate for shop.demo.test,"
echo "   blocked.demo.test and secure.demo.test, on 198.18.2.2:443 and"
echo "   [2001:db8:2::2]:443"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-days 2 -subj "/CN=tproxyd demo CA" -keyout "$d/ca.key" \
	-out "$d/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/CN=shop.demo.test" -keyout "$d/leaf.key" -out "$d/leaf.csr" \
	2>/dev/null
printf 'subjectAltName=DNS:shop.demo.test,DNS:blocked.demo.test,DNS:secure.demo.test\n' > "$d/san"
openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	-CAcreateserial -days 2 -extfile "$d/san" -out "$d/leaf.pem" 2>/dev/null
nsx "$SRV" /usr/bin/python3 scripts/demo_tls_origin.py --cert "$d/leaf.pem" \
	--key "$d/leaf.key" --listen 198.18.2.2:443 \
	--listen '[2001:db8:2::2]:443' > "$d/tls-origin.out" 2>&1 &
# The router's resolver (tproxyd checks that the SNI names the address the
# client connected to, as it checks Host for HTTP).
nsx "$RTR" /usr/bin/python3 tests/blackbox/stub_dns.py --listen 127.0.0.1:53 \
	--name shop.demo.test=198.18.2.2,2001:db8:2::2 \
	--name blocked.demo.test=198.18.2.2,2001:db8:2::2 \
	--name secure.demo.test=198.18.2.2,2001:db8:2::2 \
	> "$d/dns.out" 2>&1 &
echo "== the bumping CA (the clients that trust it let tproxyd decrypt):"
echo "   tproxyctl ca create --dir $d/bumpca"
"$B/tproxyctl" ca create --dir "$d/bumpca" --name "tproxyd demo bumping CA" \
	--days 2 >/dev/null

cat > "$d/tproxyd.conf" <<CONF
http_port 3129 tproxy
https_port 3130 tproxy ssl-bump cert=$d/bumpca/ca.pem key=$d/bumpca/ca.key generate-host-certificates=on
acl clients src 198.18.1.0/24 2001:db8:1::/64
http_access allow clients
http_access deny all
# HTTPS: read the client's hello (step 1), then decide by name.
acl step1 at_step SslBump1
acl blocked ssl::server_name .blocked.demo.test
acl decrypted ssl::server_name .secure.demo.test
ssl_bump peek step1
ssl_bump terminate blocked
ssl_bump bump decrypted
ssl_bump splice all
# The origins' CA, for checking their certificates when decrypting.
tls_outgoing_options cafile=$d/ca.pem
visible_hostname demo-router
# The cache: responses the origin allows are kept in memory.
cache_mem 64 MB
# Nothing but the namespaces here: never ask the host's resolver.
dns_nameservers 127.0.0.1
logformat tls %ts.%03tu %>a %Ss/%03>Hs %ru sni=%ssl::>sni mode=%ssl::bump_mode version=%ssl::>negotiated_version error=%err_code
access_log $d/tls.log tls
access_log $d/access.log
cache_log $d/cache.log
pid_filename $d/tproxyd.pid
CONF
chown proxy "$d" 2>/dev/null || true
echo "== tproxyd.conf"
sed 's/^/    /' "$d/tproxyd.conf"

echo "== router: the kernel side (sysctls, policy routing, TPROXY rules),"
echo "   planned from tproxyd.conf by: tproxyctl setup -f tproxyd.conf"
nsx "$RTR" "$B/tproxyctl" setup -f "$d/tproxyd.conf" --state "$d/tproxyctl.state" --dry-run |
	grep -v '^#' | sed 's/^/    /'
nsx "$RTR" "$B/tproxyctl" setup -f "$d/tproxyd.conf" --state "$d/tproxyctl.state" >/dev/null
nsx "$RTR" "$B/tproxyd" -N -f "$d/tproxyd.conf" &
for i in $(seq 1 50); do
	nsx "$RTR" ss -ltn 2>/dev/null | grep -q ':3130 ' &&
	nsx "$SRV" ss -ltn 2>/dev/null | grep -q '198.18.2.2:443 ' &&
	nsx "$SRV" ss -ltn 2>/dev/null | grep -q '2001:db8:2::2\]:443 ' &&
	nsx "$RTR" ss -lun 2>/dev/null | grep -q '127.0.0.1:53 ' &&
	nsx "$SRV" ss -ltn 2>/dev/null | grep -q ':80 ' && break
	sleep 0.1
done
pid=$(cat "$d/tproxyd.pid")
echo "    running as: $(grep -E '^Uid' /proc/$pid/status | awk '{print "uid " $2}'), CapEff $(grep CapEff /proc/$pid/status | awk '{print $2}') (CAP_NET_RAW only)"

# IPv6 neighbour discovery costs about a second on the first packets of
# each hop: warm the caches so the times below are the proxy's.
for a in 2001:db8:1::1 2001:db8:2::2; do
	nsx "$CLI" ping -6 -c1 -W2 "$a" >/dev/null 2>&1 || true
done
nsx "$RTR" ping -6 -c1 -W2 2001:db8:2::2 >/dev/null 2>&1 || true
nsx "$SRV" ping -6 -c1 -W2 2001:db8:2::1 >/dev/null 2>&1 || true

echo
printf "%-44s %-22s %s\n" "the client ($CLI) ran" "the origin saw" "time, status"
for url in http://198.18.2.2/peer 'http://[2001:db8:2::2]/peer'; do
	out=$(nsx "$CLI" curl -sS -m 10 -w ' %{time_total}s %{http_code}' "$url")
	saw=$(echo "$out" | sed -n 's/.*"addr": *"\([^"]*\)".*/\1/p')
	printf '%-44s %-22s %s\n' "curl $url" "$saw" "${out#*\} }"
done
head -c 1048576 /dev/urandom > "$d/up.bin"
a=$(nsx "$CLI" curl -sS -m 10 --data-binary @"$d/up.bin" -H 'Content-Type: application/octet-stream' http://198.18.2.2/echo | sha256sum | cut -c1-16)
b=$(sha256sum < "$d/up.bin" | cut -c1-16)
printf '%-44s %-22s %s\n' "1 MiB POST /echo, sha256 of the reply" "$a" "(sent $b)"
[ "$a" = "$b" ]

echo
echo "The cache: the same URL twice (the origin sends Cache-Control: max-age=3600);"
echo "the second answer comes from tproxyd's memory (Age, TCP_MEM_HIT below)."
for i in 1 2; do
	out=$(nsx "$CLI" curl -sS -m 10 -o /dev/null -D "$d/h$i" \
		-w '%{time_total}s %{http_code} %{size_download} bytes' \
		http://198.18.2.2/cacheable/262144)
	age=$(tr -d '\r' < "$d/h$i" | sed -n 's/^[Aa]ge: *//p')
	printf '%-44s %s\n' "curl http://198.18.2.2/cacheable/262144 #$i" \
		"$out${age:+, Age: $age}"
	rm -f "$d/h$i"
done

echo
echo "HTTPS, not decrypted: the client checks the origin's own certificate"
echo "(the demo CA); tproxyd only read the server name it asked for."
for t in "shop.demo.test 198.18.2.2" "shop.demo.test [2001:db8:2::2]" \
	 "blocked.demo.test 198.18.2.2"; do
	set -- $t
	out=$(nsx "$CLI" curl -sS -m 10 --cacert "$d/ca.pem" \
		--resolve "$1:443:$2" -o "$d/body" \
		-w '%{time_total}s %{http_code}' "https://$1/peer" 2>&1) || true
	saw=$(sed -n 's/.*"addr": *"\([^"]*\)".*/\1/p' "$d/body" 2>/dev/null ||
	      true)
	case "$out" in
	*s\ 200) res="$out" ;;
	*) res="closed: $(echo "$out" | head -1 | sed 's/^curl: ([0-9]*) //' | cut -c1-40)"
	   saw="(never reached)" ;;
	esac
	rm -f "$d/body"
	printf '%-44s %-22s %s\n' "curl https://$1/peer @$2" "$saw" "$res"
done
# QUIC (HTTP/3 over UDP 443) would bypass the proxy: tproxyctl refuses it,
# so that browsers fall back to TCP at once.
q=$(nsx "$CLI" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("198.18.2.2", 443))
s.send(b"\xc0" + b"\0" * 1199)
try:
    s.recv(100)
    print("answered: QUIC passes")
except ConnectionRefusedError:
    print("refused at once (ICMP port unreachable)")
except socket.timeout:
    print("no answer (dropped)")')
printf '%-44s %s\n' "QUIC: UDP to 198.18.2.2:443" "$q"

echo
echo "HTTPS, decrypted (ssl_bump bump): a client that trusts the bumping CA"
echo "(curl --cacert bumpca/ca.pem) gets a certificate tproxyd made for the"
echo "site; the request inside is logged with its full https:// URL."
out=$(nsx "$CLI" curl -sS -m 10 --cacert "$d/bumpca/ca.pem" \
	--resolve secure.demo.test:443:198.18.2.2 -o "$d/body" \
	-w '%{time_total}s %{http_code} verify=%{ssl_verify_result}' \
	https://secure.demo.test/peer 2>&1) || true
saw=$(sed -n 's/.*"addr": *"\([^"]*\)".*/\1/p' "$d/body" 2>/dev/null || true)
rm -f "$d/body"
printf '%-44s %-22s %s\n' "curl https://secure.demo.test/peer" "$saw" "$out"
echo "== the chain the client saw (openssl s_client -showcerts):"
nsx "$CLI" openssl s_client -connect 198.18.2.2:443 \
	-servername secure.demo.test -CAfile "$d/bumpca/ca.pem" -showcerts \
	</dev/null 2>/dev/null |
	grep -E '^ *[0-9] s:|^ *i:|^Verify return code' | sed 's/^/    /'

sleep 1.2	# access.log is flushed every second
echo
echo "== access.log (hierarchy ORIGINAL_DST: sent where the client was going;"
echo "   TCP_MEM_HIT: answered from the cache;"
echo "   HTTPS by name: TCP_TUNNEL spliced, NONE_NONE/000 terminated)"
sed 's/^/    /' "$d/access.log"
echo "== tls.log (logformat tls: %ssl::>sni %ssl::bump_mode %ssl::>negotiated_version)"
sed 's/^/    /' "$d/tls.log"
echo "== cache.log"
sed 's/^/    /' "$d/cache.log"
echo "== tproxyctl doctor -f tproxyd.conf"
nsx "$RTR" "$B/tproxyctl" doctor -f "$d/tproxyd.conf" --state "$d/tproxyctl.state" | sed 's/^/    /' || true
echo "== tproxyctl teardown: back to the state before setup"
nsx "$RTR" "$B/tproxyctl" teardown --state "$d/tproxyctl.state" && echo "    done"
