"""What real v1 clients read and send (issue 16, item 8): the protobuf content type that
mesos-execute and the Java V1Mesos default to, offers in the format of the framework's
capabilities, paths with a trailing slash (avmesos-cli), /master/tasks's query, and the
ContainerStatus of status updates. Against the loopback cluster, as Apache Mesos 1.11 answers.
"""

from __future__ import annotations

import base64
import http.client
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mesos_http import (
    Event,
    RecordReader,
    SchedulerSession,
    command_task,
    executor_task,
    framework_info,
    get_json,
    post_json,
    request,
    split_url,
)

from mesos_lite import protobuf_wire
from mesos_lite.testing import LoopbackCluster

pytestmark = pytest.mark.usefixtures("local_only")

PROTOBUF = "application/x-protobuf"
NOT_ACCEPTABLE = "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"


class ProtobufScheduler(SchedulerSession):
    """A scheduler speaking application/x-protobuf, as mesos-execute does by default."""

    media_type = PROTOBUF

    def encode_call(self, body: dict[str, Any]) -> bytes:
        return protobuf_wire.encode(body, "SchedulerCall")

    def decode_event(self, record: bytes) -> Event:
        return protobuf_wire.decode(record, "SchedulerEvent")


def post(url: str, path: str, body: bytes, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return request(url, "POST", path, body, headers)


def sandbox_container_id(cluster: LoopbackCluster, agent_id: str, task_id: str) -> str:
    """The runs/<container id> of the sandbox the agent ran `task_id` in (its /state)."""
    state = get_json(cluster.agent_url(agent_id), "/state")
    for framework in [*state["frameworks"], *state["completed_frameworks"]]:
        for executor in [*framework["executors"], *framework["completed_executors"]]:
            tasks = [*executor["tasks"], *executor["completed_tasks"]]
            if any(t["id"] == task_id for t in tasks):
                return Path(executor["directory"]).name
    raise AssertionError(f"task {task_id} not in the agent's /state")


# ----- 1. application/x-protobuf -----
def test_protobuf_scheduler_end_to_end(cluster: LoopbackCluster, master_url: str) -> None:
    """SUBSCRIBE, OFFERS, ACCEPT with a LAUNCH, UPDATEs, ACKNOWLEDGE: all in protobuf."""
    session = ProtobufScheduler(master_url, framework_info("protobuf-e2e"))
    try:
        subscribed = session.subscribe()
        assert session.headers["Content-Type"] == PROTOBUF
        assert subscribed["subscribed"]["heartbeat_interval_seconds"] == 15.0
        assert subscribed["subscribed"]["master_info"]["port"] == split_url(master_url)[1]
        offer = session.next_offers(start=0)[0]
        assert {"cpus", "mem"} <= {r["name"] for r in offer["resources"]}
        status, text = session.launch(offer, [command_task(offer, "true", "protobuf-task")])
        assert (status, text) == (202, b"")
        session.wait_update("protobuf-task", {"TASK_RUNNING"})  # acknowledging each
        finished = session.wait_update("protobuf-task", {"TASK_FINISHED"}, acknowledge=False)
        assert session.acknowledge(finished) == (202, b"")
        # Bytes fields arrive as bytes (base64 here): the 16-byte uuid to acknowledge.
        assert len(base64.b64decode(finished["uuid"])) == 16
        container = finished["container_status"]["container_id"]["value"]
        agent_id = offer["agent_id"]["value"]
        assert container == sandbox_container_id(cluster, agent_id, "protobuf-task")
        tasks = get_json(master_url, "/master/tasks?task_id=protobuf-task")["tasks"]
        assert [t["state"] for t in tasks] == ["TASK_FINISHED"]
    finally:
        session.teardown()


def test_protobuf_call_answered_in_json_when_the_client_accepts_json(master_url: str) -> None:
    """The answer's type follows Accept (JSON first), not the call's Content-Type."""
    call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info("pb-in")}}
    host, port = split_url(master_url)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(
            "POST",
            "/api/v1/scheduler",
            protobuf_wire.encode(call, "SchedulerCall"),
            {"Content-Type": PROTOBUF, "Accept": f"{PROTOBUF};q=0.5, application/json"},
        )
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        reader = RecordReader()
        records: list[bytes] = []
        while not records:
            records = reader.feed(response.read1(65536))
        assert json.loads(records[0])["type"] == "SUBSCRIBED"
    finally:
        connection.close()


