#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
cache_bench.py - `make bench-cache` (and the cache part of `make bench`):
tproxyd's HTTP cache against Squid, nginx proxy_cache and Varnish, in the
same client / router / server namespace network as bench/bench.py. See
bench/README.md, "Cache".

    python3 bench/cache_bench.py [--quick] [--build build]
        [--out bench/results] [--parts hits,zipf,restart]
        [--peers tproxyd,squid,nginx,nginx-directio,varnish]

Three parts:
  hits     hits per proxy CPU-second: 1 KiB and 64 KiB from memory, 1 MiB
           and 64 MiB from disk, per core (proxy on CPU 1, wrk and the
           origin on CPU 0). A row counts only when its hits are hits:
           probes before and after the load carry the peer's hit marker
           and the origin saw (almost) no request during the load.
  zipf     hit ratio and bytes saved on a Zipf workload (zipfclient.py),
           tproxyd against Squid with the same store sizes, from the
           proxies' own access.log.
  restart  a disk store filled with --restart-gib GiB, the proxy stopped
           and started again with the origin switched off: time from the
           start to the first hit from the old store.

Root only; namespaces and everything in them are removed on exit. Writes
bench/results/cache.md and cache.json (the HTTP rows' results.md is not
touched).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import zipfclient  # noqa: E402
from bench import ORIGIN, PORT, Bench, log  # noqa: E402

# name -> (path, wrk connections, store, object bytes, label)
LOADS = {
    "mem1k": ("/1k", 50, "memory", 1024, "1 KiB memory hits"),
    "mem64k": ("/64k", 50, "memory", 65536, "64 KiB memory hits"),
    "disk1m": ("/1m", 10, "disk", 1 << 20, "1 MiB disk hits"),
    "disk64m": ("/64m", 4, "disk", 64 << 20, "64 MiB disk hits"),
}
PEERS = ["tproxyd", "squid", "nginx", "nginx-directio", "nginx-default",
         "varnish", "floor"]
# "floor" is not a peer: the least a server can do to answer a hit (one
# thread, epoll, the file sent with sendfile, nothing parsed or logged;
# peers/floor_sendfile.c). Its row shows what the kernel alone costs per
# hit on this machine: no cache can use less CPU than that. It is left
# out of "the best peer".
REFERENCES = ("floor",)
# Which loads each entry runs (None: all). nginx-directio differs from
# nginx only for files of 8 MiB and more (directio 8m).
PEER_LOADS = {"nginx-directio": ["disk64m"]}
# nginx's entries: its documented settings for serving (cached) files, the
# same with directio for the largest files, and its defaults.
NGINX_IO = "sendfile on;\n\ttcp_nopush on;\n\taio threads;\n\t" \
    "open_file_cache max=10000 inactive=60s;"
NGINX_CONF = {
    "nginx": {"TEMP_PATH": "use_temp_path=off", "IO_LINES": NGINX_IO},
    "nginx-directio": {"TEMP_PATH": "use_temp_path=off",
                       "IO_LINES": NGINX_IO + "\n\tdirectio 8m;"},
    "nginx-default": {
        "TEMP_PATH": "",
        "IO_LINES": "# (no sendfile, tcp_nopush, aio, directio, "
                    "open_file_cache lines: the defaults, off)"},
}
# Store sizes of the hit rows, the same for every peer (MB = MiB here, as
# Squid counts): the memory store holds the memory rows' objects, the disk
# store the disk rows' objects; objects above MAX_OBJ_MEM_KB go to disk.
HIT_SIZES = {"mem_mb": 256, "max_obj_mem_kb": 512, "max_obj_mb": 128,
             "dir_mb": 1024}
# Zipf part: object count, requests, exponent, seed, store sizes (memory
# store; the disk store is ZIPF_DIR_FRACTION of the working set).
ZIPF = {"objects": 100000, "requests": 300000, "s": 0.9, "seed": 15,
        "conns": 8, "mem_mb": 64, "max_obj_mem_kb": 512, "max_obj_mb": 16,
        "dir_fraction": 0.25}
# Restart part: fill object size.
FILL_SIZE = 256 << 10
PROBE_HDR = "X-Bench-Probe: 1"
# Requests for an object before a peer that has not answered one from its
# cache is declared to give no hits.
WARM_TRIES = 8


