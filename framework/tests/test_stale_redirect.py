"""The failover race where a standby redirects pymesos to the leader that just died.

Right after the leader dies, a standby that has not yet seen the election answers SUBSCRIBE
with 307 to the dead former leader. pymesos 0.3.15 follows the redirect for good and its
ZooKeeper detector never fires again, so without mesos-probe's leader watch the run hangs
until its timeout. Scripted masters (tests/fake_master.py) play both masters, on loopback;
with zk:// they are found through a real ZooKeeper (tests/ha_cluster.py), as Mesos
publishes them (json.info_ contenders), with a list through /master/redirect.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fake_master import FakeMaster
from kazoo.client import KazooClient
from mesos_lite.testing import ZooKeeperServer, free_port, unused_address
from probe_run import ProbeRun, record_timing

pytestmark = pytest.mark.integration

AGENTS = 3
RUN_TIMEOUT = 45.0


def contender(zk: KazooClient, path: str, master: FakeMaster) -> str:
    """Publish `master` as an election contender, as a Mesos master does."""
    host, _, port = master.address.rpartition(":")
    info = {"hostname": host, "address": {"ip": host, "port": int(port), "hostname": host}}
    node: str = zk.create(
        f"{path}/json.info_", json.dumps(info).encode(), sequence=True, makepath=True
    )
    return node


def finish(run: ProbeRun, standby: FakeMaster, started: float, scenario: str) -> None:
    exit_code = run.wait(RUN_TIMEOUT + 15)
    log = run.stderr()
    assert exit_code == 0, log[-4000:]
    report = run.report()
    assert report["summary"]["finished"] == AGENTS, report
    # The standby sent pymesos to the dead address once, then served the subscription the
    # watch steered it back to; the watch told the operator why.
    assert standby.stale_redirects == 1
    assert len(standby.subscribe_bodies) >= 2
    assert "reconnecting to the leading master " + standby.address in log, log[-4000:]
    assert "pymesos was retrying the former leader" in log
    record_timing(scenario, "run with a stale 307 to a dead master", time.time() - started)


def test_zk_standby_redirecting_to_the_dead_leader(
    zookeeper: ZooKeeperServer, masters: list[FakeMaster], tmp_path: Path
) -> None:
    path = f"/mesos-stale-{free_port()}"
    # The leader the framework subscribes to first; it has no agents, so the run waits.
    old_leader = FakeMaster(agents=0)
    masters.append(old_leader)
    standby = FakeMaster(agents=AGENTS, stale_leader=old_leader.address)
    masters.append(standby)
    zk = KazooClient(hosts=zookeeper.hosts, timeout=5)
    zk.start(timeout=10)
    try:
        old_node = contender(zk, path, old_leader)
        contender(zk, path, standby)
        started = time.time()
        run = ProbeRun(
            tmp_path,
            "zk-stale",
            f"zk://{zookeeper.hosts}{path}",
            "--expect-agents",
            str(AGENTS),
            timeout=RUN_TIMEOUT,
        )
        deadline = time.monotonic() + 20
        while not old_leader.subscribe_bodies:
            assert time.monotonic() < deadline, run.stderr_tail()
            assert run.process.poll() is None, run.stderr_tail()
            time.sleep(0.05)
        # The leader dies: its stream and port go away, then its ZooKeeper node. pymesos'
        # detector moves to the standby, which still believes the dead leader.
        masters.remove(old_leader)
        old_leader.close()
        zk.delete(old_node)
        finish(run, standby, started, "stale 307 (zk)")
    finally:
        zk.stop()
        zk.close()


def test_listed_standby_redirecting_to_a_dead_master(
    masters: list[FakeMaster], tmp_path: Path
) -> None:
    dead = unused_address()
    standby = FakeMaster(agents=AGENTS, stale_leader=dead)
    masters.append(standby)
    started = time.time()
    run = ProbeRun(tmp_path, "list-stale", f"{dead},{standby.address}", timeout=RUN_TIMEOUT)
    finish(run, standby, started, "stale 307 (list)")