UNSUPPORTED = "Expecting 'Content-Type' of application/json or application/x-protobuf"
UNPARSED = "Failed to parse body into Call protobuf"
BAD_NEGOTIATIONS = [
    # (Content-Type, Accept, body, status, text): Mesos's answers (master/http.cpp).
    ("text/plain", "*/*", b"{}", 415, UNSUPPORTED),
    (PROTOBUF, "text/html", "subscribe", 406, NOT_ACCEPTABLE),
    (PROTOBUF, "application/json;q=0, application/*;q=0", "subscribe", 406, NOT_ACCEPTABLE),
    (PROTOBUF, PROTOBUF, bytes.fromhex("1a 05 0a 01"), 400, UNPARSED),
    # SUBSCRIBE without its required framework_info: ParseFromString refuses it.
    (PROTOBUF, PROTOBUF, bytes.fromhex("10 01 1a 00"), 400, UNPARSED),
]


@pytest.mark.parametrize(("content_type", "accept", "body", "status", "text"), BAD_NEGOTIATIONS)
def test_scheduler_content_negotiation_as_mesos(
    master_url: str, content_type: str, accept: str, body: Any, status: int, text: str
) -> None:
    if body == "subscribe":
        call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info("neg")}}
        body = protobuf_wire.encode(call, "SchedulerCall")
    headers = {"Content-Type": content_type, "Accept": accept}
    answer = post(master_url, "/api/v1/scheduler", body, **headers)
    assert (answer[0], answer[2].decode()) == (status, text)


def test_protobuf_call_with_a_hostile_id_fails_validation(master_url: str) -> None:
    call = {"type": "TEARDOWN", "framework_id": {"value": "../../x"}}
    encoded = protobuf_wire.encode(call, "SchedulerCall")
    status, _, body = post(master_url, "/api/v1/scheduler", encoded, **{"Content-Type": PROTOBUF})
    assert status == 400
    assert body.decode().startswith("Failed to validate scheduler::Call: 'framework_id'")


def test_operator_apis_speak_protobuf(cluster: LoopbackCluster, master_url: str) -> None:
    headers = {"Content-Type": PROTOBUF, "Accept": PROTOBUF}
    health = protobuf_wire.encode({"type": "GET_HEALTH"}, "MasterCall")
    status, answer_headers, body = post(master_url, "/api/v1", health, **headers)
    assert (status, answer_headers["Content-Type"]) == (200, PROTOBUF)
    assert protobuf_wire.decode(body, "MasterResponse") == {
        "type": "GET_HEALTH",
        "get_health": {"healthy": True},
    }
    # GET_AGENTS in protobuf holds what the JSON answer holds (nothing the table lacks).
    agents = protobuf_wire.encode({"type": "GET_AGENTS"}, "MasterCall")
    status, _, body = post(master_url, "/api/v1", agents, **headers)
    assert status == 200
    decoded = protobuf_wire.decode(body, "MasterResponse")
    _, _, text = post_json(master_url, "/api/v1", {"type": "GET_AGENTS"})
    assert decoded == _without_empty_lists(json.loads(text))
    # The agent's: its own call enum (GET_CONTAINERS is 10, GET_AGENTS in master.Call).
    agent_url = cluster.agent_url(cluster.agent_id_of(0))
    containers = protobuf_wire.encode({"type": "GET_CONTAINERS"}, "AgentOperatorCall")
    status, _, body = post(agent_url, "/api/v1", containers, **headers)
    assert status == 200
    assert protobuf_wire.decode(body, "AgentResponse")["type"] == "GET_CONTAINERS"
    status, _, body = post(agent_url, "/api/v1", b"\x0f", **headers)
    assert (status, body) == (400, b"Failed to parse body into Call protobuf")


