# SPDX-License-Identifier: GPL-2.0-or-later
"""
test_accesslog.py - access.log over several transactions and with
`access_log none`. The fields of single lines are cases
(cases/accesslog.py, run by test_cases.py).
"""

from harness import curl


def test_one_line_per_transaction(tproxyd, origin):
    p = tproxyd()
    for i in range(5):
        assert curl(p.port, origin.url("/bytes/%d" % i)).status == 200
    p.wait_access_url(origin.url("/bytes/4"))
    urls = [e["url"] for e in p.access_entries() if e]
    assert urls == [origin.url("/bytes/%d" % i) for i in range(5)], urls
    assert all(p.access_entries()), "\n".join(p.access_lines())


def test_access_log_none(tproxyd_conf, origin):
    """`access_log none` (no ACL) turns the access log off: as in Squid, a
    matching `none` line stops the lines after it, so nothing is written,
    not even to a path named by a later access_log line, nor to a file
    called "none". Checked once the daemon has exited, its logs flushed:
    nothing can come later."""
    p = tproxyd_conf()
    p.write_config(["access_log none", "access_log %s" % p.access_log])
    p.start()
    assert curl(p.port, origin.url("/bytes/1")).status == 200
    assert origin.wait_records(1), "the request did not reach the origin"
    problems = p.stop()
    assert not problems, "\n".join(problems)
    assert p.access_lines() == [], "\n".join(p.access_lines())
    assert not (p.dir / "none").exists(), "logged to a file called none"
