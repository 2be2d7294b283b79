"""Mesos agents: running from the unit and flags the role wrote, registered with the leader."""

from __future__ import annotations

from typing import Any

from mesos_facts import (
    AGENT_ENV_FILE,
    AGENT_PORT,
    AGENT_SERVICE,
    agent_url,
    env_file,
    hostname_of,
    http_get_json,
    leading_master_state,
    reverse_dns_name,
    zookeeper_url,
)

testinfra_hosts = ["ansible://mesos_agents"]


def test_service_enabled_and_running(host: Any) -> None:
    service = host.service(AGENT_SERVICE)
    assert service.is_enabled
    assert service.is_running


def test_listening_on_the_agent_address_and_port(host: Any) -> None:
    address = env_file(host, AGENT_ENV_FILE)["MESOS_IP"]
    assert host.socket(f"tcp://{address}:{AGENT_PORT}").is_listening


def test_flags_file_points_at_the_masters_through_zookeeper(host: Any) -> None:
    flags = env_file(host, AGENT_ENV_FILE)
    zk_url = zookeeper_url(host, flags["MESOS_MASTER"])
    assert zk_url.startswith("zk://")
    assert zk_url.endswith("/mesos")
    assert flags["MESOS_HOSTNAME"] == hostname_of(host)
    assert flags["MESOS_WORK_DIR"]


def test_agent_knows_the_leading_master(host: Any) -> None:
    agent_state = http_get_json(host, f"{agent_url(host)}/state")
    leader = leading_master_state()
    assert agent_state["hostname"] == hostname_of(host)
    # Mesos defines master_hostname as the name the agent's resolver gives the leading master's
    # IP (reverse DNS, or the IP itself when there is none), not the master's --hostname.
    leader_ip = leader["pid"].rsplit("@", 1)[1].rsplit(":", 1)[0]
    assert agent_state["master_hostname"] == reverse_dns_name(host, leader_ip)
    assert agent_state["id"] in {slave["id"] for slave in leader["slaves"]}