def test_operator_calls_that_change_the_cluster_speak_protobuf(master_url: str) -> None:
    """UPDATE_QUOTA (a proto map in QuotaConfig) and UPDATE_WEIGHTS in protobuf, read back
    in protobuf as the JSON answer has them."""
    headers = {"Content-Type": PROTOBUF, "Accept": PROTOBUF}
    config = {"role": "protobuf-quota", "limits": {"cpus": {"value": 0.5}, "mem": {"value": 64.0}}}
    calls = [
        {"type": "UPDATE_QUOTA", "update_quota": {"force": True, "quota_configs": [config]}},
        {
            "type": "UPDATE_WEIGHTS",
            "update_weights": {"weight_infos": [{"role": "protobuf-quota", "weight": 2.5}]},
        },
    ]
    for call in calls:
        status, _, body = post(
            master_url, "/api/v1", protobuf_wire.encode(call, "MasterCall"), **headers
        )
        assert (status, body) == (200, b""), call["type"]
    for query in ("GET_QUOTA", "GET_WEIGHTS"):
        status, answer_headers, body = post(
            master_url, "/api/v1", protobuf_wire.encode({"type": query}, "MasterCall"), **headers
        )
        assert (status, answer_headers["Content-Type"]) == (200, PROTOBUF), query
        decoded = protobuf_wire.decode(body, "MasterResponse")
        _, _, text = post_json(master_url, "/api/v1", {"type": query})
        assert decoded == _without_empty_lists(json.loads(text)), query
    status, _, body = post(
        master_url, "/api/v1", protobuf_wire.encode({"type": "GET_QUOTA"}, "MasterCall"), **headers
    )
    configs = protobuf_wire.decode(body, "MasterResponse")["get_quota"]["status"]["configs"]
    assert config in configs


def test_executor_api_reads_protobuf(cluster: LoopbackCluster) -> None:
    agent_url = cluster.agent_url(cluster.agent_id_of(0))
    call = {
        "type": "SUBSCRIBE",
        "framework_id": {"value": "no-such-framework"},
        "executor_id": {"value": "no-such-executor"},
        "subscribe": {},
    }
    headers = {"Content-Type": PROTOBUF, "Accept": PROTOBUF}
    status, _, body = post(
        agent_url, "/api/v1/executor", protobuf_wire.encode(call, "ExecutorCall"), **headers
    )
    assert (status, body) == (400, b"Framework cannot be found")
    status, _, body = post(agent_url, "/api/v1/executor", b"\x1a\x09", **headers)
    assert (status, body) == (400, b"Failed to parse body into Call protobuf")


def test_protobuf_executor_end_to_end(
    cluster: LoopbackCluster, scheduler: SchedulerSession
) -> None:
    """A custom executor speaking protobuf: SUBSCRIBED (with its container id), LAUNCH,
    UPDATEs acknowledged, all RecordIO-framed protobuf."""
    offer = scheduler.next_offers(start=0)[0]
    command = f"{sys.executable} {Path(__file__).parent / 'protobuf_executor.py'}"
    task = executor_task(offer, command, "protobuf-executor-task", "protobuf-executor")
    assert scheduler.launch(offer, [task])[0] == 202
    finished = scheduler.wait_update("protobuf-executor-task", {"TASK_FINISHED", "TASK_FAILED"})
    assert finished["state"] == "TASK_FINISHED"
    container = sandbox_container_id(cluster, offer["agent_id"]["value"], task["name"])
    assert base64.b64decode(finished["data"]).decode() == container
    assert finished["container_status"]["container_id"] == {"value": container}


def _without_empty_lists(value: Any) -> Any:
    """JSON as protobuf carries it: an empty repeated field is absent."""
    if isinstance(value, dict):
        return {k: _without_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [_without_empty_lists(v) for v in value]
    return value


def _hostile_protobuf() -> st.SearchStrategy[bytes]:
    """Bodies protobuf's parser refuses: truncated varints, bad wire types, lengths past the
    end, deep nesting, or random bytes around a valid SUBSCRIBE."""
    valid = protobuf_wire.encode(
        {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info("fuzz")}},
        "SchedulerCall",
    )
    # Groups nest (field 50: start 0x93 0x03, end 0x94 0x03), unknown or not.
    nested = b"\x93\x03" * 150 + b"\x94\x03" * 150
    return st.one_of(
        st.binary(max_size=64),
        st.integers(1, len(valid) - 1).map(lambda cut: valid[:cut]),
        st.sampled_from([b"\x80" * 11, b"\x0e", b"\x0f", b"\x1a\xff\xff\xff\xff\x0f", nested]),
        st.tuples(st.binary(max_size=8), st.binary(max_size=8)).map(
            lambda parts: parts[0] + valid + parts[1]
        ),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=_hostile_protobuf(), path=st.sampled_from(["/api/v1/scheduler", "/api/v1"]))