class CacheBench(Bench):
    ORIGIN_CONF = "origin-cache.conf"
    ORIGIN_TLS = False

    def __init__(self, args):
        super().__init__(args)
        self.rows = []          # hit rows, one per measured run
        self.refused = []       # (peer, load, why)
        self.zipf_rows = []
        self.restart_rows = []
        self.notes = []
        self.parse_warnings = []

    # -- origin and files ---------------------------------------------------

    def prepare(self):
        super().prepare()        # www/1k 64k 1m, shim, certificates
        www = os.path.join(self.d, "www")
        with open(os.path.join(www, "64m"), "wb") as f:
            for _ in range(64):
                f.write(os.urandom(1 << 20))
        zs = os.path.join(www, "zs")
        os.mkdir(zs)
        for k in range(zipfclient.CLASSES):
            n = zipfclient.size_class(k)
            with open(os.path.join(zs, str(n)), "wb") as f:
                f.write(os.urandom(n))
        with open(os.path.join(www, "fill"), "wb") as f:
            f.write(os.urandom(FILL_SIZE))
        for root, dirs, files in os.walk(www):
            for x in dirs:
                os.chmod(os.path.join(root, x), 0o755)
            for x in files:
                os.chmod(os.path.join(root, x), 0o644)

    def origin_requests(self):
        """Requests the origin has answered so far (stub_status, which
        counts itself: the delta between two calls is one too many, see
        origin_delta)."""
        p = self.sh(self.t.srv, ["curl", "-sS", "-m", "5",
                                 "http://127.0.0.1:81/status"], timeout=10)
        m = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s*$", p.stdout, re.M)
        if not m:
            raise RuntimeError("origin stub_status: %r" % p.stdout)
        return int(m.group(3))

    @staticmethod
    def origin_delta(o0, o1):
        """Requests that reached the origin between two
        origin_requests() calls (the second status request excluded)."""
        return o1 - o0 - 1

    # -- peers --------------------------------------------------------------

    def store_dir(self, name):
        return os.path.join(self.d, "store-" + name)

    def start_cache(self, name, store, sizes, log_all=False):
        """Start peer `name` pinned to CPU 1 in the router namespace, with
        a memory store ("memory") or memory and disk stores ("disk")."""
        kind = "nginx" if name.startswith("nginx") else name
        env = dict(os.environ)
        self.proxy_port = PORT
        sdir = self.store_dir(name)
        disk = store == "disk"
        if disk and kind in ("tproxyd", "squid"):
            # both drop to the user proxy
            os.makedirs(sdir, exist_ok=True)
            shutil.chown(sdir, "proxy", "proxy")
        f = dict(PORT=PORT, DIR=self.d, CACHE_MEM_MB=sizes["mem_mb"],
                 MAX_OBJ_MEM_KB=sizes["max_obj_mem_kb"],
                 MAX_OBJ_MB=sizes["max_obj_mb"],
                 LOG_ACL="" if log_all else "bench_probe")
        if kind == "tproxyd":
            f["CACHE_DIR_LINE"] = ("cache_dir ufs %s %d 16 256" % (
                sdir, sizes["dir_mb"]) if disk else
                "# (no cache_dir: memory store only)")
            conf = self.template("tproxyd-cache.conf", "tproxyd-cache.conf",
                                 **f)
            binary = self.binaries["tproxyd"]
            q = self.sh(self.t.rtr, [binary, "-k", "parse", "-f", conf])
            # a build without the cache warns that it ignores the cache
            # lines: said with its "no hits"
            self.parse_warnings = [
                re.sub(r"^\S*tproxyd-cache\.conf:", "line ", x)
                for x in (q.stdout + q.stderr).splitlines()
                if "WARNING" in x and re.search(r"cache|object_size", x)]
            argv = [binary, "-N", "-f", conf]
        elif kind == "squid":
            f["CACHE_DIR_LINE"] = ("cache_dir aufs %s %d 16 256" % (
                sdir, sizes["dir_mb"]) if disk else
                "# (no cache_dir: Squid's default, memory only)")
            conf = self.template("squid-cache.conf", "squid-cache.conf", **f)
            self.sh(self.t.rtr, ["squid", "-k", "parse", "-f", conf])
            if disk and not os.path.exists(os.path.join(sdir, "00")):
                # squid.conf.documented: cache directories are created
                # with "squid -z" before the first start
                self.sh(self.t.rtr, ["squid", "-z", "-N", "-f", conf],
                        timeout=600)
            argv = ["squid", "-N", "-f", conf]
        elif kind == "nginx":
            dio = name == "nginx-directio"
            conf = self.template(
                "nginx-cache.conf", "nginx-cache.conf", PORT=PORT,
                DIR=self.d, WORKERS=1, ZONE_MB=64, CACHE_PATH=sdir,
                MAX_SIZE_MB=sizes["dir_mb"] if disk else sizes["mem_mb"],
                DIRECTIO_NOTE="directio 8m (default off) in the entry "
                "nginx-directio: files of 8 MiB and more are read with "
                "O_DIRECT by the aio threads, bypassing the page cache, "
                "smaller ones with sendfile (core module, \"aio\", "
                "\"directio\")" if dio else
                "directio: off (the default); see nginx-directio",
                **NGINX_CONF[name])
            self.sh(self.t.rtr, ["nginx", "-t", "-q", "-e", "stderr", "-c",
                                 conf])
            env["LD_PRELOAD"] = self.shim
            env["TRANSPARENT_PORT"] = str(PORT)
            argv = ["nginx", "-e",
                    os.path.join(self.d, "nginx-cache.error.log"),
                    "-c", conf, "-g", "daemon off;"]
        elif kind == "floor":
            argv = [self.floor_binary(), str(PORT),
                    os.path.join(self.d, "www")]
        elif kind == "varnish":
            vcl = self.template("varnish-cache.vcl", "varnish-cache.vcl",
                                ORIGIN=ORIGIN)
            vdir = os.path.join(self.d, "varnish")
            os.makedirs(vdir, exist_ok=True)
            if disk:
                os.makedirs(sdir, exist_ok=True)
                stor = "file,%s/varnish.bin,%dM" % (sdir, sizes["dir_mb"])
            else:
                stor = "malloc,%dM" % sizes["mem_mb"]
            env["LD_PRELOAD"] = self.shim
            env["TRANSPARENT_PORT"] = str(PORT)
            argv = ["varnishd", "-F", "-n", vdir, "-a", ":%d" % PORT,
                    "-T", "127.0.0.1:0", "-f", vcl, "-s", stor]
            self.varnish_storage = stor
        else:
            raise ValueError(name)
        full = ["taskset", "-c", "1"] + self.t._argv(self.t.rtr, argv)
        with open(os.path.join(self.d, name + ".out"), "ab") as out:
            p = subprocess.Popen(full, start_new_session=True, env=env,
                                 stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT)
        self.proxy_procs.append(p)
        return p

    def floor_binary(self):
        """The kernel-floor reference server, built once per bench."""
        exe = os.path.join(self.d, "floor_sendfile")
        if not os.path.exists(exe):
            subprocess.run(["cc", "-O2", "-Wall", "-o", exe, os.path.join(
                self.peers, "floor_sendfile.c")], check=True, timeout=60)
        return exe

    def wait_proxy(self, p, timeout=60):
        self.t.wait_listen(self.t.rtr, PORT, timeout=timeout, proc=p)
        time.sleep(0.3)
        # every process of the router namespace onto CPU 1 (children)
        self.set_affinity(self.t.rtr, "1")

    def access_log(self, name):
        kind = "nginx" if name.startswith("nginx") else name
        return {"tproxyd": "tproxyd-access.log",
                "squid": "squid-access.log",
                "nginx": "nginx-access.log"}.get(kind)

    # -- hit detection ------------------------------------------------------

    def probe(self, name, path, timeout=10):
        """One request with the probe header (logged by the peers); returns
        {"status", "hit", "why", "headers"}: hit by the peer's marker."""
        p = self.t.run(self.t.cli, [
            "curl", "-sS", "-m", str(timeout), "-o", "/dev/null", "-D", "-",
            "-H", PROBE_HDR, "http://%s%s" % (ORIGIN, path)],
            timeout=timeout + 5)
        h = {}
        status = 0
        for ln in p.stdout.splitlines():
            m = re.match(r"HTTP/\S+ (\d+)", ln)
            if m:
                status = int(m.group(1))
            elif ":" in ln:
                k, v = ln.split(":", 1)
                h[k.strip().lower()] = v.strip()
        kind = "nginx" if name.startswith("nginx") else name
        if kind == "varnish":
            ids = h.get("x-varnish", "").split()
            hit, why = len(ids) == 2, "X-Varnish: %s" % h.get("x-varnish")
        elif kind == "nginx":
            v = h.get("x-cache-status", "")
            hit, why = v == "HIT", "X-Cache-Status: %s" % v
        elif kind == "squid":
            v = h.get("x-cache", "")
            hit, why = v.startswith("HIT"), "X-Cache: %s" % v
        else:
            # RFC 9111 5.1: a cache sends Age on a stored response (the
            # origin never sends it); X-Cache too if tproxyd adds it
            v = h.get("x-cache", "")
            hit = "age" in h or v.startswith("HIT")
            why = "Age: %s, X-Cache: %s" % (h.get("age"), v or "-")
        return {"status": status, "hit": hit and status == 200,
                "why": why, "path": path}

    def warm(self, name, path, tries=None):
        """Request path until the peer answers it from its cache (the
        first request stores it); the probes, or None if no hit came."""
        seen = []
        for i in range(tries or WARM_TRIES):
            r = self.probe(name, path, timeout=30)
            seen.append(r)
            if r["hit"]:
                return seen
            time.sleep(0.2 * i)
        return None if not any(x["hit"] for x in seen) else seen

    def log_codes(self, name):
        """Result codes of the probe lines in the peer's access log (after
        the peer stopped: flushed): Squid's and tproxyd's TCP_*, nginx's
        $upstream_cache_status."""
        f = self.access_log(name)
        if not f:
            return []
        try:
            with open(os.path.join(self.d, f)) as fh:
                lines = fh.read().splitlines()
        except OSError:
            return []
        codes = []
        for ln in lines:
            w = ln.split()
            if name.startswith("nginx"):
                codes.append(w[1] if len(w) > 1 else "?")
            elif len(w) > 3:
                codes.append(w[3].split("/")[0])
        return codes

    # -- part 1: hits per CPU-second ----------------------------------------

    def hits_run(self, name, load, run, dur):
        path, conns, store, size, label = LOADS[load]
        for f in filter(None, [self.access_log(name)]):
            try:
                os.unlink(os.path.join(self.d, f))
            except FileNotFoundError:
                pass
        # every run starts with an empty store
        shutil.rmtree(self.store_dir(name), ignore_errors=True)
        p = self.start_cache(name, store, HIT_SIZES)
        try:
            self.wait_proxy(p)
            pre = self.warm(name, path)
            if pre is None:
                last = self.probe(name, path)
                self.stop_proxy()
                codes = self.log_codes(name)
                why = ("no hits: %d requests for %s, none answered from "
                       "the cache (last response: %s; access.log codes: "
                       "%s)" % (WARM_TRIES + 1, path, last["why"],
                                ", ".join(sorted(set(codes))) or "none"))
                if name == "tproxyd" and self.parse_warnings:
                    why += "; tproxyd -k parse: %d warning(s), the first: " \
                        "%s" % (len(self.parse_warnings),
                                self.parse_warnings[0])
                self.refused.append({"peer": name, "load": load,
                                     "run": run, "why": why})
                log("%-14s %-8s #%d REFUSED: %s" % (name, load, run, why))
                return None
            if self.a.warmup:
                self.run_load_cache(load, 1)
            pids = self.ns_pids(self.t.rtr)
            c0 = self.cpu_seconds(pids)
            m0 = machine_busy()
            o0 = self.origin_requests()
            r = self.run_load_cache(load, dur)
            m1 = machine_busy()
            pids = self.ns_pids(self.t.rtr)
            c1 = self.cpu_seconds(pids)
            o1 = self.origin_requests()
            post = self.probe(name, path)
            rss = self.hwm_kib(pids)
        finally:
            self.stop_proxy()
        codes = self.log_codes(name)
        origin = self.origin_delta(o0, o1)
        req = r["requests"]
        errors = sum(r[k] for k in ("err_connect", "err_read", "err_write",
                                    "err_status", "err_timeout"))
        row = dict(peer=name, load=load, run=run, store=store,
                   requests=req, origin_requests=origin,
                   hits=max(req - origin, 0), cpu_s=c1 - c0,
                   machine_cpu_s=[b - a for a, b in zip(m0, m1)],
                   duration_s=r["duration_us"] / 1e6, bytes=r["bytes"],
                   p50_us=r["p50_us"], p99_us=r["p99_us"], errors=errors,
                   rss_kib=rss, probe_pre=pre[-1]["why"],
                   probe_post=post["why"], log_codes=codes,
                   nprocs=len(pids))
        if name == "varnish":
            row["varnish_storage"] = self.varnish_storage
        bad, extra = judge(name, store, post, origin, req, errors, codes)
        row.update(extra)
        if bad:
            why = "; ".join(bad)
            self.refused.append({"peer": name, "load": load, "run": run,
                                 "why": why})
            log("%-14s %-8s #%d REFUSED: %s" % (name, load, run, why))
            return None
        row["hits_per_cpu_s"] = row["hits"] / row["cpu_s"] if \
            row["cpu_s"] else 0
        row["hits_per_s"] = row["hits"] / row["duration_s"]
        row["mbps"] = row["bytes"] / row["duration_s"] / 1e6
        log("%-14s %-8s #%d machine busy s per CPU %s" % (
            name, load, run, " ".join("%.2f" % x
                                      for x in row["machine_cpu_s"])))
        log("%-14s %-8s #%d %8.0f hits/s %10.0f hits/CPU-s cpu %.2f s "
            "origin %d/%d p99 %.2f ms %.0f MB/s probe %s log %s" % (
                name, load, run, row["hits_per_s"], row["hits_per_cpu_s"],
                row["cpu_s"], origin, req, row["p99_us"] / 1e3,
                row["mbps"], post["why"],
                ",".join(sorted(set(codes))) or "-"))
        self.rows.append(row)
        return row

    def run_load_cache(self, load, dur):
        path, conns, _, _, _ = LOADS[load]
        argv = ["taskset", "-c", "0", "wrk", "-t", "1", "-c", str(conns),
                "-d", "%ds" % dur, "--timeout", "10s",
                "-s", os.path.join(HERE, "report.lua"),
                "http://%s%s" % (ORIGIN, path)]
        p = self.t.run(self.t.cli, argv, timeout=dur + 120)
        m = re.search(r"^BENCHJSON (.*)$", p.stdout, re.M)
        if not m:
            raise RuntimeError("load %s: no result (rc %d): %s %s" % (
                load, p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
        return json.loads(m.group(1))

    # -- part 2: Zipf hit ratio ---------------------------------------------

    def zipf_run(self, name):
        z = dict(ZIPF)
        if self.a.zipf_requests:
            z["requests"] = self.a.zipf_requests
        ws = sum(zipfclient.sizes(z["objects"], z["seed"]))
        sizes = {"mem_mb": z["mem_mb"], "max_obj_mem_kb": z["max_obj_mem_kb"],
                 "max_obj_mb": z["max_obj_mb"],
                 "dir_mb": max(int(ws * z["dir_fraction"] / (1 << 20)), 16)}
        logf = os.path.join(self.d, self.access_log(name))
        try:
            os.unlink(logf)
        except FileNotFoundError:
            pass
        shutil.rmtree(self.store_dir(name), ignore_errors=True)
        olog = os.path.join(self.d, "origin-access.log")
        # the origin's log goes on across runs: this run's lines start here
        off = os.path.getsize(olog) if os.path.exists(olog) else 0
        p = self.start_cache(name, "disk", sizes, log_all=True)
        try:
            self.wait_proxy(p)
            o0 = self.origin_requests()
            q = self.t.run(self.t.cli, [
                "taskset", "-c", "0", "/usr/bin/python3",
                os.path.join(HERE, "zipfclient.py"), "--host", ORIGIN,
                "--objects", str(z["objects"]), "--requests",
                str(z["requests"]), "--s", str(z["s"]), "--seed",
                str(z["seed"]), "--conns", str(z["conns"])],
                timeout=3600)
            m = re.search(r"^ZIPFJSON (.*)$", q.stdout, re.M)
            if not m:
                raise RuntimeError("zipfclient: %s %s" % (q.stdout[-500:],
                                                          q.stderr[-500:]))
            c = json.loads(m.group(1))
            o1 = self.origin_requests()
        finally:
            self.stop_proxy()
        # the origin's log is flushed every second
        time.sleep(1.2)
        with open(logf) as fh:
            st = zipf_log_stats(fh)
        codes, hits, total = st["codes"], st["hits"], st["requests"]
        hit_bytes, total_bytes = st["hit_bytes"], st["bytes"]
        origin_bytes = 0
        with open(olog) as fh:
            fh.seek(off)
            for ln in fh:
                w = ln.split()
                if len(w) == 3 and w[0].startswith("/z/"):
                    origin_bytes += int(w[2])
        row = dict(peer=name, requests=c["requests"],
                   client_errors=c["errors"], non200=c["non200"],
                   distinct=c["distinct"], objects=z["objects"],
                   s=z["s"], seed=z["seed"], working_set_bytes=ws,
                   store=sizes, log_requests=total, log_hits=hits,
                   log_bytes=total_bytes, log_hit_bytes=hit_bytes,
                   codes=codes, hit_ratio=hits / total if total else 0,
                   byte_hit_ratio=(hit_bytes / total_bytes
                                   if total_bytes else 0),
                   origin_requests=self.origin_delta(o0, o1),
                   origin_bytes=origin_bytes,
                   client_bytes=c["bytes"],
                   bytes_saved=(1 - origin_bytes / c["bytes"]
                                if c["bytes"] else 0),
                   client_hit_marked=c["hit_marked"],
                   duration_s=c["duration_s"],
                   hit_ratio_2nd_half=st["hit_ratio_2nd_half"])
        bad = zipf_check(st, row["origin_requests"], c["requests"],
                         c["errors"] + c["non200"])
        if bad:
            row["refused"] = "; ".join(bad)
            log("zipf %s REFUSED: %s" % (name, row["refused"]))
        log("zipf %-8s %d req (%d distinct of %d), log: %d hits (%.1f %%),"
            " bytes from cache %.1f %%, origin %d req, bytes saved %.1f %%,"
            " codes %s, %.0f s" % (
                name, c["requests"], c["distinct"], z["objects"], hits,
                100 * row["hit_ratio"], 100 * row["byte_hit_ratio"],
                row["origin_requests"], 100 * row["bytes_saved"], codes,
                c["duration_s"]))
        self.zipf_rows.append(row)
        shutil.rmtree(self.store_dir(name), ignore_errors=True)

    # -- part 3: restart with a full disk store -----------------------------

    def restart_run(self, name):
        gib = self.a.restart_gib
        n = int(gib * (1 << 30)) // FILL_SIZE
        need = int(gib * (1 << 30)) + (5 << 30)
        st = os.statvfs(self.d)
        if st.f_bavail * st.f_frsize < need:
            why = "not enough disk: %d GiB free, %.1f needed" % (
                st.f_bavail * st.f_frsize >> 30, need / (1 << 30))
            self.restart_rows.append({"peer": name, "refused": why})
            log("restart %s: %s" % (name, why))
            return
        sdir = self.store_dir(name)
        shutil.rmtree(sdir, ignore_errors=True)
        dir_mb = int(gib * 1024 * 1.1) + 64
        sizes = {"mem_mb": 256, "max_obj_mem_kb": 512, "max_obj_mb": 16,
                 "dir_mb": dir_mb}
        probes = ["/f/0", "/f/%d" % (n // 2), "/f/%d" % (n - 1)]
        row = {"peer": name, "gib": gib, "objects": n,
               "object_bytes": FILL_SIZE}
        try:
            p = self.start_cache(name, "disk", sizes)
            self.wait_proxy(p)
            t0 = time.monotonic()
            q = self.t.run(self.t.cli, [
                "/usr/bin/python3", os.path.join(HERE, "zipfclient.py"),
                "--host", ORIGIN, "--fill", str(n), "--conns", "8"],
                timeout=7200)
            m = re.search(r"^ZIPFJSON (.*)$", q.stdout, re.M)
            if not m:
                raise RuntimeError("fill: %s %s" % (q.stdout[-500:],
                                                    q.stderr[-500:]))
            c = json.loads(m.group(1))
            row["fill_s"] = time.monotonic() - t0
            row["fill_errors"] = c["errors"] + c["non200"]
            # the last objects may still be being written
            time.sleep(2)
            before = [self.probe(name, x)["hit"] for x in probes]
            row["hits_before"] = before
            self.stop_proxy()
            row["store_bytes"] = int(subprocess.run(
                ["du", "-sb", sdir], capture_output=True, text=True,
                timeout=600).stdout.split()[0])
            if not all(before):
                row["refused"] = ("the filled store did not answer every "
                                  "probe as a hit before the restart: %s"
                                  % before)
                log("restart %s: %s" % (name, row["refused"]))
                return
            # the origin goes: a probe can then only be answered from the
            # old store (no miss can fetch and store the object again)
            self.origin.terminate()
            self.origin.wait(10)
            # 1: a clean restart (the proxy was stopped with SIGTERM);
            # 2: a crash (SIGKILL of every process of the proxy), restart
            for how in ("clean", "crash"):
                t = self.time_to_hits(name, sizes, probes)
                row[how] = t
                log("restart %-8s %s, %.1f GiB (%d objects, store %.2f GiB "
                    "on disk, filled in %.0f s): listening after %s s, "
                    "first hit after %s s, all %d probes after %s s" % (
                        name, how, gib, n, row["store_bytes"] / (1 << 30),
                        row["fill_s"], _f(t["listen_s"]),
                        _f(t["first_hit_s"]), len(probes),
                        _f(t["all_probes_hit_s"])))
                if how == "clean":
                    for pid in self.ns_pids(self.t.rtr):
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    self.stop_proxy()
        finally:
            self.stop_proxy()
            self.restart_rows.append(row)
            shutil.rmtree(sdir, ignore_errors=True)

    def estimate_s(self, parts, peers, dur):
        """Wall time measured on the 2-core development VM: a hit run
        costs its duration, the warm-up and ~3 s (network, start, probes,
        stop); the Zipf client ~2,900 requests/s; a restart fills at
        ~150 MB/s and takes ~10 s more."""
        t = 0.0
        if "hits" in parts:
            runs = 1 if self.a.quick else self.a.runs
            for load in [x for x in LOADS if x in self.a.loads]:
                n = len([p for p in peers if not PEER_LOADS.get(p) or
                         load in PEER_LOADS[p]])
                t += n * runs * (dur + (1 if self.a.warmup else 0) + 3)
        if "zipf" in parts:
            t += len([p for p in ("tproxyd", "squid") if p in peers]) * (
                (self.a.zipf_requests or ZIPF["requests"]) / 2900 + 5)
        if "restart" in parts:
            t += len([p for p in ("tproxyd", "squid", "nginx")
                      if p in peers]) * (
                self.a.restart_gib * 1024 / 150 + 10)
        return t

    def time_to_hits(self, name, sizes, probes):
        """Start the peer on its filled store and probe until every probe
        is a hit (the origin is down: a hit is from the old store);
        seconds from the start."""
        t0 = time.monotonic()
        p = self.start_cache(name, "disk", sizes)
        first = listen = None
        got = {}
        while time.monotonic() - t0 < self.a.restart_timeout:
            if p.poll() is not None:
                break
            if listen is None:
                if self.t.listening(self.t.rtr, PORT):
                    listen = time.monotonic() - t0
                else:
                    time.sleep(0.01)
                    continue
            for x in probes:
                if x in got:
                    continue
                if self.probe(name, x, timeout=5)["hit"]:
                    got[x] = time.monotonic() - t0
                    if first is None:
                        first = got[x]
            if len(got) == len(probes):
                break
            time.sleep(0.02)
        return {"listen_s": listen, "first_hit_s": first,
                "all_probes_hit_s": (max(got.values())
                                     if len(got) == len(probes) else None),
                "probes_hit": sorted(got), "exited": p.poll()}

    # -- the whole run --------------------------------------------------------

    def main(self):
        dur = 2 if self.a.quick else self.a.duration
        self.prepare()
        peers = [x for x in PEERS if x in self.a.peers]
        parts = self.a.parts
        t0 = time.monotonic()
        log("parts %s, peers %s; expected to take ~%.0f min (2-core VM)"
            % (",".join(parts), ",".join(peers),
               self.estimate_s(parts, peers, dur) / 60))

        def fresh():
            self.setup()
            self.set_affinity(self.t.srv, "0")
            self.rules(True)
        if "hits" in parts:
            runs = 1 if self.a.quick else self.a.runs
            loads = [x for x in LOADS if x in self.a.loads]
            for load in loads:
                for run in range(1, runs + 1):
                    for name in peers:
                        if PEER_LOADS.get(name) and \
                                load not in PEER_LOADS[name]:
                            continue
                        if any(x["peer"] == name and x["load"] == load and
                               x["why"].startswith("no hits")
                               for x in self.refused):
                            continue   # no hits once: no hits again
                        try:
                            fresh()
                            self.hits_run(name, load, run, dur)
                        except (RuntimeError, bench.netns.TopologyError,
                                OSError, subprocess.SubprocessError) as e:
                            log("%s %s #%d FAILED: %s" % (name, load, run,
                                                          e))
                            self.refused.append({
                                "peer": name, "load": load, "run": run,
                                "why": "failed: %s" % str(e)[:300]})
                            self.stop_proxy()
                        finally:
                            self.teardown()
        for part, fn, who in (("zipf", self.zipf_run, ("tproxyd", "squid")),
                              ("restart", self.restart_run,
                               ("tproxyd", "squid", "nginx"))):
            if part not in parts:
                continue
            for name in [x for x in who if x in peers]:
                try:
                    fresh()
                    fn(name)
                except (RuntimeError, bench.netns.TopologyError, OSError,
                        subprocess.SubprocessError) as e:
                    log("%s %s FAILED: %s" % (part, name, e))
                    (self.zipf_rows if part == "zipf" else
                     self.restart_rows).append(
                        {"peer": name, "refused": "failed: %s"
                         % str(e)[:300]})
                    self.stop_proxy()
                finally:
                    self.teardown()
                    shutil.rmtree(self.store_dir(name), ignore_errors=True)
        log("measured in %.0f s" % (time.monotonic() - t0))
        self.write(dur)

    # -- output ---------------------------------------------------------------

    def write(self, dur):
        os.makedirs(self.a.out, exist_ok=True)
        facts = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"),
            "kernel": platform.release(), "ncpu": os.cpu_count(),
            "tcp_cc": self.a.tcp_cc or bench.host_tcp_cc(),
            "quick": self.a.quick, "duration": dur,
            "runs": 1 if self.a.quick else self.a.runs,
            "hit_sizes": HIT_SIZES, "zipf": ZIPF,
            "restart_gib": self.a.restart_gib,
            "versions": {
                "tproxyd": _ver([self.binaries["tproxyd"], "-v"]),
                "squid": _ver(["squid", "-v"], "Version"),
                "nginx": _ver(["nginx", "-v"]),
                "varnish": _ver(["varnishd", "-V"], "varnish"),
                "wrk": _ver(["wrk", "-v"], "wrk")}}
        data = {"facts": facts, "hits": self.rows, "refused": self.refused,
                "zipf": self.zipf_rows, "restart": self.restart_rows}
        with open(os.path.join(self.a.out, "cache.json"), "w") as f:
            json.dump(data, f, indent=1)
        with open(os.path.join(self.a.out, "cache.md"), "w") as f:
            f.write(render(data))
        log("wrote %s" % os.path.join(self.a.out, "cache.md"))


def machine_busy():
    """Busy seconds (everything but idle and iowait) of each CPU, from
    /proc/stat: what the whole machine spent, whoever it was charged to."""
    out = []
    with open("/proc/stat") as f:
        for ln in f:
            if ln.startswith("cpu") and ln[3].isdigit():
                v = [int(x) for x in ln.split()[1:]]
                out.append((sum(v[:8]) - v[3] - v[4]) / bench.CLK_TCK)
    return out


def zipf_log_stats(lines):
    """Counts of the Zipf requests (URLs with /z/) in an access.log in
    Squid's native format (code/status in field 4, size in field 5, URL in
    field 7): requests, hits (codes with HIT), their bytes, the codes, and
    the hit ratio of the second half of the requests (the store warmed
    up)."""
    seq = []
    codes = {}
    for ln in lines:
        w = ln.split()
        if len(w) < 7 or "/z/" not in w[6]:
            continue
        code = w[3].split("/")[0]
        seq.append(("HIT" in code, int(w[4])))
        codes[code] = codes.get(code, 0) + 1
    half = seq[len(seq) // 2:]
    return {"requests": len(seq), "hits": sum(h for h, _ in seq),
            "bytes": sum(b for _, b in seq),
            "hit_bytes": sum(b for h, b in seq if h), "codes": codes,
            "hit_ratio_2nd_half": (sum(h for h, _ in half) / len(half)
                                   if half else 0)}


def zipf_check(st, origin_requests, client_requests, client_errors):
    """Why a Zipf row cannot be reported (empty: it can): the log must
    have a line per request, and every request the log calls a hit must
    have stayed away from the origin: origin requests <= misses (+0.5 %
    for revalidations and probes)."""
    bad = []
    if client_errors:
        bad.append("%d client errors or non-200 responses" % client_errors)
    if st["requests"] != client_requests:
        bad.append("access.log has %d lines for %d requests"
                   % (st["requests"], client_requests))
    misses = st["requests"] - st["hits"]
    if origin_requests > misses + max(10, st["requests"] // 200):
        bad.append("the origin answered %d requests, the log has %d "
                   "misses: some hits were not hits" % (origin_requests,
                                                        misses))
    return bad


def judge(peer, store, post, origin, requests, errors, codes):
    """Whether a hit run's hits are hits: (reasons to refuse it, fields
    for its row). The probe after the load must carry the peer's hit
    marker (post: probe()'s answer), the origin must have answered at most
    0.1 % of the requests (at most 2: each origin request is at most one
    miss), no errors; Squid's and tproxyd's probe lines in access.log
    (codes) must have a *HIT code; the kind (TCP_MEM_HIT on the memory
    rows, TCP_HIT on the disk rows) is noted, not required."""
    bad, extra = [], {}
    if not requests:
        bad.append("no requests")
    if not post["hit"]:
        bad.append("the probe after the load was not a hit (%s)"
                   % post["why"])
    if origin > max(2, requests // 1000):
        bad.append("the origin answered %d of %d requests" % (origin,
                                                              requests))
    if errors:
        bad.append("%d errors" % errors)
    if peer in ("tproxyd", "squid"):
        hit_codes = [c for c in codes if "HIT" in c]
        if not hit_codes:
            bad.append("access.log has no *HIT code (%s)"
                       % (", ".join(sorted(set(codes))) or "no lines"))
        else:
            want = "TCP_MEM_HIT" if store == "memory" else "TCP_HIT"
            extra["hit_kind"] = hit_codes[-1]
            if hit_codes[-1] != want:
                extra["note"] = "%s expected, the last probe was %s" % (
                    want, hit_codes[-1])
    return bad, extra


def _f(x):
    return "%.2f" % x if x is not None else "never"


def _ver(argv, pat=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "?"
    s = [x for x in (p.stdout + p.stderr).splitlines()
         if not pat or re.search(pat, x)]
    return s[0].strip() if s else "?"


def _med(rows, key):
    v = [r[key] for r in rows]
    return statistics.median(v), min(v), max(v)


def render(data):
    """cache.md: the three parts' tables."""
    fa = data["facts"]
    out = ["# Cache bench (issue 15)", "",
           "%s, kernel %s (TCP congestion control %s), %d CPUs; %s. %s"
           % (fa["date"], fa["kernel"], fa.get("tcp_cc", "?"), fa["ncpu"],
               ", ".join("%s: %s" % kv for kv in fa["versions"].items()),
               "QUICK (1 run of %d s per cell: a smoke run, not a "
               "measurement)" % fa["duration"] if fa["quick"] else
               "Median of %d runs of %d s, min-max below." % (
                   fa["runs"], fa["duration"])), ""]
    peers = [p for p in PEERS if any(r["peer"] == p for r in data["hits"])
             or any(r["peer"] == p for r in data["refused"])]
    if peers:
        out += ["## Hits per proxy CPU-second (per core)", "",
                "Hits = requests the origin did not see during the load; "
                "CPU = utime+stime of every process of the proxy. A cell "
                "is empty or says why when its hits were not hits." +
                (" The floor column is not a peer: a small server that "
                 "only sends the file with sendfile(2) (bench/peers/"
                 "floor_sendfile.c), what the kernel alone costs per hit; "
                 "it is left out of the best peer." if "floor" in peers
                 else ""), "",
                "| load | " + " | ".join(peers) +
                " | tproxyd / best peer (target 1.5x) |",
                "|---|" + "--:|" * len(peers) + "--:|"]
        for load, (_, _, _, _, label) in LOADS.items():
            if not any(r["load"] == load for r in data["hits"] +
                       data["refused"]):
                continue
            cells, best, mine = [], 0, None
            for p in peers:
                rows = [r for r in data["hits"] if r["peer"] == p and
                        r["load"] == load]
                ref = [r for r in data["refused"] if r["peer"] == p and
                       r["load"] == load]
                if rows:
                    m, lo, hi = _med(rows, "hits_per_cpu_s")
                    cells.append("{:,.0f}<sub>{:,.0f}-{:,.0f}</sub>".format(
                        m, lo, hi) if len(rows) > 1 else
                        "{:,.0f}".format(m))
                    if p == "tproxyd":
                        mine = m
                    elif p not in REFERENCES:
                        best = max(best, m)
                elif ref:
                    cells.append("**no hits**" if ref[-1]["why"].startswith(
                        "no hits") else "refused (below)")
                else:
                    cells.append("-")
            ratio = ("%.2fx" % (mine / best)) if mine and best else "-"
            out.append("| %s | %s | %s |" % (label, " | ".join(cells),
                                             ratio))
        out += ["", "Details (medians): hits/s, CPU s per 100k hits (the "
                "proxy's; the whole machine's: both CPUs, busy time from "
                "/proc/stat, client and kernel included), p99 ms,"
                " MB/s, peak RSS MiB, origin requests/requests, hit code.",
                "", "| load | peer | hits/s | CPU s/100k | machine CPU "
                "s/100k | p99 ms | MB/s | "
                "RSS MiB | origin | hit |", "|---|---|--:|--:|--:|--:|--:|"
                "--:|--:|---|"]
        for load in LOADS:
            for p in peers:
                rows = [r for r in data["hits"] if r["peer"] == p and
                        r["load"] == load]
                if not rows:
                    continue
                hs = statistics.median(r["hits_per_s"] for r in rows)
                cpu = statistics.median(r["cpu_s"] * 1e5 / r["hits"]
                                        for r in rows)
                mcpu = statistics.median(
                    sum(r.get("machine_cpu_s", [0])) * 1e5 / r["hits"]
                    for r in rows)
                out.append("| %s | %s | %s | %.2f | %.2f | %.2f | %.0f | "
                           "%.1f | %d/%d | %s |" % (
                               load, p, "{:,.0f}".format(hs), cpu, mcpu,
                               statistics.median(r["p99_us"] for r in rows)
                               / 1e3,
                               statistics.median(r["mbps"] for r in rows),
                               max(r["rss_kib"] for r in rows) / 1024,
                               sum(r["origin_requests"] for r in rows),
                               sum(r["requests"] for r in rows),
                               rows[-1].get("hit_kind") or
                               rows[-1]["probe_post"]))
        if data["refused"]:
            out += ["", "Refused or failed runs:", ""]
            for r in data["refused"]:
                out.append("- %s %s #%d: %s" % (r["peer"], r["load"],
                                                 r["run"], r["why"]))
        out.append("")
    if data["zipf"]:
        z = data["facts"]["zipf"]
        out += ["## Hit ratio on a Zipf workload", "",
                "From the proxies' access.log (hits: codes with HIT; bytes:"
                " the log's size field); bytes saved = 1 - bytes the origin "
                "sent / bytes the client received.", "",
                "| peer | requests (distinct / objects) | working set | "
                "store (mem + disk) | hit ratio | 2nd half | bytes from "
                "cache | origin requests | bytes saved | codes |",
                "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
        for r in data["zipf"]:
            if "refused" in r:
                out.append("| %s | refused: %s |" % (r["peer"],
                                                     r["refused"]))
                continue
            out.append("| %s | {:,} ({:,} / {:,}) | %.2f GiB | %d + %d MiB "
                       "| %s | %.1f %% | %.1f %% | {:,} | %.1f %% | %s |"
                       .format(
                           r["requests"], r["distinct"], r["objects"],
                           r["origin_requests"]) % (
                r["peer"], r["working_set_bytes"] / (1 << 30),
                r["store"]["mem_mb"], r["store"]["dir_mb"],
                "%.1f %%%s" % (100 * r["hit_ratio"], "" if r["log_hits"]
                               else " (**no hits**)"),
                100 * r["hit_ratio_2nd_half"],
                100 * r["byte_hit_ratio"], 100 * r["bytes_saved"],
                ", ".join("%s %d" % kv for kv in sorted(r["codes"].items()))))
        out += ["", "Zipf s = %s, seed %s, %d connections." % (
            z["s"], z["seed"], z["conns"]), ""]
    if data["restart"]:
        out += ["## Restart with a full disk store", "",
                "Seconds from the start of the proxy; the origin is down, "
                "so a hit can only come from the old store. Clean: the "
                "proxy was stopped with SIGTERM; crash: then every process "
                "of it was killed with SIGKILL and it was started again.",
                "", "| peer | store | objects | fill s | restart | "
                "listening after s | first hit after s | all probes hit "
                "after s |", "|---|--:|--:|--:|---|--:|--:|--:|"]
        for r in data["restart"]:
            if "refused" in r:
                out.append("| %s | %s |" % (r["peer"], r["refused"]))
                continue
            for how in ("clean", "crash"):
                t = r.get(how)
                if t is None:
                    continue
                out.append("| %s | %.1f GiB | {:,} | %.0f | %s | %s | %s | "
                           "%s |".format(r["objects"]) % (
                               r["peer"], r["gib"], r["fill_s"], how,
                               _f(t["listen_s"]), _f(t["first_hit_s"]),
                               _f(t["all_probes_hit_s"])))
        out += ["", "Varnish is not in this table: its file storage does "
                "not survive a restart (Varnish starts with an empty "
                "cache).", ""]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--build", default="build")
    ap.add_argument("--tcp-cc", default="cubic", metavar="NAME",
                    help="TCP congestion control in every namespace "
                    "(default cubic, Linux's default; '' keeps the "
                    "host's)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--duration", type=int,
                    default=int(os.environ.get("BENCH_DURATION", "5")))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-warmup", dest="warmup", action="store_false")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--loads", default=",".join(LOADS))
    ap.add_argument("--parts", default="hits,zipf,restart")
    ap.add_argument("--zipf-requests", type=int, default=0,
                    help="requests of the Zipf workload (default %d)"
                    % ZIPF["requests"])
    ap.add_argument("--restart-gib", type=float, default=10.0)
    ap.add_argument("--restart-timeout", type=float, default=300.0)
    a = ap.parse_args()
    a.peers = a.peers.split(",")
    a.loads = a.loads.split(",")
    a.parts = a.parts.split(",")
    a.baseline = None
    if a.quick:
        a.warmup = False
        if not a.zipf_requests:
            a.zipf_requests = 20000
        if "--restart-gib" not in sys.argv:
            a.restart_gib = 0.5
    if os.geteuid() != 0:
        sys.exit("make bench-cache needs root (network namespaces)")
    b = CacheBench(a)

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        b.main()
    finally:
        b.cleanup()


if __name__ == "__main__":
    main()
