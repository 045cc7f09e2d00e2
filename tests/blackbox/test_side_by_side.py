# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_side_by_side.py - the "Side by side", "Switch" and "Going back" steps
of doc/migrating.md, done as the page says, with a real Squid (Debian's
/usr/sbin/squid) and tproxyd on one router (issue 18).

    <p>-cli  198.18.1.2  --- r0 -+                       client 1 (Squid's)
                                 |  <p>-rtr
    <p>-cl2  198.18.3.2  --- r2 -+  squid   http_port 3129 tproxy
                                 |  tproxyd http_port 3139 tproxy
                                 +- r1 --- <p>-srv 198.18.2.2 (origin.py)

Squid's kernel side is the one of Squid's TPROXY guide, typed by hand
(iptables: DIVERT chain, mark 1, `ip rule fwmark 1 lookup 100`, local
route in table 100); tproxyd's is `tproxyctl setup` with the options the
page gives. Every request's path is proven three ways: the Via header the
origin received (which proxies it went through), the address the origin
saw (the client's own: both proxies spoof at once), and the access.logs
(a line in the one it went through, none in the other). The logs are
read after a marker request sent through each proxy's forward port has
been logged, so an absent line is really absent, not late.

Also: only Squid's TPROXY rule may be kept to LAN 1 (its socket rule
kept there too makes Squid's requests hang); setup still refuses a Squid
rule that can take packets of its --iface; doctor FAILs fw.mark without
the ACCEPT line that keeps tproxyd's mark out of Squid's DIVERT.

Everything runs in per-run namespaces, every wait has a deadline, and
the topology's cleanup stops Squid, tproxyd and the origin and removes
the namespaces. The same for HTTPS (port 443, spliced):
test_side_by_side_https.py, on make_two_lans() and Scene.
"""

import itertools
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

import harness
import netns
from intercept_env import NsTproxyd, must, start_stub_dns
from netns import CLI2_4, CLI2_6, CLI4, CLI6, SRV4, SRV6
from tproxyctl_env import CTL, doctor, fails, not_pass, snapshot, \
    start_origin

SQUID = "/usr/sbin/squid"
IF1, IF2, WAN = "r0", "r2", "r1"        # router: client 1, client 2, server
SQUID_PORT, SQUID_FWD = 3129, 3128
TPROXYD_PORT, TPROXYD_FWD = 3139, 3138
SIDE_OPTS = ["--iface", IF2, "--mark", "0x2/0x2", "--table", "101",
             "--rule-pref", "101"]
FAMILIES = (4, 6)
ADDR = {(1, 4): CLI4, (1, 6): CLI6, (2, 4): CLI2_4, (2, 6): CLI2_6}
SRV = {4: SRV4, 6: "[%s]" % SRV6}


# ---------------------------------------------------------------------------
# Squid's side: its daemon and the rules of its TPROXY guide
# ---------------------------------------------------------------------------

class NsSquid:
    """Debian's Squid in the router namespace, `squid -N -f CONF` (no
    daemon, no kids), with its pid file, logs and core dump directory in
    dir. Started as root as Debian's unit starts it; it drops to the
    user proxy itself. extra: more squid.conf lines; ports: more ports
    to wait for."""

    def __init__(self, t, d, extra=(), ports=()):
        self.t = t
        self.d = Path(d)
        self.d.mkdir(parents=True, exist_ok=True)
        harness.share_with_daemon_user(self.d)
        self.conf = self.d / "squid.conf"
        self.access_log = self.d / "access.log"
        self.cache_log = self.d / "cache.log"
        self.conf.write_text("\n".join([
            "http_port %d tproxy" % SQUID_PORT,
            # Squid wants a forward port; the marker requests use it.
            "http_port 127.0.0.1:%d" % SQUID_FWD,
            "http_access allow all",
            "cache deny all",
            "cache_mem 0 MB",
            "access_log stdio:%s squid" % self.access_log,
            "cache_store_log none",
            "cache_log %s" % self.cache_log,
            "pid_filename %s" % (self.d / "squid.pid"),
            "coredump_dir %s" % self.d,
            "netdb_filename none",
            "pinger_enable off",
            "logfile_rotate 0",
            "shutdown_lifetime 0 seconds",
            "visible_hostname %s" % harness.VISIBLE_HOSTNAME,
            "dns_nameservers 127.0.0.1",
        ] + list(extra)) + "\n")
        self.ports = (SQUID_PORT, SQUID_FWD) + tuple(ports)
        self.proc = None

    def start(self):
        must(self.t, self.t.rtr, [SQUID, "-k", "parse", "-f", self.conf],
             timeout=30)
        self.proc = self.t.popen(self.t.rtr, [SQUID, "-N", "-f", self.conf],
                                 stdout=open(self.d / "stdout", "wb"),
                                 stderr=open(self.d / "stderr", "wb"))
        try:
            for port in self.ports:
                self.t.wait_listen(self.t.rtr, port, timeout=20,
                                   proc=self.proc)
        except netns.TopologyError as e:
            raise AssertionError("squid did not start: %s\n%s" % (
                e, self.diagnostics()))
        self.t.checks.append(self.stop)
        return self

    def stop(self):
        """SIGTERM (shutdown_lifetime 0), wait; a list of problems."""
        if self.proc is None or self.proc.poll() is not None:
            return [] if self.proc is None or self.proc.returncode == 0 \
                else ["squid exited with %s\n%s" % (self.proc.returncode,
                                                    self.diagnostics())]
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return ["squid ignored SIGTERM for 15 s; killed"]
        return []

    def access_lines(self):
        try:
            return self.access_log.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def diagnostics(self):
        out = []
        for name in ("cache.log", "stderr", "access.log"):
            try:
                txt = (self.d / name).read_text(errors="replace")[-3000:]
            except OSError:
                txt = "(none)"
            out.append("--- squid %s ---\n%s" % (name, txt))
        return "\n".join(out)


IPT = {4: "iptables", 6: "ip6tables"}
LOCAL = {4: "0.0.0.0/0", 6: "::/0"}


def squid_rules(t, op, tproxy_only=(), socket_only=(), keep_mark=None,
                https_port=None):
    """Squid's TPROXY guide ("iptables Configuration", "Routing
    Configuration"), for both families; op "add" or "del". https_port:
    also its TPROXY rule of port 443 to that port (the guide's https_port
    ... tproxy ssl-bump). The TPROXY rules (tproxy_only) and separately
    the -m socket (DIVERT) rule
    (socket_only) can be restricted to some input interfaces (["-i",
    "r0"], ["!", "-i", "r2"]), as doc/migrating.md says for side by side;
    keep_mark: first in PREROUTING, accept packets carrying that mark
    (tproxyd's), so that DIVERT's --set-mark does not overwrite it."""
    r = t.rtr
    for f in FAMILIES:
        ipt = [IPT[f], "-w", "-t", "mangle"]
        if keep_mark:
            keep = ["PREROUTING", "-m", "mark", "--mark", keep_mark, "-j",
                    "ACCEPT"]
            must(t, r, ipt + (["-I"] if op == "add" else ["-D"]) + keep)
        sock = ["PREROUTING", "-p", "tcp"] + list(socket_only) + [
            "-m", "socket", "-j", "DIVERT"]
        tpx = [["PREROUTING", "-p", "tcp"] + list(tproxy_only) + [
            "--dport", str(dport), "-j", "TPROXY", "--tproxy-mark",
            "0x1/0x1", "--on-port", str(port)]
            for dport, port in ((80, SQUID_PORT), (443, https_port))
            if port]
        if op == "add":
            must(t, r, ipt + ["-N", "DIVERT"])
            must(t, r, ipt + ["-A", "DIVERT", "-j", "MARK", "--set-mark",
                              "1"])
            must(t, r, ipt + ["-A", "DIVERT", "-j", "ACCEPT"])
            must(t, r, ipt + ["-A"] + sock)
            for rule in tpx:
                must(t, r, ipt + ["-A"] + rule)
            must(t, r, ["ip", "-%d" % f, "rule", "add", "fwmark", "1",
                        "lookup", "100"])
        else:
            for rule in tpx:
                must(t, r, ipt + ["-D"] + rule)
            must(t, r, ipt + ["-D"] + sock)
            must(t, r, ipt + ["-F", "DIVERT"])
            must(t, r, ipt + ["-X", "DIVERT"])
            must(t, r, ["ip", "-%d" % f, "rule", "del", "fwmark", "1",
                        "lookup", "100"])


def squid_routing(t):
    """The local route of table 100 and rp_filter off (the guide's
    "Routing Configuration"); added once, as an operator's network
    configuration keeps it: doc/migrating.md's Switch removes Squid's
    rules and its `ip rule`, not the route."""
    for f in FAMILIES:
        must(t, t.rtr, ["ip", "-%d" % f, "route", "add", "local", LOCAL[f],
                        "dev", "lo", "table", "100"])
    for dev in ("all", "default", IF1, IF2, WAN):
        t.sysctl(t.rtr, "net.ipv4.conf.%s.rp_filter" % dev, "0")


# ---------------------------------------------------------------------------
# Requests and where they went
# ---------------------------------------------------------------------------

class Scene:
    def __init__(self, t, squid, tpd, tmp_path, backend):
        self.t = t
        self.squid = squid
        self.tpd = tpd
        self.tmp = tmp_path
        self.backend = backend
        self.n = 0

    def ctl(self, *args, state=None):
        argv = [CTL] + [str(a) for a in args]
        if state is not False:
            argv += ["--state", str(state or self.tmp / "state")]
        return self.t.run(self.t.rtr, argv, timeout=60)

    def must_ctl(self, *args):
        p = self.ctl(*args)
        assert p.returncode == 0, "tproxyctl %s: %s%s" % (
            " ".join(map(str, args)), p.stdout, p.stderr)
        return p

    def records(self):
        recs = []
        for host in (SRV4, "[%s]" % SRV6):
            p = must(self.t, self.t.srv,
                     ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                      "http://%s/__records" % host], timeout=20)
            recs += json.loads(p.stdout)
        return recs

    def get(self, client, fam):
        """GET /peer/TAG from a client, no proxy configured; returns
        (tag, the address the origin saw)."""
        self.n += 1
        tag = "c%df%dn%d" % (client, fam, self.n)
        ns = self.t.cli if client == 1 else self.t.cli2
        p = self.t.run(ns, ["curl", "-sS", "--noproxy", "*", "--max-time",
                            "5", "http://%s/peer/%s" % (SRV[fam], tag)],
                       timeout=20)
        assert p.returncode == 0, "client %d, IPv%d: %s" % (client, fam,
                                                             p.stderr)
        return tag, json.loads(p.stdout)["addr"]

    def marker(self, port):
        """A request through a proxy's forward port, from the router
        itself (never intercepted): once it is in the access.log,
        every intercepted request finished before it is too."""
        self.n += 1
        tag = "marker%d" % self.n
        must(self.t, self.t.rtr,
             ["curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-x",
              "http://127.0.0.1:%d" % port, "http://%s/peer/%s" % (SRV4,
                                                                    tag)],
             timeout=20)
        return tag

    def logs(self):
        """{proxy: access.log lines}, once both proxies' markers are in."""
        out = {}
        for name, port, lines in (("squid", SQUID_FWD,
                                   self.squid.access_lines),
                                  ("tproxyd", TPROXYD_FWD,
                                   self.tpd.access_lines)):
            tag = self.marker(port)
            ok = harness.poll(lambda: any("/peer/%s " % tag in ln
                                          for ln in lines()), 10,
                              interval=0.1)
            assert ok, "%s did not log the marker %s within 10 s:\n%s" % (
                name, tag, "\n".join(lines()[-20:]))
            out[name] = lines()
        return out

    def route(self, expect):
        """expect: {1: "squid"|"tproxyd"|None, 2: ...}. Sends one request
        per client and family and checks that each went through the
        expected proxy only (None: through none), and that the origin saw
        the client's own address. Returns {proxy: [access.log lines of
        the requests]}."""
        sent = []
        for fam in FAMILIES:
            for client in (1, 2):
                tag, seen = self.get(client, fam)
                assert seen == ADDR[client, fam], (
                    "client %d over IPv%d: the origin saw %s, not the "
                    "client's address %s" % (client, fam, seen,
                                             ADDR[client, fam]))
                sent.append((client, fam, tag))
        recs = {}
        for r in self.records():
            recs[r["path"]] = r
        logs = self.logs()
        got = {"squid": [], "tproxyd": []}
        problems = []
        for client, fam, tag in sent:
            want = expect[client]
            rec = recs.get("/peer/%s" % tag)
            assert rec is not None, "the origin has no record of %s" % tag
            via = [h.split(":", 1)[1] for h in rec["headers"]
                   if h.lower().startswith("via:")]
            by = sorted(p for p in ("squid", "tproxyd")
                        if any("(%s/" % p in v for v in via))
            if by != ([want] if want else []):
                problems.append("client %d over IPv%d went through %s, "
                                "not %s (Via: %s)" % (client, fam,
                                                      by or "no proxy",
                                                      want or "no proxy",
                                                      via))
            for name, lines in logs.items():
                mine = [ln for ln in lines if "/peer/%s " % tag in ln]
                if name == want:
                    if len(mine) != 1:
                        problems.append("%s's access.log has %d lines of "
                                        "client %d over IPv%d, not 1" % (
                                            name, len(mine), client, fam))
                    got[name] += mine
                elif mine:
                    problems.append("%s's access.log has client %d over "
                                    "IPv%d, which went through %s: %s" % (
                                        name, client, fam, want, mine))
        assert not problems, "\n".join(problems) + "\n" + "\n".join(
            "--- %s access.log ---\n%s" % (k, "\n".join(v[-20:]))
            for k, v in logs.items())
        return got

    def doctor(self, *opts):
        rc, checks, p = doctor(self.t, "-f", self.tpd.conf, "--state",
                               self.tmp / "state", "--backend",
                               self.backend, *opts)
        assert fails(checks) == [] and rc == 0, p.stdout
        return not_pass(checks)


_lans = itertools.count()


def make_two_lans(run_prefix, request, tmp_path, squid_extra=(),
                  squid_ports=(), tpd_extra=(), tpd_ports=()):
    """Two client LANs behind one router, the origin, Squid (not yet
    intercepting) and tproxyd on port 3139; *_extra, *_ports: more
    configuration lines and the ports they open."""
    harness.require_root("namespaces, netfilter, Squid")
    assert os.path.exists(SQUID), "Debian's squid package is not installed"
    t = netns.TwoClientTopology("%ss%d" % (run_prefix, next(_lans)))
    request.addfinalizer(t.cleanup_checked)
    t.setup()
    start_origin(t, [SRV4, SRV6])
    start_stub_dns(t)
    squid_routing(t)
    squid = NsSquid(t, tmp_path / "squid", squid_extra, squid_ports).start()
    tpd = NsTproxyd(t, t.rtr, tmp_path / "tproxyd", [
        "http_port %d tproxy" % TPROXYD_PORT,
        "http_port 127.0.0.1:%d" % TPROXYD_FWD,
        "http_access allow all",
    ] + list(tpd_extra), ports=(TPROXYD_PORT, TPROXYD_FWD) + tuple(
        tpd_ports)).start()
    t.checks.append(tpd.stop)
    return t, squid, tpd


@pytest.fixture
def two_lans(run_prefix, request, tmp_path):
    return make_two_lans(run_prefix, request, tmp_path)


SAME_FIELDS = ("code", "status", "method", "user", "hier", "peer", "type")


def same_format(squid_line, tpd_line):
    """Both lines in Squid's native format with the same values in every
    field but the time, the duration, the client, the size and the URL's
    tag."""
    a = harness.parse_access_line(squid_line)
    b = harness.parse_access_line(tpd_line)
    assert a and b, "not native access.log lines:\n%s\n%s" % (squid_line,
                                                              tpd_line)
    assert harness.elapsed_is_width6(squid_line), squid_line
    assert harness.elapsed_is_width6(tpd_line), tpd_line
    assert {k: a[k] for k in SAME_FIELDS} == {k: b[k] for k in SAME_FIELDS}, \
        "squid:   %s\ntproxyd: %s" % (squid_line, tpd_line)
    assert a["url"].rsplit("/", 1)[0] == b["url"].rsplit("/", 1)[0], (
        squid_line, tpd_line)


# How Squid's TPROXY rule leaves LAN 2 alone (doc/migrating.md, "Side by
# side", step 2): only LAN 1, or every interface but LAN 2.
SQUID_ONLY = {"i_lan1": ["-i", IF1], "not_i_lan2": ["!", "-i", IF2]}
KEEP = "0x2/0x2"        # tproxyd's mark, kept from Squid's DIVERT


@pytest.mark.parametrize("only", sorted(SQUID_ONLY))
@pytest.mark.parametrize("backend", ["nft", "iptables"])
def test_side_by_side_switch_going_back(two_lans, tmp_path, backend, only):
    t, squid, tpd = two_lans
    s = Scene(t, squid, tpd, tmp_path, backend)

    # Before: Squid intercepts everything, with its guide's rules.
    squid_rules(t, "add")
    s.route({1: "squid", 2: "squid"})
    squid_rules(t, "del")

    # Side by side, step 2: Squid's TPROXY rule kept off LAN 2, tproxyd's
    # packets kept from Squid's DIVERT mark, then tproxyctl with its own
    # mark, table and rule preference on LAN 2 only; doctor with the same
    # options finds no failure.
    squid_rules(t, "add", tproxy_only=SQUID_ONLY[only], keep_mark=KEEP)
    s.must_ctl("setup", "-f", tpd.conf, "--backend", backend, *SIDE_OPTS)
    warnings = s.doctor(*SIDE_OPTS)
    got = s.route({1: "squid", 2: "tproxyd"})
    # Step 3: both access.logs in the same format.
    assert len(got["squid"]) == len(got["tproxyd"]) == len(FAMILIES)
    for a, b in zip(got["squid"], got["tproxyd"]):
        same_format(a, b)

    # Switch: Squid's rules and its ip rule out, tproxyctl teardown, then
    # setup for every client interface with the defaults (mark 1, table
    # 100: the route Squid's guide put in table 100 is already there).
    squid_rules(t, "del", tproxy_only=SQUID_ONLY[only], keep_mark=KEEP)
    s.must_ctl("teardown")
    before = snapshot(t)
    assert "tproxyd" not in before["nft"].lower(), before["nft"]
    s.must_ctl("setup", "-f", tpd.conf, "--backend", backend, "--iface",
               IF1, IF2)
    s.doctor()
    s.route({1: "tproxyd", 2: "tproxyd"})

    # Going back: tproxyctl teardown leaves the router as it was before
    # that setup (nothing of tproxyd; table 100's route, Squid's, kept);
    # Squid's rules as they were before the migration take everything.
    s.must_ctl("teardown")
    assert snapshot(t) == before
    squid_rules(t, "add")
    s.route({1: "squid", 2: "squid"})
    print("doctor side by side, not PASS: %s" % warnings)


def test_socket_rule_not_restricted(two_lans, tmp_path):
    """Only Squid's TPROXY rule may be restricted to LAN 1: with its
    socket (DIVERT) rule restricted too, the servers' answers to Squid,
    which come in on the server side, are routed on to the client instead
    of to Squid, and client 1's requests hang (while tproxyctl's rules
    are there, their socket rule hides this: it marks Squid's packets
    too)."""
    t, squid, tpd = two_lans
    s = Scene(t, squid, tpd, tmp_path, "nft")
    squid_rules(t, "add", tproxy_only=["-i", IF1], socket_only=["-i", IF1])
    p = t.run(t.cli, ["curl", "-sS", "--noproxy", "*", "--max-time", "3",
                      "http://%s/peer/hang" % SRV4], timeout=15)
    assert p.returncode == 28, (p.returncode, p.stdout, p.stderr)
    squid_rules(t, "del", tproxy_only=["-i", IF1], socket_only=["-i", IF1])
    squid_rules(t, "add", tproxy_only=["-i", IF1])
    s.route({1: "squid", 2: None})


@pytest.mark.parametrize("only", [[], ["-i", IF2], ["!", "-i", IF1]],
                         ids=["every_if", "i_lan2", "not_i_lan1"])
def test_setup_refuses_squid_rule_on_its_interface(two_lans, tmp_path,
                                                   only):
    """A TPROXY rule of Squid's that can take packets from tproxyd's
    interface still conflicts: setup refuses and changes nothing."""
    t, squid, tpd = two_lans
    s = Scene(t, squid, tpd, tmp_path, "nft")
    squid_rules(t, "add", tproxy_only=only)
    before = snapshot(t)
    p = s.ctl("setup", "-f", tpd.conf, *SIDE_OPTS)
    assert p.returncode != 0, p.stdout
    assert "already intercepts port 80" in p.stderr, p.stderr
    assert "nothing was changed" in p.stderr, p.stderr
    assert snapshot(t) == before


@pytest.mark.parametrize("backend", ["nft", "iptables"])
def test_doctor_wants_tproxyd_mark_kept(two_lans, tmp_path, backend):
    """Without the ACCEPT line of doc/migrating.md, Squid's DIVERT
    (--set-mark 1) overwrites the mark of tproxyd's connections. With
    Squid's table 100 delivering locally too, they still arrive, but the
    mark is no longer tproxyd's: doctor FAILs fw.mark where netfilter runs
    Squid's chain after tproxyctl's (nft), and adding the line clears
    it."""
    t, squid, tpd = two_lans
    s = Scene(t, squid, tpd, tmp_path, backend)
    squid_rules(t, "add", tproxy_only=["-i", IF1])
    s.must_ctl("setup", "-f", tpd.conf, "--backend", backend, *SIDE_OPTS)
    rc, checks, p = doctor(t, "-f", tpd.conf, "--state", tmp_path / "state",
                           "--backend", backend, *SIDE_OPTS)
    # DIVERT's MARK sets the whole mark: another --mark would not help,
    # path.marks gives the ACCEPT line for DIVERT instead.
    data = {c["id"]: c for c in json.loads(p.stdout)["checks"]}
    pm = data["path.marks"]
    assert pm["status"] == "WARN" and "sets the whole mark" in \
        pm["message"], pm
    assert pm["fix"] == " && ".join(
        "%s -w -t mangle -I DIVERT -m mark --mark %s -j ACCEPT" % (IPT[f],
                                                                   KEEP)
        for f in FAMILIES), pm
    if backend == "nft":
        assert fails(checks) == ["fw.mark.ipv4", "fw.mark.ipv6"], p.stdout
        assert rc == 1
    else:
        # tproxyctl's iptables chain comes first in the same PREROUTING
        # and its socket rule accepts: Squid's DIVERT never sees them.
        assert fails(checks) == [] and rc == 0, p.stdout
    s.route({1: "squid", 2: "tproxyd"})
    for f in FAMILIES:
        must(t, t.rtr, [IPT[f], "-w", "-t", "mangle", "-I", "PREROUTING",
                        "-m", "mark", "--mark", KEEP, "-j", "ACCEPT"])
    # The page's line, first in PREROUTING, before the jump to DIVERT:
    # nothing left to warn about.
    assert not [w for w in s.doctor(*SIDE_OPTS) if "path.marks" in w]
