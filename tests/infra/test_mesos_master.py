"""Mesos masters: running from the unit and flags the role wrote, one leader, every agent active."""

from __future__ import annotations

from typing import Any

from mesos_facts import (
    MASTER_ENV_FILE,
    MASTER_PORT,
    MASTER_SERVICE,
    ZOOKEEPER_CLIENT_PORT,
    env_file,
    group_hosts,
    hostname_of,
    http_get_json,
    leading_master_state,
    master_url,
    zookeeper_url,
)

testinfra_hosts = ["ansible://mesos_masters"]


def test_service_enabled_and_running(host: Any) -> None:
    service = host.service(MASTER_SERVICE)
    assert service.is_enabled
    assert service.is_running


def test_listening_on_the_master_address_and_port(host: Any) -> None:
    address = env_file(host, MASTER_ENV_FILE)["MESOS_IP"]
    assert host.socket(f"tcp://{address}:{MASTER_PORT}").is_listening


def test_flags_file_holds_what_the_inventory_implies(host: Any) -> None:
    flags = env_file(host, MASTER_ENV_FILE)
    zookeepers = sorted(f"{hostname_of(zk)}:{ZOOKEEPER_CLIENT_PORT}"
                        for zk in group_hosts("zookeeper"))
    zk_url = zookeeper_url(host, flags["MESOS_ZK"])
    assert zk_url.startswith("zk://")
    assert sorted(zk_url[len("zk://"):].split("/")[0].split(",")) == zookeepers
    assert int(flags["MESOS_QUORUM"]) == len(group_hosts("mesos_masters")) // 2 + 1
    assert flags["MESOS_HOSTNAME"] == hostname_of(host)
    assert flags["MESOS_PORT"] == str(MASTER_PORT)


def test_unit_reads_the_flags_file(host: Any) -> None:
    unit = host.run(f"systemctl cat {MASTER_SERVICE}").stdout
    assert any(f"EnvironmentFile={prefix}{MASTER_ENV_FILE}" in unit for prefix in ("", "-"))


def test_health_endpoint(host: Any) -> None:
    result = host.run(f"python3 -c \"import urllib.request; print(urllib.request.urlopen("
                      f"'{master_url(host)}/health', timeout=5).status)\"")
    assert result.stdout.strip() == "200"


def test_exactly_one_leader_among_the_masters() -> None:
    elected = [http_get_json(m, f"{master_url(m)}/metrics/snapshot")["master/elected"]
               for m in group_hosts("mesos_masters")]
    assert sorted(elected) == [0] * (len(elected) - 1) + [1]


def test_leader_lists_every_agent_as_active() -> None:
    state = leading_master_state()
    agents = {hostname_of(agent) for agent in group_hosts("mesos_agents")}
    active = {slave["hostname"] for slave in state["slaves"] if slave["active"]}
    assert active == agents
    assert state["activated_slaves"] == len(agents)
