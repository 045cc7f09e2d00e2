# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_priv.py - privilege dropping (src/core/priv.c) seen from outside.

Each case runs build/tests/priv_check (tests/priv/priv_check.c, built by
`make`) in its own process, under `setpriv` when the starting identity or
capabilities matter, and asserts on the /proc/self/status lines it prints
after priv_drop(): who it runs as, exactly which capabilities remain, and
whether a transparent socket can still be made and bound to a non-local
address. The last cases pin down the kernel fact the design relies on:
IP_TRANSPARENT is checked only when set, so a socket made transparent
before the drop keeps working with no capability at all.

Run with: /usr/bin/python3 -m pytest tests/blackbox/test_priv.py (as root).
"""

import errno
import os
import pwd
import grp
import shutil
import socket
import subprocess

import pytest

import harness

PRIV_CHECK = harness.BUILD / "tests" / "priv_check"

CAP_NET_BIND_SERVICE = 10
CAP_NET_ADMIN = 12
CAP_NET_RAW = 13

# The capability priv.c keeps for IP_TRANSPARENT on kernels that accept
# CAP_NET_RAW for it (every kernel tproxyd supports; see priv.c).
TRANSPARENT_CAP = CAP_NET_RAW

NONLOCAL = "198.18.99.1"


@pytest.fixture(scope="module", autouse=True)
def _root():
    harness.require_root("changing identity and capabilities with setpriv")


def bit(*caps):
    v = 0
    for c in caps:
        v |= 1 << c
    return v


@pytest.fixture(scope="module")
def priv_check():
    assert PRIV_CHECK.exists(), (
        "%s missing: `make` builds it (rule $(B)/tests/priv_check)"
        % PRIV_CHECK)
    assert shutil.which("setpriv"), "setpriv (util-linux) is required"
    return str(PRIV_CHECK)


class Result:
    """priv_check's output as a dict, plus the parsed status numbers."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.kv = {}
        for line in proc.stdout.splitlines():
            key, sep, val = line.partition(":")
            if sep:
                self.kv[key] = val.strip()

    def __getitem__(self, key):
        assert key in self.kv, "no %r in output:\n%s%s" % (key, self.out,
                                                           self.err)
        return self.kv[key]

    def ids(self, key):
        """Uid/Gid: real, effective, saved, filesystem."""
        return [int(x) for x in self[key].split()]

    def groups(self):
        return sorted(int(x) for x in self.kv.get("Groups", "").split())

    def cap(self, key):
        return int(self[key], 16)

    def __repr__(self):
        return "rc=%d\n%s%s" % (self.rc, self.out, self.err)


def run(argv, prefix=()):
    p = subprocess.run(list(prefix) + argv, capture_output=True, text=True,
                       timeout=30)
    return Result(p)


def as_nobody(caps=()):
    """setpriv prefix: become nobody/nogroup holding exactly caps (via the
    ambient set, as systemd AmbientCapabilities= does)."""
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    if caps:
        spec = ",".join("+" + c for c in caps)
        argv += ["--inh-caps=" + spec, "--ambient-caps=" + spec]
    return argv


def default_user():
    try:
        return pwd.getpwnam("proxy")
    except KeyError:
        return pwd.getpwnam("nobody")


def assert_only(r, caps):
    """Exactly caps, permitted and effective; nothing inheritable or
    ambient; no_new_privs set."""
    assert r.cap("CapEff") == caps, r
    assert r.cap("CapPrm") == caps, r
    assert r.cap("CapInh") == 0, r
    assert r.cap("CapAmb") == 0, r
    assert r["NoNewPrivs"] == "1", r


def assert_actionable(msg, cap="CAP_NET_RAW"):
    """The missing-capability message names it and each way to grant it."""
    low = cap.lower()
    assert cap in msg, msg
    assert "root" in msg, msg
    assert "AmbientCapabilities=" + cap in msg, msg
    assert "setcap %s+ep %s" % (low, PRIV_CHECK) in msg, msg


# ---------------------------------------------------------------------------
# Started as root
# ---------------------------------------------------------------------------

def test_root_transparent_keeps_one_capability(priv_check):
    r = run([priv_check, "--transparent"])
    pw = default_user()
    assert r.rc == 0 and r["drop"] == "ok", r
    assert r.ids("Uid") == [pw.pw_uid] * 4, r
    assert r.ids("Gid") == [pw.pw_gid] * 4, r
    want_groups = sorted(set(os.getgrouplist(pw.pw_name, pw.pw_gid)))
    assert r.groups() == want_groups, r
    assert_only(r, bit(TRANSPARENT_CAP))
    assert r.cap("CapBnd") == bit(TRANSPARENT_CAP), r
    assert r["cap"] == "CAP_NET_RAW", r
    assert r["describe"] == "user %s (%d), group %s (%d), capabilities " \
        "cap_net_raw=ep" % (pw.pw_name, pw.pw_uid,
                            grp.getgrgid(pw.pw_gid).gr_name, pw.pw_gid), r
    # and that one capability does the job, for new sockets too
    assert r["probe4"] == "ok", r
    assert r["probe6"] == "ok" or "not supported" in r["probe6"], r
    assert r["fresh_bind"] == "ok", r


