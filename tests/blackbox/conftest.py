# SPDX-License-Identifier: GPL-2.0-or-later
"""
conftest.py - fixtures of the black-box suite.

    repo_root, build_dir      paths (build dir: $TPROXYD_BUILD, default build/)
    origin                    origin.OriginServer on 127.0.0.1, ephemeral port
    echo_server               origin.EchoServer on 127.0.0.1 (CONNECT target)
    tproxyd                   factory: tproxyd(lines) -> a started Tproxyd;
                              stopped at teardown, a crash fails the test
    tproxyd_conf              factory: the same, not started (for -k tests)
    run_prefix                this run's namespace prefix ("tpx" + 6 hex)
    topology                  a netns Topology (client/router/server), removed
                              at teardown; the session also removes every
                              namespace with run_prefix at the end

Run with: /usr/bin/python3 -m pytest -q -ra tests/blackbox
"""

import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "netns"))

import harness  # noqa: E402
import netns    # noqa: E402
from origin import EchoServer, OriginServer  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _required_tools():
    """curl and ip are part of the test environment: missing is an error."""
    missing = [t for t in ("curl", "ip", "ss") if shutil.which(t) is None
               and not Path("/usr/sbin/" + t).exists()]
    assert not missing, "required tools missing: %s" % ", ".join(missing)


@pytest.fixture(scope="session")
def repo_root():
    return harness.REPO


@pytest.fixture(scope="session")
def build_dir():
    return harness.BUILD


@pytest.fixture
def origin():
    srv = OriginServer("127.0.0.1", 0).start()
    yield srv
    srv.stop()


@pytest.fixture
def echo_server():
    srv = EchoServer("127.0.0.1", 0).start()
    yield srv
    srv.stop()


def _factory(tmp_path, start):
    made = []

    def make(lines=(), port=None, base=True, name=None):
        d = tmp_path / (name or "tproxyd%d" % len(made))
        t = harness.Tproxyd(d, lines, port=port, base=base)
        made.append(t)
        if start:
            t.start()
        return t
    return made, make


@pytest.fixture
def tproxyd(tmp_path):
    """tproxyd(lines=(), port=None) starts a daemon and returns it."""
    made, make = _factory(tmp_path, True)
    yield make
    problems = []
    for t in made:
        problems += t.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def tproxyd_conf(tmp_path):
    """Like tproxyd but not started (call .start() or .run_k())."""
    made, make = _factory(tmp_path, False)
    yield make
    problems = []
    for t in made:
        problems += t.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def run_prefix():
    prefix = netns.new_prefix()
    yield prefix
    netns.cleanup_prefix(prefix)


@pytest.fixture
def topology(run_prefix, request):
    """A fresh client/router/server topology named run_prefix + N."""
    n = getattr(topology, "_count", 0)
    topology._count = n + 1
    t = netns.Topology("%s%d" % (run_prefix, n))
    request.addfinalizer(t.cleanup_checked)
    t.setup()
    return t