def test_malformed_protobuf_is_a_400_never_a_5xx(master_url: str, body: bytes, path: str) -> None:
    host, port = split_url(master_url)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("POST", path, body, {"Content-Type": PROTOBUF})
        response = connection.getresponse()
        # Bytes that happen to be a valid SUBSCRIBE open a stream (200): not read further.
        text = response.read() if response.status != 200 else b""
    finally:
        connection.close()
    assert response.status < 500, (response.status, text)
    assert b"Traceback" not in text


# ----- 2. offers in the framework's resource format -----
@pytest.mark.parametrize(
    ("capabilities", "has_role", "has_allocation_info"),
    [
        ([], True, False),
        (["RESERVATION_REFINEMENT"], False, False),
        (["MULTI_ROLE"], True, True),
        (["MULTI_ROLE", "RESERVATION_REFINEMENT"], False, True),
    ],
)
def test_offered_resources_follow_the_frameworks_capabilities(
    master_url: str, capabilities: list[str], has_role: bool, has_allocation_info: bool
) -> None:
    """Master::offer: PRE_RESERVATION_REFINEMENT (`role`, no `reservations`) unless the
    framework is RESERVATION_REFINEMENT (then `reservations` only, none when unreserved);
    allocation_info only for MULTI_ROLE frameworks (MESOS-8237)."""
    info = framework_info(
        f"format-{'-'.join(capabilities) or 'none'}",
        capabilities=[{"type": c} for c in capabilities],
    )
    if "MULTI_ROLE" in capabilities:
        info["roles"] = ["*"]
    session = SchedulerSession(master_url, info)
    try:
        session.subscribe()
        offer = session.next_offers(start=0)[0]
        resources = offer["resources"]
        assert all(("role" in r) == has_role for r in resources), resources
        assert all("reservations" not in r for r in resources), resources
        assert all(("allocation_info" in r) == has_allocation_info for r in resources)
        assert ("allocation_info" in offer) == has_allocation_info
        # The operator API keeps Mesos's ENDPOINT format: role and allocation_info.
        _, _, text = post_json(master_url, "/api/v1", {"type": "GET_FRAMEWORKS"})
        frameworks = json.loads(text)["get_frameworks"]["frameworks"]
        mine = next(
            f for f in frameworks if f["framework_info"]["id"]["value"] == session.framework_id
        )
        shown = [r for o in mine["offers"] for r in o["resources"]]
        assert shown
        assert all(r["role"] == "*" and "allocation_info" in r for r in shown), shown
    finally:
        session.teardown()


# ----- 3. paths as libprocess routes them -----
@pytest.mark.parametrize(
    ("path", "same_as"),
    [
        ("/master/frameworks/", "/master/frameworks"),
        ("/master/state/", "/master/state"),
        ("/master/state//", "/master/state"),
        ("/master/state/anything/below", "/master/state"),
        ("/state/", "/state"),
        ("/master/slaves/", "/master/slaves"),
        ("/flags/", "/flags"),
    ],
)
def test_master_paths_route_as_libprocess(master_url: str, path: str, same_as: str) -> None:
    status, _, body = request(master_url, "GET", path)
    assert status == 200, (path, status, body)
    assert json.loads(body).keys() == get_json(master_url, same_as).keys()