def test_root_plain_keeps_nothing(priv_check):
    r = run([priv_check])
    assert r.rc == 0 and r["drop"] == "ok", r
    assert r.ids("Uid")[0] == default_user().pw_uid, r
    assert_only(r, 0)
    assert r.cap("CapBnd") == 0, r
    assert r["describe"].endswith("capabilities none"), r
    assert r["probe4"].startswith("error %d " % errno.EPERM), r
    assert_actionable(r["probe4"])
    assert r["fresh_bind"].startswith("error setsockopt(IP_TRANSPARENT)"), r


def test_root_low_port_keeps_bind_service(priv_check):
    r = run([priv_check, "--transparent", "--low-port"])
    assert r.rc == 0 and r["drop"] == "ok", r
    assert_only(r, bit(TRANSPARENT_CAP, CAP_NET_BIND_SERVICE))
    r = run([priv_check, "--low-port"])
    assert r.rc == 0 and r["drop"] == "ok", r
    assert_only(r, bit(CAP_NET_BIND_SERVICE))


def test_root_named_user(priv_check):
    r = run([priv_check, "--user", "nobody", "--transparent"])
    assert r.rc == 0 and r["drop"] == "ok", r
    nobody = pwd.getpwnam("nobody")
    assert r.ids("Uid") == [nobody.pw_uid] * 4, r
    assert r.ids("Gid") == [nobody.pw_gid] * 4, r
    assert_only(r, bit(TRANSPARENT_CAP))


@pytest.mark.parametrize("user,why", [
    ("no-such-user-tproxyd", "no such user"),
    ("root", "refusing to serve as root"),
])
def test_root_bad_user_changes_nothing(priv_check, user, why):
    r = run([priv_check, "--user", user, "--transparent"])
    assert r.rc == 1, r
    assert r["drop"].startswith("error ") and why in r["drop"], r
    assert r.ids("Uid") == [0] * 4, r
    assert r.cap("CapEff") == r.cap("CapPrm") != 0, r
    assert r["NoNewPrivs"] == "0", r


def test_root_without_capability_in_bounding_set(priv_check):
    """Root in a container that removed the capability: the message says
    to fix the bounding set, not to run as root."""
    r = run([priv_check, "--no-drop"],
            prefix=["setpriv", "--bounding-set=-net_raw,-net_admin"])
    assert r["probe4"].startswith("error %d " % errno.EPERM), r
    assert "bounding set" in r["probe4"], r
    assert "--cap-add=NET_RAW" in r["probe4"], r
    r = run([priv_check, "--transparent"],
            prefix=["setpriv", "--bounding-set=-net_raw,-net_admin"])
    assert r.rc == 1 and "CAP_NET_RAW" in r["drop"], r
    assert r.ids("Uid") == [0] * 4, r


# ---------------------------------------------------------------------------
# Started unprivileged with capabilities (systemd AmbientCapabilities=)
# ---------------------------------------------------------------------------

def test_ambient_extra_capabilities_are_dropped(priv_check):
    r = run([priv_check, "--transparent"],
            prefix=as_nobody(["net_raw", "net_admin", "net_bind_service"]))
    assert r.rc == 0 and r["drop"] == "ok", r
    assert r.ids("Uid") == [pwd.getpwnam("nobody").pw_uid] * 4, r
    assert_only(r, bit(TRANSPARENT_CAP))
    assert r["fresh_bind"] == "ok", r


def test_ambient_exact_capability(priv_check):
    r = run([priv_check, "--transparent"], prefix=as_nobody(["net_raw"]))
    assert r.rc == 0 and r["drop"] == "ok", r
    assert_only(r, bit(CAP_NET_RAW))
    assert r["probe4"] == "ok" and r["fresh_bind"] == "ok", r


def test_ambient_net_admin_only_is_used(priv_check):
    """Given CAP_NET_ADMIN alone (an older unit file), keep that one."""
    r = run([priv_check, "--transparent"], prefix=as_nobody(["net_admin"]))
    assert r.rc == 0 and r["drop"] == "ok", r
    assert_only(r, bit(CAP_NET_ADMIN))
    assert r["cap"] == "CAP_NET_ADMIN", r
    assert r["fresh_bind"] == "ok", r


def test_ambient_without_transparent_keeps_nothing(priv_check):
    r = run([priv_check], prefix=as_nobody(["net_raw", "net_admin"]))
    assert r.rc == 0 and r["drop"] == "ok", r
    assert_only(r, 0)


