# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_cli.py - the command lines: --help and --version of tproxyd and of
tproxyctl and each of its commands, the exit statuses (0 done, 1 failed,
2 bad command line) the man pages promise, `tproxyctl status --json`
read back with json.loads, and the bash completion files sourced into a
real bash (with and without the bash-completion package's helpers).
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import harness
from harness import curl, free_port, poll, require_tproxyd, tproxyd_bin

ROOT = Path(__file__).resolve().parents[2]
CTL_SRC = ROOT / "tools" / "tproxyctl" / "main.c"
COMPLETION = ROOT / "etc" / "bash-completion"
SYSTEM_BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")


def tproxyctl_bin():
    return str(Path(tproxyd_bin()).parent / "tproxyctl")


def run(args, timeout=20):
    return subprocess.run(args, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ctl(*args, timeout=20):
    return run([tproxyctl_bin()] + list(args), timeout)


def version():
    mk = (ROOT / "Makefile").read_text()
    m = re.search(r"^VERSION\s*[:?]?=\s*(\S+)", mk, re.M)
    return m.group(1) if m else None


def subcommands():
    """The commands main.c dispatches on: what --help, the man page and
    the completion must all cover."""
    src = CTL_SRC.read_text()
    cmds = set(re.findall(r'strcmp\(argv\[1\], "([a-z]+)"\)', src))
    assert {"setup", "teardown", "status", "doctor", "ca"} <= cmds, cmds
    return sorted(cmds)


# -- tproxyd -----------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_tproxyd_help(flag):
    r = run([require_tproxyd(), flag])
    assert r.returncode == 0, r
    assert r.stdout.startswith("usage: tproxyd"), r.stdout
    for word in ("--version", "-k parse", "Exit status"):
        assert word in r.stdout, r.stdout
    assert r.stderr == ""


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_tproxyd_version(flag):
    r = run([require_tproxyd(), flag])
    assert r.returncode == 0
    # the version, then the configuration file read by default
    assert re.fullmatch(r"tproxyd version \S+\nconfiguration file: /\S+\n",
                        r.stdout), r.stdout
    want = version()
    if want:
        assert r.stdout.split()[2] == want


@pytest.mark.parametrize("args", [["--bogus"], ["-k"], ["extra-word"],
                                  ["-k", "no-such-action"]])
def test_tproxyd_usage_errors(args, tmp_path):
    conf = tmp_path / "t.conf"
    conf.write_text("http_port 127.0.0.1:%d\n" % free_port())
    r = run([require_tproxyd(), "-f", str(conf)] + args)
    assert r.returncode == 2, r
    assert "usage: tproxyd" in r.stderr and r.stdout == ""


def test_tproxyd_failures_exit_1(tmp_path):
    """Failures are 1: a configuration with errors (-k parse), and a
    signal to an instance that is not running."""
    bad = tmp_path / "bad.conf"
    bad.write_text("http_port 3128\nno_such_directive on\n")
    r = run([require_tproxyd(), "-k", "parse", "-f", str(bad)])
    assert r.returncode == 1
    assert re.search(r"bad\.conf:2: ", r.stderr), r.stderr
    good = tmp_path / "good.conf"
    good.write_text("http_port 127.0.0.1:%d\npid_filename %s/none.pid\n" %
                    (free_port(), tmp_path))
    assert run([require_tproxyd(), "-k", "parse", "-f",
                str(good)]).returncode == 0
    r = run([require_tproxyd(), "-k", "rotate", "-f", str(good)])
    assert r.returncode == 1 and "no running copy" in r.stderr, r


# -- tproxyctl ---------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_tproxyctl_help(flag):
    r = ctl(flag)
    assert r.returncode == 0 and r.stderr == "", r
    for cmd in subcommands():
        assert re.search(r"^  %s\s" % cmd, r.stdout, re.M), (cmd, r.stdout)
    assert "--version" in r.stdout and "Exit status" in r.stdout


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_tproxyctl_version(flag):
    r = ctl(flag)
    assert r.returncode == 0
    assert re.fullmatch(r"tproxyctl version \S+\n", r.stdout), r.stdout
    assert r.stdout.split()[-1] == run([require_tproxyd(), "--version"]) \
        .stdout.split()[2]


def test_every_command_has_help(tmp_path):
    """`tproxyctl CMD --help` (and -h, and --help after other options)
    prints that command's usage on stdout, exits 0 and changes nothing:
    no state file is written, even for setup and teardown."""
    state = tmp_path / "state"
    for cmd in subcommands():
        for args in (["--help"], ["-h"], ["--state", str(state), "--help"]):
            r = ctl(cmd, *args)
            assert r.returncode == 0, (cmd, args, r)
            assert r.stdout.startswith("usage: tproxyctl %s" % cmd), \
                (cmd, r.stdout)
            assert r.stderr == "", (cmd, r.stderr)
    for sub in ("create", "show", "export"):
        r = ctl("ca", sub, "--help")
        assert r.returncode == 0 and "tproxyctl ca %s" % sub in r.stdout
    assert not state.exists()


def test_setup_help_lists_every_setup_option():
    """Every option of setup's synopsis (the usage a bad command line
    prints) is explained in `tproxyctl setup --help`."""
    usage = ctl().stderr
    synopsis = usage[usage.index("usage: tproxyctl setup"):
                     usage.index("tproxyctl teardown")]
    opts = set(re.findall(r"--[a-z][a-z0-9-]+", synopsis))
    assert len(opts) > 15, synopsis
    text = ctl("setup", "--help").stdout
    explained = set(re.findall(r"--[a-z][a-z0-9-]+", text))
    missing = sorted(o for o in opts if o not in explained)
    assert not missing, (missing, text)


def test_tproxyctl_usage_errors():
    """Bad command lines are 2, with the usage on stderr."""
    for args in ([], ["no-such-command"], ["setup", "--no-such-option"],
                 ["status", "--no-such-option"], ["teardown", "--bogus"],
                 ["watch", "--bogus"], ["doctor", "--dry-run"],
                 ["ca", "create", "--bogus"], ["setup", "--family", "ipv5"]):
        r = ctl(*args)
        assert r.returncode == 2, (args, r)
        assert "usage: tproxyctl" in r.stderr and r.stdout == "", (args, r)


def test_man_pages_exit_status():
    """Both man pages have an EXIT STATUS section with 0, 1 and 2, and
    tproxyctl(8) names every command and the status --json keys."""
    for page in ("tproxyd.8", "tproxyctl.8"):
        text = (ROOT / "doc" / page).read_text()
        m = re.search(r"^\.SH EXIT STATUS\n(.*?)(?=^\.SH )", text, re.M | re.S)
        assert m, page
        for code in ("0", "1", "2"):
            assert re.search(r"^\.B %s\b|^%s\b|^\.IP %s\b" % (code, code,
                             code), m.group(1), re.M), (page, code)
    man = (ROOT / "doc" / "tproxyctl.8").read_text()
    for cmd in subcommands():
        assert re.search(r"\b%s\b" % cmd, man), cmd
    for key in STATUS_KEYS:
        assert key in man, key


# -- tproxyctl status --json -------------------------------------------------

STATUS_KEYS = ("format", "version", "config", "pid_file", "running", "pid",
               "stats_port", "metrics_error", "intercept")
METRIC_KEYS = ("clients", "requests", "servers", "bytes", "cache",
               "host_forgeries", "errors", "workers")


def test_status_json_not_running(tmp_path):
    conf = tmp_path / "t.conf"
    conf.write_text("http_port 127.0.0.1:%d\npid_filename %s/t.pid\n" %
                    (free_port(), tmp_path))
    r = ctl("status", "-f", str(conf), "--state", str(tmp_path / "st"),
            "--json")
    assert r.returncode == 1, r
    d = json.loads(r.stdout)
    assert set(STATUS_KEYS) <= set(d), d
    assert d["running"] is False and d["pid"] is None
    assert d["config"] == str(conf)
    assert d["pid_file"] == "%s/t.pid" % tmp_path
    assert d["intercept"] == {"state_file": str(tmp_path / "st"),
                              "recorded": False, "error": None}
    assert not any(k in d for k in METRIC_KEYS)


@pytest.mark.parametrize("workers", [1, 2])
def test_status_json_running(tproxyd, origin, tmp_path, workers):
    sport = free_port()
    lines = ["stats_port 127.0.0.1:%d" % sport]
    if workers > 1:
        lines.append("workers %d" % workers)
    p = tproxyd(lines)
    for i in range(3):
        assert curl(p.port, origin.url("/bytes/%d" % i)).status == 200

    def status():
        r = ctl("status", "-f", str(p.conf), "--state",
                str(tmp_path / "none"), "--json")
        assert r.returncode == 0, r
        return json.loads(r.stdout)
    # Counters are written when each transaction ends.
    assert poll(lambda: status()["requests"]["total"] >= 3, 5)
    d = status()
    assert set(STATUS_KEYS + METRIC_KEYS) <= set(d), sorted(d)
    assert d["running"] is True and d["pid"] == p.proc.pid
    assert d["stats_port"] == "127.0.0.1:%d" % sport
    assert d["metrics_error"] is None
    assert d["requests"]["2xx"] >= 3, d["requests"]
    assert d["clients"]["accepting"] is True
    assert isinstance(d["servers"]["connect_ms_average"], float)
    assert d["bytes"]["client_out"] > 0
    assert set(d["cache"]) >= {"lookups", "hits", "objects"}
    if workers > 1:
        assert [w["kid"] for w in d["workers"]] == [1, 2], d["workers"]
        assert all(w["up"] and w["accepting"] for w in d["workers"])
    else:
        assert d["workers"] == []
    assert d["version"] == run([require_tproxyd(), "--version"]) \
        .stdout.split()[2]


def test_status_json_odd_paths(tmp_path):
    """Paths with quotes and backslashes stay valid JSON."""
    d = tmp_path / 'we"ird\\dir'
    d.mkdir()
    conf = d / "t.conf"
    conf.write_text("http_port 127.0.0.1:%d\npid_filename %s/t.pid\n" %
                    (free_port(), tmp_path))
    r = ctl("status", "-f", str(conf), "--json")
    assert json.loads(r.stdout)["config"] == str(conf)


# -- bash completion ---------------------------------------------------------

def complete(prog, line, system=False):
    """The words bash completion offers for `line` (the cursor at its end),
    with the file from etc/bash-completion sourced into a fresh bash;
    system: after the bash-completion package's own helpers."""
    words = line.split(" ")
    script = ""
    if system:
        script += "source %s\n" % SYSTEM_BASH_COMPLETION
    script += ("source %s\n" % (COMPLETION / prog) +
               "complete -p %s || exit 9\n" % prog +
               "COMP_WORDS=(%s)\n" % " ".join("'%s'" % w for w in words) +
               "COMP_CWORD=%d\n" % (len(words) - 1) +
               "COMP_LINE='%s'\nCOMP_POINT=%d\n" % (line, len(line)) +
               "func=$(complete -p %s | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')"
               "\n" % prog +
               "$func %s '%s' '%s'\n" % (prog, words[-1],
                                         words[-2] if len(words) > 1 else "")
               + 'printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script],
                       capture_output=True, text=True, timeout=20,
                       cwd=str(ROOT))
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "complete -F _%s %s" % (prog, prog), lines
    return sorted(w for w in lines[1:] if w)


SYSTEMS = [False] + ([True] if SYSTEM_BASH_COMPLETION.exists() else [])


@pytest.mark.parametrize("system", SYSTEMS)
def test_completion_tproxyctl(system):
    got = complete("tproxyctl", "tproxyctl ", system)
    assert got == sorted(subcommands() + ["--help", "--version"]), got
    assert complete("tproxyctl", "tproxyctl st", system) == ["status"]
    assert complete("tproxyctl", "tproxyctl status --", system) == \
        ["--help", "--json", "--state"]
    assert complete("tproxyctl", "tproxyctl setup --fam", system) == \
        ["--family"]
    assert complete("tproxyctl", "tproxyctl setup --family ", system) == \
        ["both", "ipv4", "ipv6"]
    assert complete("tproxyctl", "tproxyctl doctor --backend ", system) == \
        ["iptables", "nft"]
    assert complete("tproxyctl", "tproxyctl ca ", system) == \
        ["--help", "create", "export", "show"]
    assert complete("tproxyctl", "tproxyctl ca export --", system) == \
        ["--der", "--dir", "--help"]
    assert "lo" in complete("tproxyctl", "tproxyctl setup --iface ", system)
    # Files after -f: the repository's Makefile is offered for "Make".
    assert "Makefile" in complete("tproxyctl", "tproxyctl status -f Make",
                                  system)


@pytest.mark.parametrize("system", SYSTEMS)
def test_completion_tproxyd(system):
    assert complete("tproxyd", "tproxyd -k ", system) == sorted(
        ["parse", "reconfigure", "rotate", "upgrade", "shutdown", "interrupt",
         "kill", "check"])
    assert complete("tproxyd", "tproxyd -k re", system) == \
        ["reconfigure"]
    assert complete("tproxyd", "tproxyd --", system) == \
        ["--help", "--version"]


def test_completion_covers_every_option():
    """Each option tproxyctl's source knows appears in the completion
    file: a new option without completion fails here."""
    # The files that read tproxyctl's own command line (the others
    # build iptables and nft command lines).
    src = "".join((ROOT / "tools" / "tproxyctl" / f).read_text()
                  for f in ("main.c", "ca.c", "watch.c", "help.c"))
    opts = set(re.findall(r'"(--[a-z][a-z0-9-]+)"', src))
    comp = (COMPLETION / "tproxyctl").read_text()
    opts.discard("--noflush")   # iptables-restore's, run by watch.c
    missing = sorted(o for o in opts if o not in comp)
    assert not missing, missing


def test_make_install_puts_completions(tmp_path):
    """`make install` puts both files where bash-completion looks. With
    the paths the tree was built for: another PREFIX would rewrite the
    build's compiled-in paths (make reads them when it starts, even with
    -n), and tests running beside this one would see tproxyd rebuilt
    under them."""
    paths = harness.BUILD / "paths.txt"
    before = paths.read_text() if paths.exists() else None
    r = subprocess.run(["make", "-n", "install", "DESTDIR=%s" % tmp_path],
                       capture_output=True, text=True, cwd=str(ROOT),
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert re.search(r"install -m 644 etc/bash-completion/tproxyd\s*\\?\s*"
                     r"etc/bash-completion/tproxyctl %s/usr/local/share/"
                     r"bash-completion/completions/" % re.escape(
                         str(tmp_path)), r.stdout), r.stdout
    assert (paths.read_text() if paths.exists() else None) == before
    assert os.path.exists(COMPLETION / "tproxyd")
