# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_logrotate.py - the package's logrotate file (debian/tproxyd.logrotate)
run by the real logrotate on a running tproxyd: its paths replaced by the
test's (log directory, binary and -f), everything else as shipped. The old
lines end up in access.log.1 and cache.log.1, and tproxyd, told by
`tproxyd -k rotate`, writes the next ones to new access.log and cache.log
(owned by the user tproxyd runs as).
"""

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from harness import curl, poll, require_tproxyd

REPO = Path(__file__).resolve().parents[2]


def logrotate_bin():
    b = shutil.which("logrotate") or "/usr/sbin/logrotate"
    assert os.path.exists(b), "logrotate is needed (scripts/deps.sh test)"
    return b


def test_logrotate_file(tproxyd, origin, tmp_path):
    t = tproxyd()
    r = curl(t.port, origin.url("/before"))
    assert r.status == 200, r
    t.wait_access_url(origin.url("/before"))
    shipped = (REPO / "debian/tproxyd.logrotate").read_text()
    assert "/var/log/tproxyd/*.log" in shipped
    assert shipped.count("/usr/sbin/tproxyd -k ") == 2
    conf = (shipped.replace("/var/log/tproxyd/", "%s/" % t.dir)
            .replace("/usr/sbin/tproxyd -k ", "%s -f %s -k " %
                     (require_tproxyd(), t.conf)))
    lr = tmp_path / "logrotate.conf"
    lr.write_text(conf)
    p = subprocess.run([logrotate_bin(), "-f", "-v", "-s",
                        str(tmp_path / "state"), str(lr)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    old = t.dir / "access.log.1"
    assert old.exists(), p.stderr
    assert "/before" in old.read_text()
    assert (t.dir / "cache.log.1").exists()
    # tproxyd reopened its logs: new files, the next lines in them.
    assert poll(lambda: (t.dir / "access.log").exists(), 5), p.stderr
    r = curl(t.port, origin.url("/after"))
    assert r.status == 200, r
    t.wait_access_url(origin.url("/after"))
    assert "/after" not in old.read_text()
    assert "/before" not in (t.dir / "access.log").read_text()
    if os.geteuid() == 0:
        owner = pwd.getpwuid((t.dir / "access.log").stat().st_uid).pw_name
        assert owner in ("proxy", "nobody"), owner
    # Not running: the postrotate step does nothing and fails nothing.
    assert t.stop() == []
    (t.dir / "access.log").write_text("x\n")
    p = subprocess.run([logrotate_bin(), "-f", "-s",
                        str(tmp_path / "state"), str(lr)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_rotate_cannot_reopen(tproxyd, origin):
    """-k rotate when the new files cannot be made (the directory is not
    writable for tproxyd's user): cache.log (the file still open) and
    stderr (the journal under systemd) say so, and the lines go on into
    the files open before instead of nowhere."""
    if os.geteuid() != 0:
        raise AssertionError("needs root: tproxyd must run as proxy, "
                             "not as the owner of the directory")
    t = tproxyd()
    r = curl(t.port, origin.url("/one"))
    assert r.status == 200, r
    t.wait_access_url(origin.url("/one"))
    for name in ("access.log", "cache.log"):
        os.rename(t.dir / name, t.dir / (name + ".1"))
    os.chmod(t.dir, 0o500)
    try:
        p = t.run_k("rotate")
        assert p.returncode == 0, p
        want = ("WARNING: -k rotate: cannot reopen cache_log %s: "
                "Permission denied; still writing to the file open before"
                % t.cache_log)
        assert poll(lambda: want in (t.dir / "cache.log.1").read_text(),
                    5), (t.dir / "cache.log.1").read_text()[-2000:]
        assert ("cannot reopen access_log %s: Permission denied; still "
                "writing to the file open before" % t.access_log) in \
            (t.dir / "cache.log.1").read_text()
        assert want in t.stderr.read_text()
        r = curl(t.port, origin.url("/two"))
        assert r.status == 200, r
        assert poll(lambda: "/two" in (t.dir / "access.log.1").read_text(),
                    5)
        assert not (t.dir / "access.log").exists()
    finally:
        os.chmod(t.dir, 0o700)
    # Once it can, the next rotate makes the new files.
    p = t.run_k("rotate")
    assert p.returncode == 0, p
    assert poll(lambda: (t.dir / "access.log").exists() and
                (t.dir / "cache.log").exists(), 5)
