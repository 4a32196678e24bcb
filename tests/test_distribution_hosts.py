"""Two "hosts" on this machine: ranks in two network namespaces joined by a veth pair.

mpirun starts in the first namespace; it starts the second host's daemon through
tests/mpi_scripts/netns_agent.sh (in place of ssh, as on a real cluster), and the ranks
exchange gradients over TCP on the veth pair only (no shared memory): Open MPI's ``tcp`` and
``self`` transports, restricted to the pair's subnet. The bytes that crossed the veth pair are
counted. Skipped where network namespaces cannot be made (not root, no ``ip``, a container
that forbids them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from mpi_scripts.runner import HERE, check, environment, is_open_mpi, mpirun_or_skip, run_ranks
from test_distribution_mpi import assert_same, weights

SUBNET = "10.231.7.0/24"


def ip(*args, namespace=None) -> subprocess.CompletedProcess:
    prefix = ["ip", "-n", namespace] if namespace else ["ip"]
    return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def two_hosts():
    """Namespaces ``clh<pid>a`` (10.231.7.1) and ``clh<pid>b`` (10.231.7.2) and a veth pair."""
    if shutil.which("ip") is None or shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("network namespaces need root, ip and unshare")
    names = [f"clh{os.getpid()}{side}" for side in "ab"]
    made = []
    try:
        for name in names:
            if ip("netns", "add", name).returncode != 0:
                pytest.skip("network namespaces cannot be made here")
            made.append(name)
        links = [f"{name}v" for name in names]
        steps = [
            ("link", "add", links[0], "type", "veth", "peer", "name", links[1]),
            ("link", "set", links[0], "netns", names[0]),
            ("link", "set", links[1], "netns", names[1]),
        ]
        for step in steps:
            if ip(*step).returncode != 0:
                pytest.skip(f"a veth pair cannot be made here (ip {' '.join(step)})")
        hosts = []
        for index, (name, link) in enumerate(zip(names, links, strict=True), start=1):
            address = SUBNET.replace(".0/24", f".{index}")
            for step in (("addr", "add", f"{address}/24", "dev", link),
                         ("link", "set", link, "up"), ("link", "set", "lo", "up")):  # fmt: skip
                assert ip(*step, namespace=name).returncode == 0
            hosts.append((address, name, link))
        yield hosts
    finally:
        for name in made:
            ip("netns", "del", name)


def received_bytes(namespace, link) -> int:
    shown = ip("-s", "-j", "link", "show", link, namespace=namespace).stdout
    return int(json.loads(shown)[0]["stats64"]["rx"]["bytes"])


@pytest.mark.slow
def test_two_hosts_over_tcp_train_as_one_process(tmp_path, two_hosts):
    mpirun = mpirun_or_skip()
    if not is_open_mpi(mpirun):
        pytest.skip("the launcher agent options are Open MPI's")
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    check(run_ranks(0, "train_shards.py", one))
    (first, first_ns, _), (second, second_ns, second_link) = two_hosts
    hostfile = tmp_path / "hostfile"
    hostfile.write_text(f"{first} slots=1\n{second} slots=1\n")
    before = received_bytes(second_ns, second_link)
    command = [
        mpirun, "-n", "2", "--hostfile", hostfile, "--map-by", "node",
        "--prtemca", "plm_ssh_agent", HERE / "netns_agent.sh",
        "--prtemca", "oob_tcp_if_include", SUBNET,
        "--mca", "pml", "ob1", "--mca", "btl", "tcp,self",
        "--mca", "btl_tcp_if_include", SUBNET, "-x", "PYTHONPATH",
        sys.executable, HERE / "train_shards.py", two,
    ]  # fmt: skip
    in_first = f"hostname {first_ns}; exec " + " ".join(f"'{part}'" for part in command)
    env = environment(CONVLENS_NETNS_HOSTS=f"{first}={first_ns} {second}={second_ns}")
    result = subprocess.run(
        ["ip", "netns", "exec", first_ns, "unshare", "--uts", "sh", "-c", in_first],
        capture_output=True, text=True, timeout=240, env=env,
    )  # fmt: skip
    check(result)
    assert_same(weights(two), weights(one), rtol=1e-5, atol=1e-7)
    assert_same(weights(f"{two}.rank1.npz"), weights(two), rtol=0)
    # Every step's gradient (float32) reached the second host over the veth pair.
    gradient_bytes = sum(w.size for w in weights(one)) * 4
    steps = 2 * 3  # 2 epochs of 48 samples in batches of 16
    assert received_bytes(second_ns, second_link) - before > 0.9 * gradient_bytes * steps
