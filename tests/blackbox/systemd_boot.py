# SPDX-License-Identifier: GPL-2.0-or-later
"""
systemd_boot.py - a real systemd booted as PID 1 in a container
(systemd-nspawn) whose network namespace is the test router's, for the
tproxyctl.service tests (test_tproxyctl_systemd.py).

The container runs this machine's own /usr (systemd-nspawn -D /
--volatile=yes: a fresh tmpfs root, /usr read-only from the host), with:
  ROOT/usr/local        (make install DESTDIR=ROOT) on /usr/local, so the
                        installed units are in systemd's search path
                        (/usr/local/lib/systemd/system) and the binaries
                        at their unit paths;
  ETC/default           on /etc/default (TPROXYCTL_OPTS);
  ETC/machine-id        on /etc/machine-id (not a first boot: no
                        service of this machine is enabled by preset);
  ETC/systemd           on /etc/systemd (what `systemctl enable` and
                        drop-ins write, .network files, networkd.conf.d:
                        it survives a reboot, as /etc does);
  ETC/nftables.conf     on /etc/nftables.conf, when the test has one;
  /etc/passwd, /group   this machine's users (tproxyd.service runs as
                        proxy);
  extra directories     read-only at their own paths (the configuration
                        the installed tproxyd.conf links to).
Everything else, /run included, is new at every boot: a reboot is a
poweroff and a new boot (with the router namespace made again by the
test, since a namespace is what the kernel's state lives in here).

Commands run inside with nsenter into the container's PID 1. Bounded:
boot and poweroff wait at most 60 s; kill() ends the container (its
process group) whatever state it is in.
"""

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

NSPAWN = "/usr/bin/systemd-nspawn"


def available():
    return os.path.exists(NSPAWN)


