# SPDX-License-Identifier: GPL-2.0-or-later
# Varnish 7.1 under test (bench/cache_bench.py fills in @...@): the origin
# as its one backend; everything else is Varnish's built-in VCL (which
# caches by Cache-Control, as the others). Storage is chosen on varnishd's
# command line: -s malloc,256M for the memory rows, -s file,PATH,1024M for
# the disk rows (cache_bench.py, start_cache; varnishd's default is
# "-s default,100m", i.e. malloc). Everything else is Varnish's default.
# Varnish cannot intercept with TPROXY by itself: its listener gets
# IP_TRANSPARENT from transparent_shim.so like nginx's, and it connects
# to the origin from the router's own address (no spoofing: it has no
# such option; for hits this does not matter).
vcl 4.1;

backend origin {
	.host = "@ORIGIN@";
	.port = "80";
}
