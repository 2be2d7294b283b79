"""Operator calls of master and agent that Mesos 1.11 implements: call validation (UNKNOWN,
unknown types, missing messages), GET/SET_LOGGING_LEVEL and /logging/toggle, LIST_FILES and
READ_FILE (and the master's /files/* over /master/log), with Mesos's answers."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from mesos_http import SchedulerSession, framework_info, get_json, post_json, request

from mesos_lite.testing import (
    ExternalCluster,
    start_agent,
    start_master,
    wait_for_agents,
    wait_until,
)

Cluster = ExternalCluster
API = "/api/v1"


def call(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return post_json(url, API, body, headers)


def agent_url_of(cluster: Cluster) -> str:
    return cluster.agent_url(cluster.active_agents()[0]["id"])


def level_of(url: str) -> int:
    status, _, body = call(url, {"type": "GET_LOGGING_LEVEL"})
    assert status == 200, body
    answer = json.loads(body)
    assert answer["type"] == "GET_LOGGING_LEVEL"
    return int(answer["get_logging_level"]["level"])


def set_level(level: Any, nanoseconds: Any) -> dict[str, Any]:
    return {
        "type": "SET_LOGGING_LEVEL",
        "set_logging_level": {"level": level, "duration": {"nanoseconds": nanoseconds}},
    }


# ----- call validation -----
@pytest.mark.parametrize("side", ["master", "agent"])
def test_unknown_call_type_is_501_with_an_empty_body(cluster: Cluster, side: str) -> None:
    url = cluster.master_url if side == "master" else agent_url_of(cluster)
    status, _, body = call(url, {"type": "UNKNOWN"})
    assert (status, body) == (501, b"")


@pytest.mark.parametrize(("side", "name"), [("master", "master::Call"), ("agent", "agent::Call")])
def test_a_type_the_enum_lacks_leaves_the_call_without_type(
    cluster: Cluster, side: str, name: str
) -> None:
    """stout drops an unknown value of the optional `type` enum: Mesos's call validation
    then finds no type."""
    url = cluster.master_url if side == "master" else agent_url_of(cluster)
    for body in ({"type": "NO_SUCH_CALL"}, {}):
        status, _, text = call(url, body)
        assert status == 400
        assert text.decode() == f"Failed to validate {name}: Expecting 'type' to be present"
    status, _, text = call(url, {"type": 5})
    assert status == 400
    assert b"Not expecting a JSON number for field 'type'" in text


@pytest.mark.parametrize(
    "call_type",
    ["SET_LOGGING_LEVEL", "LIST_FILES", "READ_FILE", "GET_METRICS"],
)
def test_calls_without_their_message_are_refused(cluster: Cluster, call_type: str) -> None:
    for url, name in ((cluster.master_url, "master"), (agent_url_of(cluster), "agent")):
        status, _, text = call(url, {"type": call_type})
        assert status == 400
        assert text.decode() == (
            f"Failed to validate {name}::Call: Expecting '{call_type.lower()}' to be present"
        )


@pytest.mark.parametrize(
    "call_type", ["DRAIN_AGENT", "DEACTIVATE_AGENT", "REACTIVATE_AGENT", "MARK_AGENT_GONE"]
)
def test_agent_calls_without_their_message_are_refused(cluster: Cluster, call_type: str) -> None:
    status, _, text = call(cluster.master_url, {"type": call_type})
    assert status == 400
    assert text.decode().endswith(f"Expecting '{call_type.lower()}' to be present")


# ----- logging level -----
@pytest.mark.parametrize("side", ["master", "agent"])
def test_set_logging_level_reverts_after_its_duration(cluster: Cluster, side: str) -> None:
    url = cluster.master_url if side == "master" else agent_url_of(cluster)
    assert level_of(url) == 0
    status, _, body = call(url, set_level(3, 1_500_000_000))
    assert (status, body) == (200, b"")
    assert level_of(url) == 3
    wait_until(lambda: level_of(url) == 0, 10, "the logging level reverted")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (set_level("loud", 1_000_000_000), "level"),
        (set_level(-1, 1_000_000_000), "level"),
        (set_level(1, "soon"), "nanoseconds"),
        ({"type": "SET_LOGGING_LEVEL", "set_logging_level": {"level": 1}}, "duration"),
        ({"type": "SET_LOGGING_LEVEL", "set_logging_level": []}, "set_logging_level"),
    ],
)
def test_set_logging_level_bad_bodies_name_the_field(
    cluster: Cluster, body: dict[str, Any], field: str
) -> None:
    for url in (cluster.master_url, agent_url_of(cluster)):
        status, _, text = call(url, body)
        assert status == 400, text
        assert text.startswith(b"Failed to convert JSON into Call protobuf: ")
        assert field.encode() in text
        assert level_of(url) == 0


@pytest.mark.parametrize("side", ["master", "agent"])
def test_logging_toggle_endpoint(cluster: Cluster, side: str) -> None:
    url = cluster.master_url if side == "master" else agent_url_of(cluster)
    status, _, body = request(url, "GET", "/logging/toggle")
    assert (status, body) == (200, b"0\n")
    for query, answer in (
        ("level=1", b"Expecting 'duration=value' in query.\n"),
        ("duration=1secs", b"Expecting 'level=value' in query.\n"),
        ("level=-2&duration=1secs", b"Invalid level '-2'.\n"),
        ("level=x&duration=1secs", b"Failed to convert 'x' to number.\n"),
    ):
        status, _, body = request(url, "GET", f"/logging/toggle?{query}")
        assert (status, body) == (400, answer), query
    status, _, _ = request(url, "GET", "/logging/toggle?level=1&duration=banana")
    assert status == 400
    status, _, _ = request(url, "POST", "/logging/toggle?level=2&duration=1secs")
    assert status == 200
    assert level_of(url) == 2
    wait_until(lambda: level_of(url) == 0, 10, "the toggled level reverted")


# ----- files -----
def test_agent_list_files_and_read_file_serve_a_sandbox(
    scheduler: SchedulerSession, cluster: Cluster
) -> None:
    task_id = f"files-{uuid.uuid4().hex[:8]}"
    running = scheduler.launch_running("printf 0123456789 > data; sleep 30", task_id)
    agent_id = running["agent_id"]["value"]
    agent_url = cluster.agent_url(agent_id)
    state = get_json(agent_url, "/state")
    sandbox = next(
        e["directory"] for f in state["frameworks"] for e in f["executors"] if e["id"] == task_id
    )
    wait_until(lambda: Path(sandbox, "data").exists(), 10, "the task wrote its file")
    try:
        status, _, body = call(agent_url, {"type": "LIST_FILES", "list_files": {"path": sandbox}})
        assert status == 200, body
        listing = json.loads(body)
        assert listing["type"] == "LIST_FILES"
        infos = {i["path"]: i for i in listing["list_files"]["file_infos"]}
        assert {f"{sandbox}/data", f"{sandbox}/stdout", f"{sandbox}/stderr"} <= set(infos)
        data = infos[f"{sandbox}/data"]
        assert data["size"] == 10
        assert isinstance(data["mode"], int)
        assert set(data["mtime"]) == {"nanoseconds"}

        read = {"path": f"{sandbox}/data", "offset": 2, "length": 5}
        status, _, body = call(agent_url, {"type": "READ_FILE", "read_file": read})
        assert status == 200, body
        answer = json.loads(body)["read_file"]
        assert answer["size"] == 10
        assert base64.b64decode(answer["data"]) == b"23456"
        read = {"path": f"{sandbox}/data", "offset": 20}
        status, _, body = call(agent_url, {"type": "READ_FILE", "read_file": read})
        assert json.loads(body)["read_file"] == {"size": 10, "data": ""}

        status, _, body = call(
            agent_url, {"type": "READ_FILE", "read_file": {"path": sandbox, "offset": 0}}
        )
        assert (status, body) == (400, b"Cannot read a directory.\n")
        for missing in (f"{sandbox}/nope", "/etc/passwd", f"{sandbox}/.."):
            status, _, body = call(
                agent_url, {"type": "READ_FILE", "read_file": {"path": missing, "offset": 0}}
            )
            assert (status, body) == (404, b""), missing
            status, _, body = call(
                agent_url, {"type": "LIST_FILES", "list_files": {"path": missing}}
            )
            assert (status, body) == (404, b""), missing
        status, _, body = call(agent_url, {"type": "READ_FILE", "read_file": {"path": sandbox}})
        assert status == 400
        assert b"Missing required fields: read_file.offset" in body
        status, _, body = call(
            agent_url, {"type": "READ_FILE", "read_file": {"path": sandbox, "offset": -1}}
        )
        assert status == 400
        assert b"'offset'" in body
    finally:
        scheduler.call("KILL", {"task_id": {"value": task_id}, "agent_id": running["agent_id"]})


def test_master_serves_its_log_as_master_log(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    acls = {
        "permissive": True,
        "access_mesos_logs": [{"principals": {"type": "ANY"}, "logs": {"type": "NONE"}}],
    }
    master, port = start_master(tmp_path, "--registry=in_memory", f"--log_dir={log_dir}")
    locked, locked_port = start_master(
        tmp_path / "locked",
        "--registry=in_memory",
        f"--log_dir={tmp_path / 'locked-logs'}",
        f"--acls={json.dumps(acls)}",
    )
    url = f"127.0.0.1:{port}"
    try:
        status, _, body = call(
            url, {"type": "READ_FILE", "read_file": {"path": "/master/log", "offset": 0}}
        )
        assert status == 200, body
        answer = json.loads(body)["read_file"]
        assert "mesos-lite master" in base64.b64decode(answer["data"]).decode()
        assert answer["size"] >= len(base64.b64decode(answer["data"]))
        # The log is a file: nothing below it, and browsing it lists nothing.
        status, _, body = call(url, {"type": "LIST_FILES", "list_files": {"path": "/master/log"}})
        assert json.loads(body)["list_files"] == {"file_infos": []}
        status, _, body = call(url, {"type": "LIST_FILES", "list_files": {"path": "/master/log/x"}})
        assert (status, body) == (404, b"")
        status, _, body = request(url, "GET", "/files/read?path=/master/log&offset=-1")
        assert status == 200
        assert json.loads(body)["offset"] >= answer["size"]
        status, _, body = request(url, "GET", "/files/download?path=/master/log")
        assert status == 200
        assert body.startswith(base64.b64decode(answer["data"])[:20])
        status, _, _ = request(url, "GET", "/files/browse?path=/master")
        assert status == 404
        # access_mesos_logs guards it.
        status, _, _ = call(
            f"127.0.0.1:{locked_port}",
            {"type": "READ_FILE", "read_file": {"path": "/master/log", "offset": 0}},
        )
        assert status == 403
    finally:
        master.stop()
        locked.stop()


def test_master_without_log_dir_serves_no_log(cluster: Cluster, local_only: None) -> None:
    status, _, body = call(
        cluster.master_url, {"type": "READ_FILE", "read_file": {"path": "/master/log", "offset": 0}}
    )
    assert (status, body) == (404, b"")


def test_unauthorized_set_logging_level_is_403(tmp_path: Path) -> None:
    acls = {
        "permissive": True,
        "set_log_level": [{"principals": {"type": "ANY"}, "level": {"type": "NONE"}}],
        "get_endpoints": [{"principals": {"type": "ANY"}, "paths": {"type": "NONE"}}],
    }
    master, port = start_master(tmp_path, "--registry=in_memory", f"--acls={json.dumps(acls)}")
    url = f"127.0.0.1:{port}"
    try:
        status, _, _ = call(url, set_level(2, 10_000_000_000))
        assert status == 403
        assert level_of(url) == 0
        status, _, _ = request(url, "GET", "/logging/toggle?level=1&duration=1secs")
        assert status == 403
        assert level_of(url) == 0
    finally:
        master.stop()


def test_agent_files_need_access_sandboxes_and_serve_slave_log(tmp_path: Path) -> None:
    """The agent's sandboxes are guarded by access_sandboxes (object: the executor's user),
    its log is attached as /slave/log (access_mesos_logs), for the v1 calls as for /files."""
    acls = {
        "permissive": True,
        "access_sandboxes": [
            {"principals": {"type": "ANY"}, "users": {"values": ["root"]}},
            {"principals": {"type": "ANY"}, "users": {"type": "NONE"}},
        ],
    }
    master, port = start_master(tmp_path, "--registry=in_memory", "--allocation_interval=100ms")
    agent, agent_port = start_agent(
        tmp_path,
        f"127.0.0.1:{port}",
        "--resources=cpus:1;mem:512",
        f"--acls={json.dumps(acls)}",
        f"--log_dir={tmp_path / 'agent-logs'}",
    )
    agent_url = f"127.0.0.1:{agent_port}"
    session = SchedulerSession(f"http://127.0.0.1:{port}", framework_info("acl", user="nobody"))
    try:
        wait_for_agents(f"http://127.0.0.1:{port}", 1)
        session.subscribe()
        running = session.launch_running("sleep 30", "guarded")
        sandbox = next(
            e["directory"]
            for f in get_json(agent_url, "/state")["frameworks"]
            for e in f["executors"]
            if e["id"] == "guarded"
        )
        # The executor runs as 'nobody': the ACL lets anyone read only root's sandboxes.
        status, _, body = call(agent_url, {"type": "LIST_FILES", "list_files": {"path": sandbox}})
        assert (status, body) == (403, b"")
        read = {"type": "READ_FILE", "read_file": {"path": f"{sandbox}/stdout", "offset": 0}}
        assert call(agent_url, read)[:3:2] == (403, b"")
        assert request(agent_url, "GET", f"/files/browse?path={sandbox}")[0] == 403
        read = {"type": "READ_FILE", "read_file": {"path": "/slave/log", "offset": 0}}
        status, _, body = call(agent_url, read)
        assert status == 200, body
        log = base64.b64decode(json.loads(body)["read_file"]["data"]).decode()
        assert "mesos-lite agent" in log
        session.call("KILL", {"task_id": {"value": "guarded"}, "agent_id": running["agent_id"]})
    finally:
        session.close()
        agent.stop()
        master.stop()
