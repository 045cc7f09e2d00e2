# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_package.py - the Debian package (debian/): `dpkg-buildpackage -b -us
-uc` in a copy of the tree builds tproxyd_VERSION_ARCH.deb, and the .deb
holds what an administrator expects: the programs in /usr/sbin (0755,
built with Debian's hardening flags: BIND_NOW, RELRO, PIE, stack
protector, FORTIFY), the configuration files as conffiles (0644), the
units, tmpfiles, logrotate and man pages; its maintainer scripts never
touch netfilter and start no unit; lintian finds no error or warning.

About 50 s on two cores (most of it compiling): not part of `make test`;
`make package-test` runs it (CI runs it after `make test`).
"""

import os
import re
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(cmd, **kw)


@pytest.fixture(scope="module")
def pkg(tmp_path_factory):
    """Build the package in a copy of the tree; returns (deb, dir, secs,
    build log)."""
    top = tmp_path_factory.mktemp("pkg")
    src = top / "tproxyd"
    files = run(["git", "-C", str(REPO), "ls-files", "-co",
                 "--exclude-standard"], check=True).stdout.split("\n")
    for f in files:
        if f and (REPO / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, src / f)
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2")
    t0 = time.monotonic()
    p = run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, env=env,
            timeout=900)
    secs = time.monotonic() - t0
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-4000:]
    debs = [d for d in top.glob("tproxyd_*.deb")]
    assert len(debs) == 1, list(top.iterdir())
    print("dpkg-buildpackage: %.1f s" % secs)
    return debs[0], top, secs, p.stdout + p.stderr


def contents(deb):
    """{path: (mode, owner, group, linkname)} from dpkg-deb --fsys-tarfile
    (what dpkg-deb -c lists)."""
    p = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)],
                       capture_output=True, check=True)
    out = {}
    import io
    with tarfile.open(fileobj=io.BytesIO(p.stdout)) as tf:
        for m in tf.getmembers():
            out["/" + m.name.lstrip("./")] = (m.mode, m.uname, m.gname,
                                              m.isdir())
    return out


def test_name_and_control(pkg):
    deb = pkg[0]
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    assert re.fullmatch(r"tproxyd_\d+\.\d+\.\d+_%s\.deb" % arch, deb.name)
    f = run(["dpkg-deb", "-f", str(deb)]).stdout
    dep = re.search(r"^Depends: (.*)$", f, re.M).group(1)
    for lib in ("libev4", "libc-ares2", "libcap2", "libssl3", "libc6"):
        assert lib in dep, dep         # from ${shlibs:Depends}
    assert re.search(r"^Recommends: .*nftables \| iptables", f, re.M), f


def test_contents(pkg):
    c = contents(pkg[0])
    want = {
        "/usr/sbin/tproxyd": 0o755, "/usr/sbin/tproxyctl": 0o755,
        "/etc/tproxyd/tproxyd.conf": 0o644,
        "/etc/tproxyd/nobump.domains": 0o644,
        "/etc/logrotate.d/tproxyd": 0o644,
        "/lib/systemd/system/tproxyd.service": 0o644,
        "/lib/systemd/system/tproxyctl.service": 0o644,
        "/usr/lib/tmpfiles.d/tproxyd.conf": 0o644,
        "/usr/share/man/man8/tproxyd.8.gz": 0o644,
        "/usr/share/man/man8/tproxyctl.8.gz": 0o644,
        "/usr/share/man/man5/tproxyd.conf.5.gz": 0o644,
        "/usr/share/doc/tproxyd/copyright": 0o644,
        "/usr/share/doc/tproxyd/NEWS.md.gz": 0o644,
        "/usr/share/doc/tproxyd/examples/wccp-gre.conf": 0o644,
        "/usr/share/bash-completion/completions/tproxyd": 0o644,
        "/usr/share/bash-completion/completions/tproxyctl": 0o644,
        "/usr/share/tproxyd/grafana/tproxyd.json": 0o644,
        "/usr/share/tproxyd/prometheus/tproxyd-alerts.yml": 0o644,
        "/usr/share/tproxyd/prometheus/tproxyd-alerts.test.yml": 0o644,
    }
    for path, mode in want.items():
        assert path in c, (path, sorted(c))
        assert c[path][0] == mode, (path, oct(c[path][0]))
        assert c[path][1:3] == ("root", "root"), (path, c[path])
    # Nothing outside the places a package may use, nothing setuid.
    for path, (mode, _, _, isdir) in c.items():
        assert re.match(r"/(etc|lib/systemd|usr/(sbin|lib/tmpfiles\.d|"
                        r"share/(doc|man|lintian|bash-completion|"
                        r"tproxyd)))(/|$)"
                        r"|/(usr|lib|usr/lib|usr/share)?/?$", path), path
        assert not mode & 0o6000, path
    assert not any("installed.txt" in p for p in c)
    conffiles = run(["dpkg-deb", "-I", str(pkg[0]), "conffiles"]).stdout
    assert sorted(conffiles.split()) == ["/etc/logrotate.d/tproxyd",
                                         "/etc/tproxyd/nobump.domains",
                                         "/etc/tproxyd/tproxyd.conf"]


def extract(pkg, tmp_path):
    root = tmp_path / "root"
    run(["dpkg-deb", "-x", str(pkg[0]), str(root)], check=True)
    ctl = tmp_path / "DEBIAN"
    run(["dpkg-deb", "-e", str(pkg[0]), str(ctl)], check=True)
    return root, ctl


def test_files_say_the_right_things(pkg, tmp_path):
    root, ctl = extract(pkg, tmp_path)
    tproxyd = root / "usr/sbin/tproxyd"
    v = run([str(tproxyd), "-v"]).stdout
    assert "configuration file: /etc/tproxyd/tproxyd.conf\n" in v, v
    # The shipped configuration loads with the packaged binary.
    p = run([str(tproxyd), "-k", "parse", "-f",
             str(root / "etc/tproxyd/tproxyd.conf")])
    assert p.returncode == 0, p
    unit = (root / "lib/systemd/system/tproxyd.service").read_text()
    assert "\nType=notify\n" in unit
    reload = re.findall(r"^ExecReload=(.*)$", unit, re.M)
    assert reload == [
        "/usr/sbin/tproxyd -k parse -f /etc/tproxyd/tproxyd.conf",
        "/usr/sbin/tproxyd -k reconfigure -f /etc/tproxyd/tproxyd.conf"]
    assert "\nUser=proxy\n" in unit and "\nWatchdogSec=" in unit
    tmpf = (root / "usr/lib/tmpfiles.d/tproxyd.conf").read_text()
    assert re.search(r"^d /var/log/tproxyd 0750 proxy proxy", tmpf, re.M)
    assert re.search(r"^d /var/spool/tproxyd 0750 proxy proxy", tmpf,
                     re.M)
    lr = (root / "etc/logrotate.d/tproxyd").read_text()
    assert "/var/log/tproxyd/*.log" in lr
    assert "/usr/sbin/tproxyd -k rotate" in lr
    # The logrotate file is valid for logrotate itself (debug: no action).
    if shutil.which("logrotate") or Path("/usr/sbin/logrotate").exists():
        lrbin = shutil.which("logrotate") or "/usr/sbin/logrotate"
        p = run([lrbin, "-d", "-s", str(tmp_path / "lrstate"),
                 str(root / "etc/logrotate.d/tproxyd")])
        assert p.returncode == 0 and \
            "error" not in (p.stdout + p.stderr).lower(), p


def test_maintainer_scripts(pkg, tmp_path):
    _, ctl = extract(pkg, tmp_path)
    scripts = {f.name: f.read_text() for f in ctl.iterdir()
               if f.name in ("preinst", "postinst", "prerm", "postrm")}
    assert "postinst" in scripts
    for name, text in scripts.items():
        code = "\n".join(ln for ln in text.splitlines()
                         if not ln.lstrip().startswith("#"))
        for word in ("nft", "iptables", "ip6tables", "ip rule",
                     "ip route", "sysctl", "tproxyctl setup",
                     "tproxyctl teardown"):
            assert not re.search(r"(^|[\s/])%s\b" % re.escape(word), code), \
                (name, word)
        # No unit is started or restarted (enabling is the administrator's
        # choice: tproxyd.service pulls in the rules unit).
        assert not re.search(r"deb-systemd-invoke\s+(start|restart|"
                             r"try-restart)", code), name
        assert "deb-systemd-helper enable" not in code or \
            "was-enabled" in code, name
    # Run as dpkg would, under a fake systemd (tools on PATH logging their
    # arguments; /run/systemd/system replaced by a directory that exists):
    # a new installation, an upgrade, a removal, a purge.
    fake = tmp_path / "fakebin"
    fake.mkdir()
    log = tmp_path / "calls"
    for tool in ("deb-systemd-helper", "deb-systemd-invoke", "systemctl",
                 "systemd-tmpfiles"):
        (fake / tool).write_text(
            '#!/bin/sh\necho "%s $*" >> %s\n'
            # was-enabled: true on a first installation, as the real one.
            'case "$*" in *debian-installed*) exit 1;; esac\nexit 0\n'
            % (tool, log))
        (fake / tool).chmod(0o755)
    sdrun = tmp_path / "run-systemd-system"
    sdrun.mkdir()
    env = dict(os.environ, PATH="%s:/usr/sbin:/usr/bin:/sbin:/bin" % fake)
    runs = [("postinst", "configure", ""), ("postinst", "configure", "0.0.9"),
            ("prerm", "upgrade", "0.1.1"), ("prerm", "remove", ""),
            ("postrm", "remove", ""), ("postrm", "purge", "")]
    calls = {}
    for name, arg1, arg2 in runs:
        script = tmp_path / ("run-" + name)
        text = scripts[name].replace("/run/systemd/system", str(sdrun))
        # A purge must not remove this machine's logs in the test.
        text = text.replace("rm -rf /var/log/tproxyd", "true")
        script.write_text(text)
        script.chmod(0o755)
        log.write_text("")
        p = run([str(script), arg1] + ([arg2] if arg2 else []), env=env)
        assert p.returncode == 0, (name, arg1, p)
        calls[(name, arg1, arg2)] = log.read_text().splitlines()
    for key, lines in calls.items():
        for ln in lines:
            # Nothing enabled or started, ever.
            assert not re.match(r"deb-systemd-helper (--quiet )?enable ",
                                ln), (key, ln)
            assert not re.match(r"(deb-systemd-invoke|systemctl)( --\S+)* "
                                r"(start|restart|try-restart|reload)", ln), \
                (key, ln)
    assert not any("stop" in ln for ln in
                   calls[("prerm", "upgrade", "0.1.1")]), calls
    assert "deb-systemd-invoke stop tproxyd.service tproxyctl.service" in \
        calls[("prerm", "remove", "")], calls
    # Removal (not upgrade) stops both units.
    assert re.search(r'"\$1" = remove .*\n\s*deb-systemd-invoke stop '
                     r'tproxyd.service tproxyctl.service',
                     scripts["prerm"]), scripts["prerm"]


def test_hardening(pkg, tmp_path):
    root, _ = extract(pkg, tmp_path)
    log = pkg[3]
    assert "-D_FORTIFY_SOURCE=2" in log and "-fstack-protector-strong" \
        in log and "-Wl,-z,now" in log
    # -Werror and the tree's warnings were kept beside Debian's flags.
    assert re.search(r"cc .*-fstack-protector-strong.*-Werror .*-Wshadow",
                     log)
    for b in ("tproxyd", "tproxyctl"):
        path = str(root / "usr/sbin" / b)
        d = run(["readelf", "-d", "-W", path]).stdout
        assert re.search(r"\(FLAGS\).*BIND_NOW", d), (b, d)
        assert re.search(r"\(FLAGS_1\).*NOW.*PIE|\(FLAGS_1\).*PIE", d), b
        h = run(["readelf", "-h", path]).stdout
        assert "DYN" in h, b           # position independent
        lt = run(["readelf", "-lW", path]).stdout
        assert "GNU_RELRO" in lt, b
        syms = run(["readelf", "--dyn-syms", "-W", path]).stdout
        assert "__stack_chk_fail" in syms, b
        assert re.search(r"__\w+_chk\b", syms.replace("__stack_chk_fail",
                                                      "")), b  # FORTIFY


def test_lintian(pkg):
    lintian = shutil.which("lintian") or "/usr/bin/lintian"
    p = run([lintian, "--fail-on", "error", str(pkg[0])], timeout=300)
    # No error and no warning (debian/tproxyd.lintian-overrides says why
    # the few informational tags that do not apply are overridden).
    errors = [ln for ln in p.stdout.splitlines() if ln[:2] in ("E:", "W:")]
    assert not errors, p.stdout
    assert p.returncode == 0, p.stdout + p.stderr


# --- the installed package under a real systemd ----------------------------

def _boot_with_package(pkg, tmp_path):
    """A container booted by a real systemd (systemd_boot.py) whose /etc,
    /usr and /var are this machine's under writable overlays (whatever
    the package installs there goes to tmp_path, never to this machine),
    in a network namespace of its own (loopback only); the .deb's
    directory is visible at its own path. Returns (box, netns name)."""
    import uuid
    import systemd_boot
    if os.geteuid() != 0 or not systemd_boot.available():
        pytest.fail("needs root and systemd-nspawn (package systemd-"
                    "container, installed by scripts/deps.sh)")
    ns = "tpxpkg%s" % uuid.uuid4().hex[:8]
    run(["ip", "netns", "add", ns], check=True)
    run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
    ups = []
    for d in ("etc", "usr", "var"):
        u = tmp_path / "upper" / d
        u.mkdir(parents=True)
        ups.append(("/" + d, u))
    box = systemd_boot.Booted(None, tmp_path / "etc", ns,
                              ro=[pkg[0].parent], log=tmp_path / "boot.log",
                              overlays=ups)
    try:
        box.boot()
    except BaseException:
        box.kill()
        run(["ip", "netns", "del", ns])
        raise
    return box, ns


def _sh(box, script, timeout=60):
    p = box.run(["sh", "-c", script], timeout=timeout)
    return p


def _must(box, script, timeout=60):
    p = _sh(box, script, timeout)
    assert p.returncode == 0, "%s\n--- stdout\n%s\n--- stderr\n%s" % (
        script, p.stdout[-3000:], p.stderr[-3000:])
    return p.stdout


def _wait_out(box, script, pred, timeout=10.0):
    """script's output once pred(output) holds (polled), else the last."""
    end = time.monotonic() + timeout
    while True:
        out = _sh(box, script).stdout
        if pred(out) or time.monotonic() > end:
            return out
        time.sleep(0.2)


def _show(box, props="MainPID,ActiveState,SubState,StatusText"):
    out = _must(box, "systemctl show -p %s tproxyd.service" % props)
    return dict(ln.split("=", 1) for ln in out.splitlines() if "=" in ln)


def test_installed_service_starts_reloads_rotates_upgrades(pkg, tmp_path):
    """`apt install ./tproxyd_*.deb` on a machine booted by systemd, then
    what an administrator does: the default configuration is found, the
    service starts (systemctl returns when the port is open), serves and
    logs, reloads (a broken file is refused and the service stays up),
    rotates its logs with the package's logrotate file, is upgraded in
    place under load (apt installs the package again), and stops. systemd-analyze security rates the installed units."""
    box, ns = _boot_with_package(pkg, tmp_path)
    try:
        _must(box, "apt-get install -y --no-install-recommends %s "
              "</dev/null" % pkg[0], timeout=180)
        # Installing started nothing.
        assert _show(box)["ActiveState"] == "inactive"
        out = _must(box, "tproxyd -k parse && tproxyd -v")
        assert "/etc/tproxyd/tproxyd.conf" in out, out
        # An origin on loopback, with a file to fetch.
        _must(box, "mkdir -p /run/origin && echo hello from the origin "
              "> /run/origin/hello.txt && cp /run/origin/hello.txt "
              "/run/origin/second.txt && systemd-run --unit=tpxorigin "
              "--property=Type=exec python3 -m http.server 8080 --bind "
              "127.0.0.1 --directory /run/origin")
        _must(box, "systemctl start tproxyd.service", timeout=90)
        st = _show(box)
        assert st["ActiveState"] == "active", st
        assert st["StatusText"].startswith("serving"), st
        pid = st["MainPID"]
        # Type=notify: the port is open when `systemctl start` returns.
        fetch = ("curl -sS --max-time 10 --retry 20 --retry-connrefused "
                 "--retry-delay 0 -x http://127.0.0.1:3128 "
                 "http://127.0.0.1:8080/%s.txt")
        assert _must(box, fetch.replace(" --retry 20 --retry-connrefused "
                                        "--retry-delay 0", "") % "hello") == \
            "hello from the origin\n"
        log = "/var/log/tproxyd/access.log"
        out = _wait_out(box, "cat %s" % log, lambda o: "hello.txt" in o)
        assert "http://127.0.0.1:8080/hello.txt" in out and \
            "TCP_MISS/200" in out, out
        # The journal has cache.log's lines, with priorities.
        out = _must(box, "journalctl -u tproxyd --no-pager -o cat")
        assert "Starting tproxyd version" in out, out

        # Reload: a good file is taken, a broken one refused.
        conf = "/etc/tproxyd/tproxyd.conf"
        _must(box, "sed -i 's/^http_access allow localhost$/acl blocked "
              "dstdomain blocked.test\\nhttp_access deny blocked\\n&/' %s && "
              "grep -B1 -A1 'deny blocked' %s" % (conf, conf))
        _must(box, "systemctl reload tproxyd.service", timeout=60)
        assert _show(box)["MainPID"] == pid
        out = _sh(box, "curl -sS -o /dev/null -w '%{http_code}' -x "
                  "http://127.0.0.1:3128 http://blocked.test/").stdout
        assert out == "403", out
        _must(box, "echo 'no_such_directive on' >> %s" % conf)
        p = _sh(box, "systemctl reload tproxyd.service", timeout=60)
        assert p.returncode != 0, p
        st = _show(box)
        assert st["ActiveState"] == "active" and st["MainPID"] == pid, st
        out = _must(box, "journalctl -u tproxyd --no-pager -o cat")
        assert "no_such_directive" in out, out
        _must(box, "sed -i '/^no_such_directive/d' %s" % conf)

        # Rotate with the package's logrotate file.
        _must(box, "logrotate -f /etc/logrotate.d/tproxyd")
        _must(box, fetch % "second")
        out = _wait_out(box, "cat %s" % log, lambda o: "second.txt" in o)
        assert "second.txt" in out and "hello.txt" not in out, out
        assert "access.log.1" in _must(box, "ls /var/log/tproxyd")
        assert "hello.txt" in _must(box, "cat %s.1" % log)
        assert _show(box)["MainPID"] == pid

        # An upgrade (apt installs the package again): the postinst hands
        # the running service over to the new program in place, while a
        # client keeps asking; no request fails, the service's main pid
        # stays, and the process runs the new file (not the replaced,
        # deleted one).
        _must(box, "systemd-run --unit=tpxload --property=Type=exec sh -c "
              "'for i in $(seq 600); do curl -sS -o /dev/null -w "
              "\"%{http_code}\\n\" --max-time 10 -x http://127.0.0.1:3128 "
              "http://127.0.0.1:8080/hello.txt >> /run/codes 2>&1; "
              "sleep 0.01; done'")
        _wait_out(box, "wc -l < /run/codes 2>/dev/null || echo 0",
                  lambda o: o.strip().isdigit() and int(o) >= 50)
        _must(box, "apt-get install -y --reinstall --no-install-recommends "
              "%s </dev/null" % pkg[0], timeout=180)
        _wait_out(box, "systemctl is-active tpxload",
                  lambda o: o.strip() != "active", timeout=60)
        codes = _must(box, "cat /run/codes").split()
        assert len(codes) == 600 and set(codes) == {"200"}, \
            (len(codes), sorted(set(codes)))
        st = _show(box)
        assert st["ActiveState"] == "active" and st["MainPID"] == pid, st
        exe = _must(box, "readlink /proc/%s/exe" % pid).strip()
        assert exe == "/usr/sbin/tproxyd", exe
        out = _must(box, "journalctl -u tproxyd --no-pager -o cat")
        assert out.count("Starting tproxyd version") >= 2, out[-3000:]

        # How exposed the installed units are.
        for unit in ("tproxyd.service", "tproxyctl.service"):
            out = _must(box, "systemd-analyze security --no-pager %s" %
                        unit)
            m = re.search(r"Overall exposure level for %s: ([0-9.]+)" %
                          re.escape(unit), out)
            assert m, out[-2000:]
            print("systemd-analyze security %s: %s" % (unit, m.group(1)))
            # 1.8 and 2.7 when written; Debian's squid.service: 9.8.
            assert float(m.group(1)) <= {"tproxyd.service": 2.5,
                                         "tproxyctl.service": 3.5}[unit], \
                out

        _must(box, "systemctl stop tproxyd.service", timeout=90)
        assert _show(box)["ActiveState"] in ("inactive", "failed")
        assert _show(box)["ActiveState"] == "inactive", \
            _must(box, "journalctl -u tproxyd --no-pager -o cat")
    finally:
        box.kill()
        run(["ip", "netns", "del", ns])
