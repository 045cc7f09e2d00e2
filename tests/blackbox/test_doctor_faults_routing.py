"""
test_doctor_faults_routing.py - field faults in policy routing and
sysctls that break interception, each from a public report: doctor must
FAIL with a fix that works when pasted (doctor_faults.run_fault).
"""

import pytest

from doctor_faults import Fault, run_fault


def _sh(cmd):
    return lambda t, env: t.run(t.rtr, ["sh", "-c", cmd], check=True)


FAULTS = [
    Fault("no_fwmark_rule",
          "https://wiki.squid-cache.org/Features/Tproxy4#troubleshooting",
          _sh("ip -4 rule del fwmark 0x1/0x1 lookup 100"),
          "route.rule.ipv4", "timeout"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_routing_fault(topology, tmp_path, fault):
    run_fault(topology, tmp_path, fault)
