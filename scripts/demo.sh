#!/bin/sh
# make demo: run tproxyd on the shipped default configuration (etc/tproxyd.conf,
# with its log and pid paths moved to a temporary directory) and show it
# working as a forward proxy with curl, all on loopback.
set -eu
B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh scripts/deps.sh demo

d=$(mktemp -d /tmp/tproxyd-demo.XXXXXX)
origin_pid= ; proxy_pid=
cleanup() {
	[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
	[ -n "$origin_pid" ] && kill "$origin_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$d"
}
trap cleanup EXIT INT TERM

# Free loopback ports for the proxy and a small origin.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
oport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

sed -e "s|^http_port .*|http_port 127.0.0.1:$port|" \
    -e "s|^access_log .*|access_log $d/access.log|" \
    -e "s|^cache_log .*|cache_log $d/cache.log|" \
    -e "s|^pid_filename .*|pid_filename $d/tproxyd.pid|" \
    etc/tproxyd.conf > "$d/tproxyd.conf"
grep -q "^access_log" "$d/tproxyd.conf" || echo "access_log $d/access.log" >> "$d/tproxyd.conf"
grep -q "^cache_log" "$d/tproxyd.conf" || echo "cache_log $d/cache.log" >> "$d/tproxyd.conf"
grep -q "^pid_filename" "$d/tproxyd.conf" || echo "pid_filename $d/tproxyd.pid" >> "$d/tproxyd.conf"

mkdir -p "$d/www"
echo "Hello from the origin server behind tproxyd" > "$d/www/index.html"
head -c 1048576 /dev/urandom > "$d/www/big.bin"
(cd "$d/www" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 "$oport" >/dev/null 2>&1) &
origin_pid=$!

echo "== tproxyd -k parse -f $d/tproxyd.conf (the shipped etc/tproxyd.conf)"
"$B/tproxyd" -k parse -f "$d/tproxyd.conf" && echo "configuration OK"

"$B/tproxyd" -N -f "$d/tproxyd.conf" &
proxy_pid=$!
for i in $(seq 1 50); do
	curl -s -o /dev/null "http://127.0.0.1:$oport/" 2>/dev/null &&
	curl -s -o /dev/null -x "http://127.0.0.1:$port" "http://127.0.0.1:$oport/" 2>/dev/null && break
	sleep 0.1
done

echo
echo "== curl -x http://127.0.0.1:$port http://127.0.0.1:$oport/index.html"
curl -sS -i -x "http://127.0.0.1:$port" "http://127.0.0.1:$oport/index.html"
echo
echo "== 1 MiB through the proxy: checksums must match"
a=$(curl -sS -x "http://127.0.0.1:$port" "http://127.0.0.1:$oport/big.bin" | sha256sum | cut -c1-16)
b=$(sha256sum < "$d/www/big.bin" | cut -c1-16)
echo "through proxy: $a   on disk: $b"
[ "$a" = "$b" ]
echo
echo "== CONNECT to port 25 is denied by the default rules (Squid's SSL_ports)"
curl -sS -o /dev/null -w "HTTP %{http_code}\n" -p -x "http://127.0.0.1:$port" "http://127.0.0.1:25/" || true
echo
sleep 1.2	# access.log is flushed every second
echo "== access.log (Squid native format)"
cat "$d/access.log"
echo
echo "== cache.log"
cat "$d/cache.log"
"$B/tproxyd" -k shutdown -f "$d/tproxyd.conf"
wait "$proxy_pid" && proxy_pid= && echo && echo "tproxyd stopped cleanly (-k shutdown)"
