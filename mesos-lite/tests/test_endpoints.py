"""Conformance checks 1-3 and 22: operator endpoints of the leading master."""

from __future__ import annotations

import json
import socket

from mesos_http import (
    OperatorStream,
    SchedulerSession,
    command_task,
    framework_info,
    get_json,
    post_json,
    request,
)

from mesos_lite.testing import ExternalCluster as Cluster

STATE_KEYS = {
    "version",
    "git_sha",
    "build_date",
    "start_time",
    "elected_time",
    "id",
    "pid",
    "hostname",
    "activated_slaves",
    "deactivated_slaves",
    "unreachable_slaves",
    "leader",
    "leader_info",
    "flags",
    "slaves",
    "frameworks",
    "completed_frameworks",
    "orphan_tasks",
    "unregistered_frameworks",
}
AGENT_KEYS = {
    "id",
    "pid",
    "hostname",
    "port",
    "resources",
    "used_resources",
    "offered_resources",
    "unreserved_resources",
    "attributes",
    "active",
    "version",
    "registered_time",
    "capabilities",
}


def test_health_is_200(master_url: str) -> None:
    status, _, _ = request(master_url, "GET", "/health")
    assert status == 200
    status, _, _ = request(master_url, "GET", "/master/health")
    assert status == 200


def test_state_lists_every_agent(cluster: Cluster) -> None:
    state = cluster.state()
    assert set(state) >= STATE_KEYS, STATE_KEYS - set(state)
    assert state["pid"].startswith("master@")
    assert state["activated_slaves"] == len([a for a in state["slaves"] if a["active"]])
    assert state["slaves"], "no agents registered"
    for agent in state["slaves"]:
        assert set(agent) >= AGENT_KEYS, AGENT_KEYS - set(agent)
        assert agent["active"] is True
        assert agent["hostname"]
        for name in ("cpus", "mem", "disk"):
            assert isinstance(agent["resources"][name], float)
        assert agent["resources"]["cpus"] > 0
        assert agent["pid"].startswith("slave(1)@")
        assert agent["id"].split("-")[-1].startswith("S")
    assert get_json(cluster.master_url, "/state")["id"] == state["id"]


def test_agents_name_the_master_by_the_reverse_dns_name_of_its_ip(cluster: Cluster) -> None:
    # Mesos's agent /state: master_hostname is net::getHostname(master IP) (getnameinfo: the
    # resolver's name for the IP, or the IP itself), not the master's --hostname.
    state = cluster.state()
    master_ip = state["pid"].rsplit("@", 1)[1].rsplit(":", 1)[0]
    expected = socket.getnameinfo((master_ip, 0), 0)[0]
    for agent in state["slaves"]:
        agent_state = get_json(cluster.agent_url(agent["id"]), "/state")
        assert agent_state["master_hostname"] == expected, (state["hostname"], agent_state)


def test_version_looks_like_apache_mesos(master_url: str) -> None:
    version = get_json(master_url, "/version")
    assert {"version", "build_date", "build_time", "build_user", "git_sha"} <= set(version)
    assert version["version"] == get_json(master_url, "/master/state")["version"]


def test_redirect_points_at_the_leader(master_url: str) -> None:
    status, headers, _ = request(master_url, "GET", "/master/redirect")
    assert status == 307
    leader = get_json(master_url, "/master/state")["leader_info"]
    location = headers["Location"]
    assert location == f"//{leader['hostname']}:{leader['port']}"


def test_metrics_elected_and_agents(cluster: Cluster) -> None:
    metrics = get_json(cluster.master_url, "/metrics/snapshot")
    assert metrics["master/elected"] == 1
    assert metrics["master/slaves_active"] == len(cluster.active_agents())
    for key in (
        "master/uptime_secs",
        "master/frameworks_active",
        "master/tasks_running",
        "master/tasks_finished",
        "master/tasks_failed",
        "master/cpus_total",
        "master/mem_total",
        "master/slaves_connected",
    ):
        assert key in metrics, key
    assert metrics["master/uptime_secs"] > 0


def test_operator_get_health(master_url: str) -> None:
    status, headers, body = post_json(master_url, "/api/v1", {"type": "GET_HEALTH"})
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"type": "GET_HEALTH", "get_health": {"healthy": True}}


def test_operator_get_agents_matches_state(cluster: Cluster) -> None:
    status, _, body = post_json(cluster.master_url, "/api/v1", {"type": "GET_AGENTS"})
    assert status == 200
    answer = json.loads(body)
    assert answer["type"] == "GET_AGENTS"
    v1_ids = sorted(a["agent_info"]["id"]["value"] for a in answer["get_agents"]["agents"])
    state_ids = sorted(a["id"] for a in cluster.state()["slaves"])
    assert v1_ids == state_ids


def test_operator_get_version_flags_master_state(master_url: str) -> None:
    for call, key in (
        ("GET_VERSION", "version_info"),
        ("GET_FLAGS", "flags"),
        ("GET_MASTER", "master_info"),
    ):
        status, _, body = post_json(master_url, "/api/v1", {"type": call})
        assert status == 200, (call, body)
        answer = json.loads(body)
        assert answer["type"] == call
        assert key in answer[call.lower()]
    status, _, body = post_json(master_url, "/api/v1", {"type": "GET_STATE"})
    assert status == 200
    state = json.loads(body)["get_state"]
    assert {"get_tasks", "get_executors", "get_frameworks", "get_agents"} <= set(state)
    flags = {
        f["name"]
        for f in json.loads(post_json(master_url, "/api/v1", {"type": "GET_FLAGS"})[2])[
            "get_flags"
        ]["flags"]
    }
    assert "port" in flags


def test_operator_get_frameworks_and_tasks(master_url: str) -> None:
    for call in ("GET_FRAMEWORKS", "GET_TASKS"):
        status, _, body = post_json(master_url, "/api/v1", {"type": call})
        assert status == 200
        assert json.loads(body)["type"] == call


def test_operator_event_stream(cluster: Cluster) -> None:
    stream = OperatorStream(cluster.master_url)
    session = SchedulerSession(cluster.master_url, framework_info("operator-stream"))
    try:
        subscribed = stream.open()["subscribed"]
        agents = subscribed["get_state"]["get_agents"]["agents"]
        assert len(agents) == len(cluster.active_agents())
        session.subscribe()
        added = stream.wait_for(lambda e: e["type"] == "FRAMEWORK_ADDED")
        framework = added["framework_added"]["framework"]["framework_info"]
        assert framework["id"]["value"] == session.framework_id
        offer = session.next_offers(start=0)[0]
        status, _ = session.launch(offer, [command_task(offer, "true", "streamed")])
        assert status == 202
        task = stream.wait_for(lambda e: e["type"] == "TASK_ADDED")["task_added"]["task"]
        assert task["task_id"]["value"] == "streamed"
        stream.wait_for(
            lambda e: e["type"] == "TASK_UPDATED" and e["task_updated"]["state"] == "TASK_FINISHED",
            15,
        )
    finally:
        session.teardown()
        stream.close()
