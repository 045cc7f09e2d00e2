# SPDX-License-Identifier: GPL-2.0-or-later
"""
systemd_unit.py - runs an installed systemd service unit the way systemd
would, for the tproxyctl.service tests (test_tproxyctl_systemd.py) on a
machine where systemd is not PID 1 (no /run/systemd/system).

The unit comes from `make install DESTDIR=ROOT` (the same @SBINDIR@ /
@SYSCONFDIR@ substitution a real install gets). Every command of the unit
runs inside the router namespace and in a private mount namespace where
ROOT's installed tree is bind-mounted over the real paths (ROOT/usr/local/
sbin on /usr/local/sbin, ROOT/usr/local/etc on /usr/local/etc, ROOT/etc/
default on /etc/default) and a directory of the test over /run/tproxyctl:
the unit's lines run exactly as written, and tproxyctl's state file is the
test's, never the host's. "Rebooting" empties that directory.

What is implemented of systemd (systemd.service(5), systemd.exec(5)):
  - EnvironmentFile= (a leading "-": missing is fine), KEY=VALUE lines,
    quotes removed, # comments;
  - Exec*= prefixes: "-" (a failure is ignored); "@", "+", "!", ":" are
    refused (the unit does not use them);
  - $NAME alone as a word: split at whitespace into words (none when
    empty); ${NAME}: substituted within the word; $$: a dollar;
  - a clean environment (PATH as systemd sets it, plus the file's
    variables);
  - start: ExecStartPre= lines in order; one failing (without "-") fails
    the start and runs ExecStopPost=, as systemd does; then ExecStart= in
    the background (Type=simple);
  - stop: SIGTERM to ExecStart='s process group (then SIGKILL after
    10 s), then ExecStopPost=; restart = stop + start; reload runs
    ExecReload=; is-active (exit 0 active, 3 inactive).

As a command (the `systemctl` doctor and its fixes find on PATH in the
tests):
    systemd_unit.py --root ROOT --run RUNDIR --netns NS \
        start|stop|restart|reload|is-active [--quiet] UNIT
"""

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"
SYSTEMD_PATH = ("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                "/sbin:/bin")
# ROOT subtree -> where it is mounted while the unit's commands run.
BINDS = [("usr/local/sbin", "/usr/local/sbin"),
         ("usr/local/etc", "/usr/local/etc"),
         ("etc/default", "/etc/default")]
# Sets up the mounts, then execs the command ("$@").
_MOUNT_SH = r"""
set -e
while [ "$1" != "--" ]; do
    mount --bind "$1" "$2"
    shift 2
done
shift
exec "$@"
"""


def parse_unit(text):
    """{section: [(key, value), ...]} of a unit file (continuation lines
    joined, comments dropped)."""
    sections, cur, buf = {}, None, ""
    for raw in text.splitlines():
        line = buf + raw.strip()
        buf = ""
        if line.endswith("\\"):
            buf = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = sections.setdefault(line[1:-1], [])
            continue
        key, _, value = line.partition("=")
        cur.append((key.strip(), value.strip()))
    return sections


def read_env_file(path):
    """KEY=VALUE lines of an EnvironmentFile (quotes removed)."""
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def expand(line, env):
    """One Exec line: (ignore_failure, argv) with systemd's rules for
    prefixes and variables."""
    ignore = False
    while line and line[0] in "-@+!:":
        if line[0] != "-":
            raise ValueError("prefix %r not implemented" % line[0])
        ignore = True
        line = line[1:]
    argv = []
    for word in shlex.split(line):
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:
            argv += env.get(m.group(1), "").split()
            continue
        word = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                      lambda m: env.get(m.group(1), ""), word)
        argv.append(word.replace("$$", "$"))
    return ignore, argv


