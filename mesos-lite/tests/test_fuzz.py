"""Check 6 and issue item 7, fuzzed: bad input to the v1 endpoints gets a 4xx answer (as
Mesos gives) and the daemons keep serving."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mesos_http import request

from mesos_lite.testing import ExternalCluster as Cluster

CLIENT_ERRORS = {400, 403, 404, 405, 406, 409, 415}
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

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
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
