# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_tproxyctl_failure.py - `tproxyctl setup --on-failure open|closed` and
`tproxyctl watch` (issue 14, "Fail-open or fail-closed, on purpose").

Router topology (netns.Topology); tproxyd, `tproxyctl watch` and the
rules live in the router namespace, a bounded stream of requests
(failure_client.py: one new connection every 50 ms, for at most 60 s)
comes from the client namespace. For each backend x family x mode,
tproxyd is stopped (SIGTERM), restarted, killed (SIGKILL), restarted,
hung (SIGSTOP) and resumed (SIGCONT), and the test asserts what clients
see after each event:

    open    answered by the origin directly (no Via header from tproxyd)
    closed  connection reset at once (no timeout)
    after a restart / SIGCONT: intercepted again (Via from tproxyd)

and measures the time from the event to the first client seeing the new
behaviour (a request started after the event, ending with the new
outcome). The bound asserted is --interval + --overload-after + 1 s.
The same with --bridge (SIGKILL and SIGSTOP); and: the watchdog puts
flushed rules back, teardown after it left a port failed, doctor's
failure.mode / failure.watch, and status.
With TPROXYCTL_FAILURE_LOG=FILE each measurement is appended to FILE as a
JSON line (doc/tproxyctl.8 quotes the medians).
"""

import json
import os
import signal
import time

import pytest

import harness
import netns
from tproxyctl_env import (BR_SRV4, BR_SRV6, CTL, PY, HERE, TPORT,
                           BridgeTopology, ctl, doctor, not_pass, snapshot,
                           start_origin, start_tproxyd, stop, write_conf)

FAMILIES = {"ipv4": netns.SRV4, "ipv6": netns.SRV6}
INTERVAL_MS, OVERLOAD_MS = 100, 500
BOUND = (INTERVAL_MS + OVERLOAD_MS) / 1000.0 + 1.0
SETTLE = 0.5		# s of requests checked after the switch
CLIENT = str(HERE / "failure_client.py")


class Load:
    """failure_client.py in the client namespace, writing to a file."""

    def __init__(self, t, tmp_path, host):
        self.out = tmp_path / "requests.jsonl"
        self.stop_file = tmp_path / "stop-load"
        self.proc = t.popen(t.cli, [PY, CLIENT, "--url-host", host,
                                    "--out", self.out, "--every", "50",
                                    "--timeout", "3", "--duration", "60",
                                    "--stop-file", self.stop_file])

    def records(self):
        if not self.out.exists():
            return []
        return [json.loads(ln) for ln in self.out.read_text().splitlines()
                if ln.endswith("}")]

    def finish(self):
        self.stop_file.write_text("")
        self.proc.wait(10)


def phase(load, name, event, want, log):
    """Run event() and wait until a request started after it ends with
    outcome want; then check that every request started after that one
    ended (for SETTLE s) has outcome want too (closed: each reset within
    1 s of its start). Returns the seconds from the event to the first
    request seeing want."""
    t0 = time.monotonic()
    event()

    def first():
        ends = [r["end"] for r in load.records()
                if r["start"] >= t0 and r["outcome"] == want]
        return min(ends) if ends else None

    t1 = harness.wait_for(first, BOUND + 5, "a client seeing %r after %s"
                          % (want, name),
                          show=lambda: load.records()[-5:])
    took = t1 - t0
    time.sleep(SETTLE + 0.5)
    now = time.monotonic()
    after = [r for r in load.records() if t1 <= r["start"] and
             r["start"] <= now - 0.5]
    assert len(after) >= 5, "too few requests after %s: %s" % (name, after)
    bad = [r for r in after if r["outcome"] != want or
           (want == "reset" and r["end"] - r["start"] > 1.0)]
    assert not bad, "after %s (%.2f s), clients saw %s" % (name, took, bad)
    assert took <= BOUND, "%s: first client saw %r after %.2f s (bound %.1f)" \
        % (name, want, took, BOUND)
    log[name] = round(took, 3)
    return took


def start_watch(t, tmp_path, state):
    err = tmp_path / "watch.stderr"
    p = t.popen(t.rtr, [CTL, "watch", "--state", state, "--interval",
                        INTERVAL_MS, "--overload-after", OVERLOAD_MS],
                stderr=open(err, "wb"))
    return p, err


def end_watch(t, p, err, backend, family="ipv4"):
    """SIGTERM: status 0, and the rules stay."""
    p.terminate()
    assert p.wait(10) == 0, err.read_text()
    if backend == "nft":
        q = t.run(t.rtr, ["nft", "list", "table", "inet", "tproxyd"])
    else:
        q = t.run(t.rtr, ["iptables" if family == "ipv4" else "ip6tables",
                          "-w", "-t", "mangle", "-S", "TPROXYD_FAILED"])
    assert q.returncode == 0, "rules gone after the watchdog stopped"


@pytest.mark.parametrize("mode", ["open", "closed"])
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("backend", ["nft", "iptables"])
def test_on_failure(topology, tmp_path, backend, family, mode):
    t = topology
    srv = FAMILIES[family]
    start_origin(t, [netns.SRV4, netns.SRV6])
    conf = write_conf(tmp_path / "tproxyd")
    d = start_tproxyd(t, conf)
    state = tmp_path / "state"
    p = ctl(t, "setup", "-f", conf, "--backend", backend, "--family",
            family, "--on-failure", mode, "--state", state)
    assert p.returncode == 0, p.stderr
    assert "opt\ton-failure\t%s" % mode in state.read_text()
    w, werr = start_watch(t, tmp_path, state)
    load = Load(t, tmp_path, srv)
    new = "direct" if mode == "open" else "reset"
    log = {}
    try:
        harness.wait_for(lambda: any(r["outcome"] == "proxied"
                                     for r in load.records()), 10,
                         "requests intercepted before the faults",
                         show=lambda: load.records()[-5:])

        def restart():
            nonlocal d
            d = start_tproxyd(t, conf)

        phase(load, "SIGTERM", lambda: stop(d), new, log)
        phase(load, "restart after SIGTERM", restart, "proxied", log)

        def kill():
            d.proc.kill()
            d.proc.wait(5)
            d.problems = []	# killed on purpose: nothing to check

        phase(load, "SIGKILL", kill, new, log)
        phase(load, "restart after SIGKILL", restart, "proxied", log)
        phase(load, "SIGSTOP", lambda: d.proc.send_signal(signal.SIGSTOP),
              new, log)
        phase(load, "SIGCONT", lambda: d.proc.send_signal(signal.SIGCONT),
              "proxied", log)
    finally:
        d.proc.send_signal(signal.SIGCONT)
        load.finish()
    stop(d)
    end_watch(t, w, werr, backend, family)
    text = werr.read_text()
    assert "tproxy port %d (%s) not listening: %s" % (
        TPORT, family, "clients go direct (on-failure open)" if mode ==
        "open" else "clients are refused (on-failure closed)") in text, text
    assert "not accepting" in text, text
    assert "accepting again" in text, text
    if os.environ.get("TPROXYCTL_FAILURE_LOG"):
        with open(os.environ["TPROXYCTL_FAILURE_LOG"], "a") as f:
            f.write(json.dumps({"backend": backend, "family": family,
                                "mode": mode, "seconds": log}) + "\n")


@pytest.mark.parametrize("mode", ["open", "closed"])
@pytest.mark.parametrize("backend,family", [("nft", "ipv4"),
                                            ("iptables", "ipv6")])
def test_on_failure_bridge(run_prefix, tmp_path, backend, family, mode):
    """--bridge: frames diverted to the IP layer that tproxyd does not
    take are routed back onto the bridge (open) or reset (closed). Two
    of the four backend x family pairs, to keep the file short (all four
    pass the same way)."""
    srv = BR_SRV4 if family == "ipv4" else BR_SRV6
    with BridgeTopology(run_prefix + "f" + backend[0] + family[-1] +
                        mode[0]) as t:
        start_origin(t, [BR_SRV4, BR_SRV6])
        conf = write_conf(tmp_path / "tproxyd")
        d = start_tproxyd(t, conf)
        state = tmp_path / "state"
        p = ctl(t, "setup", "-f", conf, "--backend", backend, "--family",
                family, "--bridge", "b0", "b1", "--on-failure", mode,
                "--state", state)
        assert p.returncode == 0, p.stderr
        w, werr = start_watch(t, tmp_path, state)
        load = Load(t, tmp_path, srv)
        new = "direct" if mode == "open" else "reset"
        log = {}
        try:
            harness.wait_for(lambda: any(r["outcome"] == "proxied"
                                         for r in load.records()), 10,
                             "bridged requests intercepted",
                             show=lambda: load.records()[-5:])

            def kill():
                d.proc.kill()
                d.proc.wait(5)
                d.problems = []

            def restart():
                nonlocal d
                d = start_tproxyd(t, conf)

            phase(load, "SIGKILL", kill, new, log)
            phase(load, "restart after SIGKILL", restart, "proxied", log)
            phase(load, "SIGSTOP",
                  lambda: d.proc.send_signal(signal.SIGSTOP), new, log)
            phase(load, "SIGCONT",
                  lambda: d.proc.send_signal(signal.SIGCONT), "proxied",
                  log)
        finally:
            d.proc.send_signal(signal.SIGCONT)
            load.finish()
        stop(d)
        end_watch(t, w, werr, backend, family)
        if os.environ.get("TPROXYCTL_FAILURE_LOG"):
            with open(os.environ["TPROXYCTL_FAILURE_LOG"], "a") as f:
                f.write(json.dumps({"backend": backend, "family": family,
                                    "mode": mode, "bridge": True,
                                    "seconds": log}) + "\n")


@pytest.mark.parametrize("backend", ["nft", "iptables"])
def test_watch_puts_rules_back(topology, tmp_path, backend):
    """`nft flush ruleset` (what a reload of nftables.service does; with
    iptables-nft it takes the iptables rules too): the watchdog puts
    tproxyctl's rules back and clients are intercepted again. Then
    tproxyd stops (its port is left failed) and teardown runs while the
    watchdog still does: everything setup added goes, and stays gone."""
    t = topology
    start_origin(t, [netns.SRV4])
    conf = write_conf(tmp_path / "tproxyd")
    d = start_tproxyd(t, conf)
    state = tmp_path / "state"
    before = snapshot(t)
    p = ctl(t, "setup", "-f", conf, "--backend", backend, "--family",
            "ipv4", "--on-failure", "closed", "--state", state)
    assert p.returncode == 0, p.stderr
    w, werr = start_watch(t, tmp_path, state)
    load = Load(t, tmp_path, netns.SRV4)
    log = {}
    try:
        harness.wait_for(lambda: any(r["outcome"] == "proxied"
                                     for r in load.records()), 10,
                         "requests intercepted", show=load.records)
        # on-failure closed with its watchdog: doctor passes everything.
        rc, checks, raw = doctor(t, "-f", conf, "--state", state)
        assert checks["failure.watch"][0] == "PASS", raw.stdout
        assert not_pass(checks) == [] and rc == 0, raw.stdout
        assert t.run(t.rtr, ["nft", "flush", "ruleset"]).returncode == 0
        # Right after the flush clients go direct (no rule at all);
        # within the watchdog's one-second rule check they are
        # intercepted again.
        phase(load, "rules back", lambda: None, "proxied", log)
        # tproxyd stops: the watchdog marks its port failed, and stops
        # itself leaving that in place (as systemd stops both); teardown
        # still removes everything setup added.
        phase(load, "SIGTERM", lambda: stop(d), "reset", log)
    finally:
        load.finish()
    # Teardown while the watchdog runs: everything goes, and the
    # watchdog does not put it back.
    p = ctl(t, "teardown", "--state", state)
    assert p.returncode == 0, p.stderr
    harness.wait_for(lambda: "is gone (tproxyctl teardown?)" in
                     werr.read_text(), 5, "the watchdog noticing teardown",
                     show=werr.read_text)
    time.sleep(1.5)		# more than its one-second rule check
    assert snapshot(t) == before
    w.terminate()
    assert w.wait(10) == 0, werr.read_text()
    text = werr.read_text()
    assert "rules are gone" in text, text
    assert text.count("rules are gone") == 1, text
    assert "not listening" in text, text


@pytest.mark.parametrize("mode,status", [("open", "WARN"),
                                         ("closed", "PASS")])
def test_doctor_warns_open_with_deny_rules(topology, tmp_path, mode,
                                           status):
    """With http_access deny rules, on-failure open lets clients past
    them while tproxyd is down: doctor says so."""
    t = topology
    conf = write_conf(tmp_path / "tproxyd", [
        "acl blocked dstdomain .blocked.example",
        "http_access deny blocked"])
    # The deny must come before `http_access allow all` to mean
    # anything: write_conf puts its lines first, so move it up.
    lines = conf.read_text().splitlines()
    lines.remove("http_access allow all")
    conf.write_text("\n".join(lines + ["http_access allow all"]) + "\n")
    state = tmp_path / "state"
    p = ctl(t, "setup", "-f", conf, "--family", "ipv4", "--on-failure",
            mode, "--state", state)
    assert p.returncode == 0, p.stderr
    _, checks, raw = doctor(t, "-f", conf, "--state", state)
    assert checks["failure.mode"][0] == status, raw.stdout
    assert ("on-failure %s" % mode) in checks["failure.mode"][1]
    if mode == "open":
        assert checks["failure.mode"][1].count("tproxyd.conf:"), raw.stdout
    # No watchdog here: closed without one is a WARN (a hung tproxyd
    # would leave clients waiting), open is not.
    assert checks["failure.watch"][0] == ("WARN" if mode == "closed" else
                                          "PASS"), raw.stdout
    # status shows the choice.
    p = ctl(t, "status", "-f", conf, "--state", state)
    assert "on failure: %s (" % mode in p.stdout, p.stdout


@pytest.mark.parametrize("backend", ["nft", "iptables"])
def test_watch_follows_new_setup(topology, tmp_path, backend):
    """setup again with another --on-failure while the watchdog runs and
    tproxyd is down: it takes the new setup (which emptied the failed
    set) and clients get the new behaviour."""
    t = topology
    start_origin(t, [netns.SRV4])
    conf = write_conf(tmp_path / "tproxyd")
    d = start_tproxyd(t, conf)
    state = tmp_path / "state"
    args = ["setup", "-f", conf, "--backend", backend, "--family", "ipv4",
            "--state", state, "--on-failure"]
    p = ctl(t, *args, "open")
    assert p.returncode == 0, p.stderr
    w, werr = start_watch(t, tmp_path, state)
    load = Load(t, tmp_path, netns.SRV4)
    log = {}
    try:
        harness.wait_for(lambda: any(r["outcome"] == "proxied"
                                     for r in load.records()), 10,
                         "requests intercepted", show=load.records)
        phase(load, "SIGTERM", lambda: stop(d), "direct", log)

        def closed():
            q = ctl(t, *args, "closed")
            assert q.returncode == 0, q.stderr

        phase(load, "setup --on-failure closed", closed, "reset", log)
    finally:
        load.finish()
    end_watch(t, w, werr, backend)
    text = werr.read_text()
    assert "changed: watching the new setup; on failure clients are " \
        "refused (on-failure closed)" in text, text