class Unit:
    """One service unit installed under root, run in namespace netns."""

    def __init__(self, root, name, netns, run):
        self.root = Path(root)
        self.name = name if name.endswith(".service") else name + ".service"
        self.netns = netns
        self.run_dir = Path(run)
        self.path = self.root / "usr/local/lib/systemd/system" / self.name
        self.sections = parse_unit(self.path.read_text())
        self.log = []            # (argv, returncode, output) of each command

    # -- the unit file ------------------------------------------------------

    def values(self, key, section="Service"):
        return [v for k, v in self.sections.get(section, []) if k == key]

    def environment(self):
        env = {}
        for spec in self.values("EnvironmentFile"):
            optional = spec.startswith("-")
            path = self.root / spec.lstrip("-").lstrip("/")
            if not path.exists():
                if optional:
                    continue
                raise FileNotFoundError(spec)
            env.update(read_env_file(path))
        return env

    # -- running ------------------------------------------------------------

    def wrap(self, argv, env=None):
        """argv as run for the unit: router namespace, private mounts,
        clean environment."""
        mounts = []
        for sub, where in BINDS:
            if (self.root / sub).is_dir():
                mounts += [str(self.root / sub), where]
        # Only /run/tproxyctl: the rest of /run (netns names, the
        # xtables lock) stays the host's, so a command of the unit can
        # itself run this script (doctor's `systemctl`).
        (self.run_dir / "tproxyctl").mkdir(parents=True, exist_ok=True)
        os.makedirs("/run/tproxyctl", exist_ok=True)
        mounts += [str(self.run_dir / "tproxyctl"), "/run/tproxyctl"]
        envv = ["PATH=" + SYSTEMD_PATH] + ["%s=%s" % kv for kv in
                                           sorted((env or {}).items())]
        return ([IP, "netns", "exec", self.netns, "unshare", "-m",
                 "--propagation", "private", "sh", "-c", _MOUNT_SH, "sh"] +
                mounts + ["--", "env", "-i"] + envv + list(argv))

    def sh(self, argv, env=None, timeout=120):
        """Run argv the unit's way (see wrap) to completion."""
        p = subprocess.run(self.wrap(argv, env), capture_output=True,
                           text=True, timeout=timeout)
        self.log.append((list(argv), p.returncode, p.stdout + p.stderr))
        return p

    def _lines(self, key, env):
        for line in self.values(key):
            yield expand(line, env)

    def _bookkeeping(self):
        d = self.run_dir / ".unit-runner"
        d.mkdir(parents=True, exist_ok=True)
        return d / (self.name + ".pid"), d / (self.name + ".active")

    def main_pid(self):
        pidf, _ = self._bookkeeping()
        try:
            pid = int(pidf.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def start_available(self):
        """Whether ExecStart='s command exists on this build: `CMD
        --help` works (tproxyctl watch is added by another change)."""
        env = self.environment()
        for _, argv in self._lines("ExecStart", env):
            if self.sh(argv + ["--help"], env).returncode != 0:
                return False
        return True

    def start(self):
        """Returns True when the unit is active afterwards."""
        env = self.environment()
        if self.is_active():
            return True
        for ignore, argv in self._lines("ExecStartPre", env):
            if self.sh(argv, env).returncode != 0 and not ignore:
                self._stop_post(env)
                return False
        pidf, activef = self._bookkeeping()
        for _, argv in self._lines("ExecStart", env):
            out = open(self.run_dir / ".unit-runner" / "main.log", "ab")
            p = subprocess.Popen(self.wrap(argv, env), stdout=out,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL,
                                 start_new_session=True)
            pidf.write_text(str(p.pid))
            time.sleep(0.3)
            if p.poll() is not None:    # Type=simple: it failed
                self._stop_post(env)
                return False
        activef.write_text("1")
        return True

    def _stop_post(self, env):
        ok = True
        for ignore, argv in self._lines("ExecStopPost", env):
            if self.sh(argv, env).returncode != 0 and not ignore:
                ok = False
        pidf, activef = self._bookkeeping()
        for f in (pidf, activef):
            if f.exists():
                f.unlink()
        return ok

    def stop(self):
        env = self.environment()
        pid = self.main_pid()
        if pid:
            os.killpg(pid, signal.SIGTERM)
            end = time.monotonic() + 10
            while time.monotonic() < end and self.main_pid():
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.05)
            if self.main_pid():
                os.killpg(pid, signal.SIGKILL)
        return self._stop_post(env)

    def reload(self):
        env = self.environment()
        return all(self.sh(argv, env).returncode == 0 or ignore
                   for ignore, argv in self._lines("ExecReload", env))

    def is_active(self):
        _, activef = self._bookkeeping()
        if not activef.exists():
            return False
        return self.main_pid() is not None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--root", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--netns", required=True)
    ap.add_argument("verb")
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    units = [w for w in a.rest if not w.startswith("-")]
    rc = 0
    for name in units:
        u = Unit(a.root, name, a.netns, a.run)
        if a.verb == "is-active":
            active = u.is_active()
            if "--quiet" not in a.rest and "-q" not in a.rest:
                print("active" if active else "inactive")
            rc = rc or (0 if active else 3)
        elif a.verb in ("start", "stop", "restart", "reload"):
            ok = True
            if a.verb in ("stop", "restart"):
                ok = u.stop()
            if a.verb in ("start", "restart"):
                ok = u.start() and ok
            if a.verb == "reload":
                ok = u.reload()
            for cmd, code, out in u.log:
                sys.stderr.write("%s: %s (exit %d)\n%s" % (
                    u.name, " ".join(cmd), code, out))
            rc = rc or (0 if ok else 1)
        else:
            ap.error("verb %s not implemented" % a.verb)
    return rc


if __name__ == "__main__":
    sys.exit(main())