def test_ambient_missing_low_port_capability(priv_check):
    r = run([priv_check, "--transparent", "--low-port"],
            prefix=as_nobody(["net_raw"]))
    assert r.rc == 1, r
    assert_actionable(r["drop"], "CAP_NET_BIND_SERVICE")
    # refused before changing anything
    assert r.cap("CapAmb") == bit(CAP_NET_RAW), r


# ---------------------------------------------------------------------------
# Started unprivileged without the capability
# ---------------------------------------------------------------------------

def test_nobody_probe_names_capability_and_fix(priv_check):
    r = run([priv_check, "--no-drop"], prefix=as_nobody())
    for key, opt in (("probe4", "IP_TRANSPARENT"),
                     ("probe6", "IPV6_TRANSPARENT")):
        if "not supported" in r[key]:
            continue
        assert r[key].startswith("error %d " % errno.EPERM), r
        assert opt in r[key], r
        assert_actionable(r[key])
    assert r["fresh_bind"].startswith("error setsockopt(IP_TRANSPARENT)"), r


def test_nobody_drop_refuses_transparent(priv_check):
    r = run([priv_check, "--transparent"], prefix=as_nobody())
    assert r.rc == 1, r
    assert_actionable(r["drop"])
    r = run([priv_check], prefix=as_nobody())
    assert r.rc == 0 and r["drop"] == "ok", r


# ---------------------------------------------------------------------------
# The capability is checked when IP_TRANSPARENT is set, and only then
# ---------------------------------------------------------------------------

def test_nonlocal_bind_needs_transparency():
    """Control for the next two: 198.18.99.1 is not ours."""
    with socket.socket() as s:
        with pytest.raises(OSError) as e:
            s.bind((NONLOCAL, 0))
    assert e.value.errno == errno.EADDRNOTAVAIL


def test_premade_transparent_socket_survives_drop(priv_check):
    r = run([priv_check, "--premade"])
    assert r["premade"] == "ok" and r["drop"] == "ok", r
    assert_only(r, 0)
    assert r["fresh_bind"].startswith("error setsockopt"), r
    assert r["premade_bind"] == "ok", r


def test_premade_transparent_handshake_after_drop(priv_check):
    """In a private network namespace that routes 198.18.99.0/24 locally
    from a policy table (as a TPROXY set-up does), sockets made transparent
    before the drop bind 198.18.99.1 and 198.18.99.2, listen, connect and
    accept with no capability left; the accepting side sees the spoofed
    source address."""
    assert shutil.which("unshare"), "unshare (util-linux) is required"
    script = ("set -e; ip link set lo up; "
              "ip route add local 198.18.99.0/24 dev lo table 100; "
              "ip rule add to 198.18.99.0/24 lookup 100 pref 100; "
              "exec \"$0\" --premade --handshake")
    r = run(["unshare", "--net", "sh", "-c", script, priv_check])
    assert r["drop"] == "ok", r
    assert_only(r, 0)
    assert r["fresh_bind"].startswith("error setsockopt"), r
    assert r["premade_bind"] == "ok", r
    assert r["handshake"].startswith("ok peer %s:" % NONLOCAL), r


NFT_TPROXY = """
table ip tpx {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ip daddr 198.18.99.5 tcp dport 80 tproxy to 127.0.0.1:%d accept
  }
}
"""


@pytest.mark.parametrize("with_rule", [True, False])
def test_premade_tproxy_listener_intercepts_after_drop(priv_check,
                                                        with_rule):
    """The full TPROXY path with no capability left: a listener made
    transparent before the drop, on 127.0.0.1:3129, accepts a connection
    to 198.18.99.5:80 redirected by nft `tproxy to :3129`, from a client
    socket spoofing 198.18.99.1, and getsockname() on the accepted socket
    is the original destination. Without the rule (control) the connection
    does not reach the listener."""
    assert shutil.which("unshare") and shutil.which("nft"), \
        "unshare (util-linux) and nft (nftables) are required"
    port = 3129
    nft = ("nft -f - <<'EOF'\n%sEOF\n" % (NFT_TPROXY % port)
           if with_rule else "")
    script = ("set -e; ip link set lo up; "
              "ip route add local 198.18.99.0/24 dev lo table 100; "
              "ip rule add to 198.18.99.0/24 lookup 100 pref 100\n"
              + nft +
              "exec \"$0\" --premade --intercept %d" % port)
    r = run(["unshare", "--net", "sh", "-c", script, priv_check])
    assert r["drop"] == "ok", r
    assert_only(r, 0)
    assert r["premade_bind"] == "ok", r
    if with_rule:
        assert r["handshake"].startswith("ok peer %s:" % NONLOCAL), r
        assert r["handshake"].endswith(" local 198.18.99.5:80"), r
    else:
        assert r["handshake"].startswith("error connect"), r
