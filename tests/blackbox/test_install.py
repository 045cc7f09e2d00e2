# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_install.py - `make install` and `make uninstall` (Makefile) in a copy
of the tree (so the build the other tests use is not rebuilt under them):
after `make`, `make install PREFIX=/usr DESTDIR=ROOT` rebuilds what
compiles the configuration path in, and the installed binary reads
/etc/tproxyd/tproxyd.conf (`tproxyd -v`, `-k parse` without -f); the
units and the man page name the same paths; `make uninstall` removes
exactly what was installed, except a configuration file the administrator
edited or that was there before.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


# The copy is built and installed as a user would: nothing of the make
# that runs the tests reaches it (`make test SAN=1` exports SAN=1 to the
# environment and MAKEFLAGS, which a sub-make would follow into
# build/san).
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL",
                          "MAKEOVERRIDES", "SAN")}


def make(tree, *args, timeout=300):
    p = subprocess.run(["make", "-j2", "-C", str(tree)] + list(args),
                       capture_output=True, text=True, timeout=timeout,
                       env=CLEAN_ENV)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of the source tree with the current build/ objects."""
    d = tmp_path_factory.mktemp("tree") / "src"
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-co",
                            "--exclude-standard"], capture_output=True,
                           text=True, check=True).stdout.split("\n")
    for f in files:
        if f and (REPO / f).is_file():
            (d / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, d / f)
    build = os.environ.get("TPROXYD_BUILD", "build")
    if build == "build" and (REPO / "build").is_dir():
        shutil.copytree(REPO / "build", d / "build", symlinks=True,
                        ignore=shutil.ignore_patterns("tests", "fuzz",
                                                      "san", "*.log"))
    make(d, "all")                      # default PREFIX=/usr/local
    return d


def version(binary):
    return subprocess.run([str(binary), "-v"], capture_output=True,
                          text=True, timeout=10).stdout


def test_install_prefix_usr(tree, tmp_path):
    assert "configuration file: /usr/local/etc/tproxyd/tproxyd.conf" in \
        version(tree / "build/tproxyd")
    root = tmp_path / "root"
    make(tree, "install", "PREFIX=/usr", "DESTDIR=%s" % root)
    sbin = root / "usr/sbin"
    assert "configuration file: /etc/tproxyd/tproxyd.conf\n" in \
        version(sbin / "tproxyd")
    # -k parse without -f reads (here: names) that file.
    p = subprocess.run([str(sbin / "tproxyd"), "-k", "parse"],
                       capture_output=True, text=True, timeout=10)
    if not Path("/etc/tproxyd/tproxyd.conf").exists():
        assert "/etc/tproxyd/tproxyd.conf" in p.stdout + p.stderr, p
    assert (root / "etc/tproxyd/tproxyd.conf").read_bytes() == \
        (REPO / "etc/tproxyd.conf").read_bytes()
    # The units name the same paths.
    unit = (root / "usr/lib/systemd/system/tproxyd.service").read_text()
    assert "ExecStart=/usr/sbin/tproxyd -N -f /etc/tproxyd/tproxyd.conf" \
        in unit
    assert "@SBINDIR@" not in unit and "@SYSCONFDIR@" not in unit
    ctl = (root / "usr/lib/systemd/system/tproxyctl.service").read_text()
    assert "/usr/sbin/tproxyctl setup -f /etc/tproxyd/tproxyd.conf" in ctl
    # Modes.
    assert oct((sbin / "tproxyd").stat().st_mode & 0o7777) == "0o755"
    assert oct((root / "etc/tproxyd/tproxyd.conf").stat().st_mode
               & 0o7777) == "0o644"
    # The man page's FILES name the package's path.
    man = (root / "usr/share/man/man8/tproxyd.8").read_text()
    files = man.split(".SH FILES")[1].split(".SH")[0]
    assert "\n.I /etc/tproxyd/tproxyd.conf\n" in files, files

    # The monitoring files: the dashboard and the alert rules.
    share = root / "usr/share/tproxyd"
    assert (share / "grafana/tproxyd.json").read_bytes() == \
        (REPO / "packaging/grafana/tproxyd.json").read_bytes()
    for f in ("tproxyd-alerts.yml", "tproxyd-alerts.test.yml"):
        assert (share / "prometheus" / f).read_bytes() == \
            (REPO / "packaging/prometheus" / f).read_bytes()
        assert oct((share / "prometheus" / f).stat().st_mode
                   & 0o7777) == "0o644"

    # An edited configuration file stays at uninstall; the rest goes.
    conf = root / "etc/tproxyd/tproxyd.conf"
    conf.write_text(conf.read_text() + "# edited by the administrator\n")
    p = make(tree, "uninstall", "PREFIX=/usr", "DESTDIR=%s" % root)
    assert "keeping %s" % conf in p.stdout, p.stdout
    left = sorted(str(f.relative_to(root)) for f in root.rglob("*")
                  if f.is_file())
    assert left == ["etc/tproxyd/tproxyd.conf"], left
    assert not share.exists()


def test_install_keeps_existing_config(tree, tmp_path):
    """A configuration file there before install is neither replaced nor
    removed by uninstall; install refuses a binary built for another
    path."""
    root = tmp_path / "root"
    (root / "usr/local/etc/tproxyd").mkdir(parents=True)
    mine = root / "usr/local/etc/tproxyd/tproxyd.conf"
    mine.write_text("http_port 3128\n")
    make(tree, "install", "DESTDIR=%s" % root)
    assert mine.read_text() == "http_port 3128\n"
    assert (root / "usr/local/etc/tproxyd/nobump.domains").exists()
    assert "configuration file: /usr/local/etc/tproxyd/tproxyd.conf" in \
        version(root / "usr/local/sbin/tproxyd")
    make(tree, "uninstall", "DESTDIR=%s" % root)
    left = sorted(str(f.relative_to(root)) for f in root.rglob("*")
                  if f.is_file())
    assert left == ["usr/local/etc/tproxyd/tproxyd.conf"], left
    # A binary compiled for another configuration path is refused.
    (tree / "build/paths.txt").write_text("CONF=/usr/local/etc/tproxyd/"
                                          "tproxyd.conf\n")
    p = subprocess.run(["make", "-C", str(tree), "install", "PREFIX=/usr",
                        "DESTDIR=%s" % root, "-o", "build/src/proc/main.o",
                        "-o", "build/tproxyd", "-o", "build/paths.txt"],
                       capture_output=True, text=True, timeout=300,
                       env=CLEAN_ENV)
    assert p.returncode != 0 and "reads another configuration file" in \
        p.stderr, p