def make_installed(root):
    """`make install DESTDIR=root` of this tree (PREFIX /usr/local), with
    the binaries under test (TPROXYD_BUILD) in place; returns root."""
    import shutil
    import harness
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    san = ["SAN=1"] if harness.BUILD.name == "san" else []
    p = subprocess.run(["make", "-s", "install", "DESTDIR=%s" % root] + san,
                       cwd=harness.REPO, capture_output=True, text=True,
                       timeout=600, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    for b in ("tproxyd", "tproxyctl"):
        shutil.copy2(harness.BUILD / b, Path(root) / "usr/local/sbin" / b)
    return Path(root)


def allow_sanitizer(sysd):
    """With the sanitizer build (make SAN=1, TPROXYD_BUILD=build/san), a
    drop-in per unit in sysd (the container's /etc/systemd/system) that
    lets it run: AddressSanitizer re-executes itself with ASLR off
    (personality()), and LeakSanitizer stops the process with ptrace()
    at exit; LockPersonality= and the units' system call filter refuse
    both, and the program never gets going. Only that build needs it."""
    import harness
    if harness.BUILD.name != "san":
        return
    for unit in ("tproxyd.service", "tproxyctl.service"):
        d = Path(sysd) / (unit + ".d")
        d.mkdir(parents=True, exist_ok=True)
        (d / "sanitizer.conf").write_text(
            "[Service]\nLockPersonality=no\nSystemCallFilter=\n")


class Booted:
    def __init__(self, root, etc, netns, ro=(), log=None, overlays=()):
        """root: ROOT of `make install DESTDIR=ROOT` (its usr/local is
        mounted on /usr/local), or None; overlays: (path, upper dir)
        pairs: path is this machine's, made writable in the container by
        an overlay whose changes go to the upper dir (a package installed
        with dpkg in the container: /usr, /etc, /var), never to the
        machine itself."""
        self.root = Path(root) if root else None
        self.overlays = [(str(a), str(b)) for a, b in overlays]
        self.etc = Path(etc)
        self.netns = netns
        self.ro = [str(x) for x in ro]
        self.log = Path(log) if log else None
        self.proc = None
        self.leader = None

    def boot(self, timeout=60):
        """Start the container and wait until systemd says the boot is
        over (running or degraded). Returns that state."""
        for d in ("default", "systemd/system"):
            (self.etc / d).mkdir(parents=True, exist_ok=True)
        if self.root is not None:
            allow_sanitizer(self.etc / "systemd/system")
        # With a machine id this is not a first boot: systemd does not
        # enable every installed service by preset (nginx, squid, ...
        # of this machine), only what /etc/systemd/system says.
        mid = self.etc / "machine-id"
        if not mid.exists():
            mid.write_text(uuid.uuid4().hex + "\n")
        argv = [NSPAWN, "-D", "/", "--volatile=yes", "--register=no",
                "--keep-unit", "-q", "--boot", "--console=pipe",
                # tproxyctl's: rules, routes, sysctls of the namespace
                "--capability=CAP_NET_ADMIN,CAP_NET_RAW",
                "--network-namespace-path=/run/netns/" + self.netns]
        # Overlays first: the binds below go on top of them (/etc/systemd
        # of the test, not this machine's enabled services).
        argv += ["--overlay=%s:%s:%s" % (path, upper, path)
                 for path, upper in self.overlays]
        if self.root is not None:
            argv.append("--bind=%s:/usr/local" % (self.root / "usr/local"))
        argv += ["--bind=%s:/etc/default" % (self.etc / "default"),
                 "--bind-ro=%s:/etc/machine-id" % mid,
                 "--bind=%s:/etc/systemd" % (self.etc / "systemd")]
        argv += ["--bind-ro=%s" % d for d in self.ro]
        for f in ("passwd", "group"):
            # The users of this machine (tproxyd.service's User=proxy).
            argv.append("--bind-ro=/etc/%s" % f)
        if (self.etc / "nftables.conf").exists():
            argv.append("--bind-ro=%s:/etc/nftables.conf" %
                        (self.etc / "nftables.conf"))
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        end = time.monotonic() + timeout
        state = ""
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("systemd-nspawn exited (%s)" %
                                   self.proc.returncode)
            self.leader = self._child()
            if self.leader:
                p = self.run(["systemctl", "is-system-running"])
                state = p.stdout.strip()
                if state in ("running", "degraded"):
                    return state
            time.sleep(0.2)
        if not self.leader:
            raise RuntimeError("no systemd process in the container after "
                               "%d s" % timeout)
        jobs = self.run(["systemctl", "list-jobs", "--no-pager"]).stdout
        journal = self.run(["journalctl", "-b", "--no-pager", "-n",
                            "40"]).stdout
        raise RuntimeError("the container did not finish booting in %d s "
                           "(%s):\n%s\n%s" % (timeout, state, jobs,
                                               journal))

    def _child(self):
        """The container's PID 1: the descendant of systemd-nspawn named
        systemd (nspawn forks an intermediate process first, which goes
        away)."""
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                if pid != self.proc.pid and Path(
                        "/proc/%d/comm" % pid).read_text().strip() == \
                        "systemd":
                    return pid
                for task in Path("/proc/%d/task" % pid).iterdir():
                    todo += [int(x) for x in
                             (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
        return None

    def run(self, argv, timeout=60):
        """argv inside the container (all its namespaces)."""
        return subprocess.run(["nsenter", "-t", str(self.leader), "-m", "-u",
                               "-i", "-n", "-p", "--"] + list(argv),
                              capture_output=True, text=True,
                              timeout=timeout)

    def poweroff(self, timeout=60):
        """systemctl poweroff, and wait for the container to end (every
        unit stopped: their ExecStopPost= ran)."""
        self.run(["systemctl", "poweroff"])
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.leader = None
        return self.proc.returncode

    def kill(self):
        """End the container at once (power cut); quiet when gone."""
        leader = self.leader or (self._child() if self.proc else None)
        if self.proc and self.proc.poll() is None:
            # PID 1 of the container first: the kernel then ends every
            # process of its PID namespace.
            for pid, kill in ((leader, os.kill),
                              (self.proc.pid, os.killpg)):
                try:
                    if pid:
                        kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(10)
        self.leader = None
