"""Check 6 and issue item 7, fuzzed: bad input to the v1 endpoints gets a 4xx answer (as
Mesos gives) and the daemons keep serving."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mesos_http import SchedulerSession, command_task, request
from schema_strategies import hostile_calls

from mesos_lite.agent_protocol import AGENT_PATH
from mesos_lite.testing import ExternalCluster as Cluster

CLIENT_ERRORS = {400, 403, 404, 405, 406, 409, 415}
JSON_TYPE = "application/json"
SCHEDULER_CALLS = [
    "TEARDOWN",
    "ACCEPT",
    "DECLINE",
    "REVIVE",
    "KILL",
    "SHUTDOWN",
    "ACKNOWLEDGE",
    "RECONCILE",
    "MESSAGE",
    "REQUEST",
    "SUPPRESS",
    "UPDATE_FRAMEWORK",
    "UNKNOWN",
]
EXECUTOR_CALLS = ["SUBSCRIBE", "UPDATE", "MESSAGE", "UNKNOWN"]
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Strict JSON values: NaN and Infinity are not JSON, and the hostile-number cases (refused
# with 400 wherever they appear) are test_validation's and the schema fuzzer's.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(st.none(), json_values, st.builds(lambda v: {"value": v}, st.text(max_size=40)))


def call_bodies(types: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda kind, framework_id, executor_id, extra: {
            **extra,
            "type": kind,
            "framework_id": framework_id,
            "executor_id": executor_id,
        },
        st.sampled_from(types) | st.text(max_size=20),
        ids,
        ids,
        st.dictionaries(
            st.sampled_from(
                [
                    "accept",
                    "decline",
                    "kill",
                    "update",
                    "message",
                    "reconcile",
                    "acknowledge",
                    "subscribe",
                    "revive",
                ]
            ),
            json_values,
            max_size=3,
        ),
    )


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.builds(
        lambda n, tail: f"{n}\n".encode() + tail, st.integers(0, 10**12), st.binary(max_size=50)
    ),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/x-protobuf",
        "application/recordio",
        "text/plain",
        "",
        "application/json; x",
    ]
)


def _still_serving(url: str) -> None:
    status, _, _ = request(url, "GET", "/health")
    assert status == 200


def _post(
    url: str, path: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> int:
    all_headers = {"Accept": "application/json", **(headers or {})}
    if content_type:
        all_headers["Content-Type"] = content_type
    status, _, _ = request(url, "POST", path, body, all_headers)
    return status


@FUZZ
@given(body=call_bodies(SCHEDULER_CALLS), stream=st.none() | st.uuids().map(str))
def test_scheduler_calls_with_bad_ids(
    cluster: Cluster, body: dict[str, Any], stream: str | None
) -> None:
    status = _post(
        cluster.master_url,
        "/api/v1/scheduler",
        json.dumps(body).encode(),
        "application/json",
        {"Mesos-Stream-Id": stream} if stream else None,
    )
    assert status in CLIENT_ERRORS, (status, body)


@FUZZ
@given(body=raw_bodies, content_type=content_types)
def test_scheduler_garbage(cluster: Cluster, body: bytes, content_type: str) -> None:
    try:
        parsed = json.loads(body)
        assume(not (isinstance(parsed, dict) and parsed.get("type") == "SUBSCRIBE"))
    except ValueError:
        pass
    status = _post(cluster.master_url, "/api/v1/scheduler", body, content_type)
    assert status in CLIENT_ERRORS, status


@FUZZ
@given(body=call_bodies(EXECUTOR_CALLS) | raw_bodies, content_type=content_types)
def test_executor_api_garbage(
    cluster: Cluster, body: dict[str, Any] | bytes, content_type: str
) -> None:
    agent_url = cluster.agent_url(cluster.active_agents()[0]["id"])
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    status = _post(agent_url, "/api/v1/executor", payload, content_type)
    assert status in CLIENT_ERRORS, (status, body)


@FUZZ
@given(
    kind=st.sampled_from(["GET_HEALTH", "GET_STATE", "GET_AGENTS", "NOT_A_CALL", ""])
    | st.text(max_size=20),
    extra=json_values,
    content_type=content_types,
)
def test_operator_api_garbage(cluster: Cluster, kind: str, extra: Any, content_type: str) -> None:
    body = json.dumps({"type": kind, "extra": extra}).encode()
    status = _post(cluster.master_url, "/api/v1", body, content_type)
    if content_type == "application/json" and kind in (
        "GET_HEALTH",
        "GET_STATE",
        "GET_AGENTS",
    ):
        assert status == 200
    else:
        assert status in CLIENT_ERRORS, (status, kind, content_type)


def test_daemons_keep_serving_after_fuzzing(cluster: Cluster) -> None:
    _still_serving(cluster.master_url)
    for agent in cluster.active_agents():
        _still_serving(cluster.agent_url(agent["id"]))


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_scheduler_endpoint_wants_post(master_url: str, method: str) -> None:
    status, _, _ = request(master_url, method, "/api/v1/scheduler")
    assert status == 405


def test_subscribe_with_unacceptable_accept_header(master_url: str) -> None:
    body = {
        "type": "SUBSCRIBE",
        "subscribe": {"framework_info": {"user": "root", "name": f"accept-{uuid.uuid4()}"}},
    }
    status, _, _ = request(
        master_url,
        "POST",
        "/api/v1/scheduler",
        json.dumps(body),
        {"Content-Type": "application/json", "Accept": "text/html"},
    )
    assert status == 406


# ----- issue 16: calls generated from the protobuf schema, one known field made hostile -----
LAYER_PREFIXES = (
    b"Failed to parse body into JSON",
    b"Failed to convert JSON into",
    b"Failed to validate",
)
SCHEMA_FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _assert_refused_by_the_layer(status: int, text: bytes, body: Any) -> None:
    assert status == 400, (status, text[:300], json.dumps(body)[:500])
    assert text.startswith(LAYER_PREFIXES), (text[:300], json.dumps(body)[:500])
    assert b"Traceback" not in text


@SCHEMA_FUZZ
@given(data=st.data())
def test_schema_fuzz_scheduler(scheduler: SchedulerSession, data: st.DataObject) -> None:
    body = data.draw(
        hostile_calls("SchedulerCall", {"framework_id": {"value": scheduler.framework_id}})
    )
    status, _, text = request(
        scheduler.url,
        "POST",
        "/api/v1/scheduler",
        json.dumps(body),
        {"Content-Type": "application/json", "Mesos-Stream-Id": str(scheduler.stream_id)},
    )
    _assert_refused_by_the_layer(status, text, body)


@SCHEMA_FUZZ
@given(data=st.data(), kind=st.sampled_from(["ExecutorCall", "OperatorCall", "AgentCall"]))
def test_schema_fuzz_executor_operator_and_agent_link(
    cluster: Cluster, data: st.DataObject, kind: str
) -> None:
    agent_url = cluster.agent_url(cluster.active_agents()[0]["id"])
    url, path, base = {
        "ExecutorCall": (agent_url, "/api/v1/executor", {"type": "UPDATE"}),
        "OperatorCall": (cluster.master_url, "/api/v1", {"type": "GET_HEALTH"}),
        "AgentCall": (cluster.master_url, AGENT_PATH, {"type": "PONG"}),
    }[kind]
    body = data.draw(hostile_calls(kind, base))
    status, _, text = request(url, "POST", path, json.dumps(body), {"Content-Type": JSON_TYPE})
    _assert_refused_by_the_layer(status, text, body)


@FUZZ
@given(
    path=st.one_of(
        st.text(max_size=30),
        st.sampled_from(["/", "/..", "/etc/shadow", "/proc/self/environ", "\x00", "%00", "//"]),
    ),
    offset=st.one_of(st.none(), st.integers(-(2**70), 2**70).map(str), st.text(max_size=5)),
    length=st.one_of(st.none(), st.integers(-(2**70), 2**70).map(str), st.text(max_size=5)),
    endpoint=st.sampled_from(["/files/read", "/files/browse", "/files/download"]),
)
def test_files_fuzz(
    cluster: Cluster, path: str, offset: str | None, length: str | None, endpoint: str
) -> None:
    agent_url = cluster.agent_url(cluster.active_agents()[0]["id"])
    query = {"path": path, "offset": offset, "length": length}
    status, _, text = request(
        agent_url, "GET", f"{endpoint}?{urlencode({k: v for k, v in query.items() if v})}"
    )
    assert status in (200, *CLIENT_ERRORS), (status, text[:200])
    assert b"Traceback" not in text
    if status == 200:
        assert b"root:" not in text


def test_a_fresh_framework_still_runs_a_task_after_fuzzing(cluster: Cluster) -> None:
    _still_serving(cluster.master_url)
    session = SchedulerSession(cluster.master_url)
    session.info["name"] = f"after-fuzz-{uuid.uuid4().hex[:6]}"
    session.subscribe()
    try:
        offer = session.next_offers(start=0)[0]
        task_id = f"after-fuzz-{uuid.uuid4().hex[:6]}"
        status, text = session.launch(offer, [command_task(offer, "true", task_id)])
        assert status == 202, text
        assert session.wait_update(task_id, {"TASK_FINISHED"})["state"] == "TASK_FINISHED"
    finally:
        session.teardown()
