"""ZooKeeper: installed by the role, serving, and part of the ensemble it was told about."""

from __future__ import annotations

from typing import Any

from mesos_facts import (
    ZOOKEEPER_CLIENT_PORT,
    ZOOKEEPER_SERVICE,
    four_letter_word,
    group_hosts,
    zookeeper_mode,
)

testinfra_hosts = ["ansible://zookeeper"]


def test_service_enabled_and_running(host: Any) -> None:
    service = host.service(ZOOKEEPER_SERVICE)
    assert service.is_enabled
    assert service.is_running


def test_client_port_listening(host: Any) -> None:
    assert host.socket(f"tcp://0.0.0.0:{ZOOKEEPER_CLIENT_PORT}").is_listening or host.socket(
        f"tcp://:::{ZOOKEEPER_CLIENT_PORT}"
    ).is_listening


def test_answers_ruok(host: Any) -> None:
    assert four_letter_word(host, "ruok") == "imok"


def test_reports_the_mode_the_ensemble_size_implies(host: Any) -> None:
    ensemble_size = len(group_hosts("zookeeper"))
    modes = {"standalone"} if ensemble_size == 1 else {"leader", "follower"}
    assert zookeeper_mode(host) in modes


def test_ensemble_has_exactly_one_leader() -> None:
    servers = group_hosts("zookeeper")
    modes = sorted(zookeeper_mode(server) for server in servers)
    if len(servers) == 1:
        assert modes == ["standalone"]
    else:
        assert modes == ["follower"] * (len(servers) - 1) + ["leader"]


def test_myid_matches_the_inventory(host: Any) -> None:
    wanted = host.ansible.get_variables()["zookeeper_id"]
    myid = host.file("/var/lib/zookeeper/myid").content_string.strip()
    assert myid == str(wanted)
