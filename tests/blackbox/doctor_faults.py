# SPDX-License-Identifier: GPL-2.0-or-later
"""
doctor_faults.py - the field-fault table runner of `tproxyctl doctor`
(issue 14).

Each fault is something operators report breaking interception on real
routers (a public bug report or forum thread, named in Fault.source). The
runner, for one fault, in a fresh router topology (netns.Topology):

  1. sets up interception (tproxyctl setup) with tproxyd running, and
     checks that doctor passes and the client is intercepted;
  2. injects the fault (Fault.inject), and records what the client sees
     now (Fault.before: "timeout", "refused", "reset", "direct",
     "intercepted" when the fault breaks nothing yet, as a leftover that
     doctor must still report);
  3. runs doctor (--json): the check Fault.fail_id must FAIL, with a fix;
  4. runs the fix exactly as printed (sh -c, in the router namespace,
     with tproxyctl on PATH);
  5. runs doctor again: nothing FAILs; the client is intercepted again.

Every run appends one JSON line to $TPROXYD_BUILD/doctor-faults.jsonl
(name, source, before, fail id, fix, after) from which the table of the
closing note and of doc/troubleshooting is made.
"""

import json
import os
from pathlib import Path
from typing import Callable, NamedTuple, Optional

import harness
import netns
from tproxyctl_env import (CTL, ctl, doctor, start_origin, start_tproxyd,
                           url, write_conf)

SERVERS = {"ipv4": (netns.SRV4, netns.CLI4), "ipv6": (netns.SRV6,
                                                      netns.CLI6)}
OUTCOMES = ("timeout", "refused", "reset", "direct", "intercepted")


class Fault(NamedTuple):
    name: str                 # test id, e.g. "wg_src_valid_mark"
    source: str               # URL of the public report it comes from
    inject: Callable          # inject(t, env): break the router
    fail_id: str              # doctor check that must FAIL ("x.y." = prefix)
    before: str               # what the client sees after inject (OUTCOMES)
    backend: str = "nft"
    family: str = "ipv4"      # the family the client is checked on
    setup_extra: tuple = ()   # more `tproxyctl setup` options
    prepare: Optional[Callable] = None   # prepare(t, env) before setup
    after_fix: Optional[Callable] = None  # after_fix(t, env): more asserts
    conf_extra: tuple = ()    # more tproxyd.conf lines


def client_outcome(t, family, max_time=3):
    """What a client sees fetching http://SERVER/peer: one of OUTCOMES."""
    srv, _ = SERVERS[family]
    p = t.run(t.cli, ["curl", "-sS", "--noproxy", "*", "--max-time",
                      str(max_time), url(srv)], timeout=max_time + 15)
    if p.returncode == 28:
        return "timeout"
    if p.returncode == 7:
        return "refused"
    if p.returncode in (52, 56):
        return "reset"
    assert p.returncode == 0, (p.returncode, p.stderr)
    q = t.run(t.srv, ["curl", "-sS", "--noproxy", "*", "--max-time", "5",
                      url(srv, "/__records")], timeout=20)
    recs = json.loads(q.stdout)
    via = any(h.lower().startswith("via:") and "(tproxyd" in h
              for h in recs[-1]["headers"])
    return "intercepted" if via else "direct"


def _failed(checks, fail_id):
    if fail_id.endswith("."):
        return sorted(k for k, v in checks.items()
                      if k.startswith(fail_id) and v[0] == "FAIL")
    return [fail_id] if checks.get(fail_id, ("",))[0] == "FAIL" else []


def _record(row):
    path = Path(harness.BUILD) / "doctor-faults.jsonl"
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def run_fault(t, tmp_path, fault, conf_extra=()):
    """Steps 1-5 above for one fault; returns the record written."""
    assert fault.before in OUTCOMES, fault.before
    assert fault.source.startswith("https://"), "every fault names its source"
    start_origin(t, [netns.SRV4, netns.SRV6])
    conf = write_conf(tmp_path / "tproxyd",
                      tuple(conf_extra) + tuple(fault.conf_extra))
    state = tmp_path / "state"
    args = ["-f", conf, "--backend", fault.backend, "--state", state]
    args += list(fault.setup_extra)
    env = {"conf": conf, "state": state, "args": args, "tmp": tmp_path}
    if fault.prepare:
        fault.prepare(t, env)
    env["proc"] = start_tproxyd(t, conf)

    p = ctl(t, "setup", *args)
    assert p.returncode == 0, p.stdout + p.stderr
    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc == 0, p.stdout
    assert client_outcome(t, fault.family) == "intercepted"

    fault.inject(t, env)
    before = client_outcome(t, fault.family)
    assert before == fault.before, "after the fault the client saw %s, " \
        "the table says %s" % (before, fault.before)

    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc != 0, "doctor passed with the fault in place:\n" + p.stdout
    failed = _failed(checks, fault.fail_id)
    assert failed, "%s did not FAIL:\n%s" % (fault.fail_id, p.stdout)
    data = {c["id"]: c for c in json.loads(p.stdout)["checks"]}
    fix = data[failed[0]]["fix"]
    assert fix, "no fix for %s: %s" % (failed[0], data[failed[0]])
    message = data[failed[0]]["message"]

    path = "%s:%s" % (Path(CTL).parent, os.environ.get("PATH", "/usr/bin"))
    p = t.run(t.rtr, ["env", "PATH=" + path, "sh", "-c", fix], timeout=60)
    assert p.returncode == 0, "the fix as printed failed: %s\n%s%s" % (
        fix, p.stdout, p.stderr)

    rc, checks, p = doctor(t, "-f", conf, "--state", state)
    assert rc == 0, "after the fix:\n" + p.stdout
    after = client_outcome(t, fault.family)
    assert after == "intercepted", after
    if fault.after_fix:
        fault.after_fix(t, env)
    row = {"name": fault.name, "source": fault.source,
           "backend": fault.backend, "family": fault.family,
           "before": before, "fail": failed[0], "message": message,
           "fix": fix, "after": after}
    _record(row)
    return row