def test_agent_paths_and_unknown_paths(cluster: LoopbackCluster, master_url: str) -> None:
    agent_url = cluster.agent_url(cluster.agent_id_of(0))
    assert json.loads(request(agent_url, "GET", "/state/")[2])["id"] == cluster.agent_id_of(0)
    assert request(agent_url, "GET", "/slave(1)/state/")[0] == 200
    assert request(master_url, "GET", "/no/such/endpoint/")[0] == 404
    assert request(master_url, "GET", "/master/")[0] == 404
    # A trailing slash is still the scheduler API: its validation, not the agent link's.
    status, _, body = post_json(master_url, "/api/v1/scheduler/", {"type": 5})
    assert status == 400
    assert body.decode() == (
        "Failed to convert JSON into Call protobuf: Not expecting a JSON number for field 'type'"
    )


# ----- 4. /master/tasks's query -----
def test_master_tasks_query_parameters(master_url: str) -> None:
    session = SchedulerSession(master_url, framework_info("tasks-query"))
    other = SchedulerSession(master_url, framework_info("tasks-query-other"))
    try:
        session.subscribe()
        other.subscribe()
        offer = session.next_offers(start=0)[0]
        tasks = [command_task(offer, "sleep 60", f"query-{n}") for n in range(3)]
        assert session.launch(offer, tasks)[0] == 202
        for task in tasks:
            session.wait_update(task["task_id"]["value"], {"TASK_RUNNING"})
            time.sleep(0.01)
        other_offer = other.next_offers(start=0)[0]
        assert other.launch(other_offer, [command_task(other_offer, "sleep 60", "query-0")])[0]
        other.wait_update("query-0", {"TASK_RUNNING"})

        def ids(query: str) -> list[tuple[str, str]]:
            listed = get_json(master_url, f"/master/tasks?{query}")["tasks"]
            return [(t["framework_id"], t["id"]) for t in listed]

        mine, theirs = session.framework_id or "", other.framework_id or ""
        assert sorted(ids("task_id=query-1")) == [(mine, "query-1")]
        assert sorted(ids("task_id=query-0")) == sorted([(mine, "query-0"), (theirs, "query-0")])
        assert ids(f"task_id=query-0&framework_id={theirs}") == [(theirs, "query-0")]
        assert ids("task_id=") == []
        listed = get_json(master_url, f"/master/tasks?framework_id={mine}")["tasks"]
        # Newest first: by the timestamp of each task's first status.
        firsts = [t["statuses"][0]["timestamp"] for t in listed]
        assert firsts == sorted(firsts, reverse=True)
        newest_first = [(t["framework_id"], t["id"]) for t in listed]
        assert sorted(t for _, t in newest_first) == ["query-0", "query-1", "query-2"]
        assert ids(f"framework_id={mine}&order=asc") == newest_first[::-1]
        assert ids(f"framework_id={mine}&limit=1&offset=1") == [newest_first[1]]
        assert ids(f"framework_id={mine}&limit=x") == newest_first  # not a number: default
        assert ids(f"framework_id={mine}&offset=-1") == []  # size_t(-1): past the end
    finally:
        session.teardown()
        other.teardown()


# ----- 5. ContainerStatus in status updates -----
def test_status_updates_carry_the_executor_containers_status(
    cluster: LoopbackCluster, master_url: str
) -> None:
    session = SchedulerSession(master_url, framework_info("container-status"))
    try:
        session.subscribe()
        offer = session.next_offers(start=0)[0]
        assert session.launch(offer, [command_task(offer, "sleep 60", "contained")])[0] == 202
        running = session.wait_update("contained", {"TASK_RUNNING"})
        agent_id = offer["agent_id"]["value"]
        container_id = sandbox_container_id(cluster, agent_id, "contained")
        container = running["container_status"]
        assert container["container_id"] == {"value": container_id}
        assert isinstance(container["executor_pid"], int)
        assert container["executor_pid"] > 1
        assert container["network_infos"] == [{"ip_addresses": [{"ip_address": "127.0.0.1"}]}]
        state = get_json(master_url, "/master/state")
        framework = next(f for f in state["frameworks"] if f["id"] == session.framework_id)
        task = next(t for t in framework["tasks"] if t["id"] == "contained")
        shown = [s.get("container_status") for s in task["statuses"]]
        assert shown[-1]["container_id"] == {"value": container_id}
        assert "executor_pid" not in shown[-1]  # model(ContainerStatus) leaves it out
    finally:
        session.teardown()
