"""Issue 16, items 5 and 6: hostile bodies get Mesos's 400 naming the problem, never a 500,
and the daemons keep serving."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from mesos_http import SchedulerSession, framework_info, request, scalar

from mesos_lite import validation
from mesos_lite.ids import id_problem, role_problem
from mesos_lite.master import scheduler_call_parsing
from mesos_lite.testing import ExternalCluster as Cluster

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
PARSE = "Failed to parse body into JSON"
CONVERT = "Failed to convert JSON into Call protobuf: "


def _subscribe_body(**info: Any) -> dict[str, Any]:
    return {
        "type": "SUBSCRIBE",
        "subscribe": {"framework_info": {**framework_info(f"bad-{uuid.uuid4()}"), **info}},
    }


# (name, raw body, expected message fragment): every one is a 400 from Mesos.
RAW_BODIES = [
    ("deep nesting", b"[" * 100_000, PARSE),
    ("deep object nesting", b'{"a":' * 5000 + b"1" + b"}" * 5000, PARSE),
    ("4301-digit integer", b'{"type": ' + b"7" * 4301 + b"}", PARSE),
    ("NaN literal", b'{"type": "SUBSCRIBE", "x": NaN}', PARSE),
    ("Infinity literal", b'{"type": "SUBSCRIBE", "x": -Infinity}', PARSE),
    ("overflowing double", b'{"type": "SUBSCRIBE", "x": 1e999}', PARSE),
    ("array body", b"[1, 2]", "Expecting a JSON object"),
    ("string body", b'"SUBSCRIBE"', "Expecting a JSON object"),
    ("invalid utf-8", b'{"type": "\xff"}', PARSE),
]

# (name, SUBSCRIBE framework_info overrides, expected message fragment).
BAD_FRAMEWORKS = [
    ("checkpoint string", {"checkpoint": "yes please"}, "field 'checkpoint'"),
    ("capabilities string", {"capabilities": "PARTITION_AWARE"}, "field 'capabilities'"),
    ("capability enum number", {"capabilities": [{"type": 5}]}, "field 'type'"),
    ("roles number", {"roles": 5}, "field 'roles'"),
    ("label key number", {"labels": {"labels": [{"key": 5}]}}, "field 'key'"),
    ("failover string", {"failover_timeout": "soon"}, "field 'failover_timeout'"),
    ("user number", {"user": 0}, "field 'user'"),
    ("role traversal", {"roles": ["../../x"], "capabilities": [{"type": "MULTI_ROLE"}]}, ".."),
    ("role slash start", {"role": "/x"}, "Role '/x'"),
    ("framework id traversal", {"id": {"value": "../../x"}}, "contains invalid characters"),
    ("framework id slash", {"id": {"value": "a/b"}}, "contains invalid characters"),
    ("framework id control", {"id": {"value": "a\nb"}}, "contains invalid characters"),
    ("framework id 300 chars", {"id": {"value": "f" * 300}}, "greater than 255"),
]


@pytest.mark.parametrize(("name", "body", "expected"), RAW_BODIES, ids=[b[0] for b in RAW_BODIES])
def test_hostile_json_is_a_400(cluster: Cluster, name: str, body: bytes, expected: str) -> None:
    for url, path in _endpoints(cluster):
        status, _, text = request(url, "POST", path, body, JSON_HEADERS)
        assert status == 400, (name, path, status, text[:300])
        assert expected in text.decode(), (name, path, text[:300])
        assert b"Traceback" not in text
    _all_serving(cluster)


def test_gzip_that_is_not_gzip_is_a_400(cluster: Cluster) -> None:
    headers = {**JSON_HEADERS, "Content-Encoding": "gzip"}
    for url, path in _endpoints(cluster):
        status, _, text = request(url, "POST", path, b'{"type": "SUBSCRIBE"}', headers)
        assert status == 400, (path, status, text[:300])
    # Real gzip is decoded (aiohttp), and then validated like any body.
    status, _, text = request(
        cluster.master_url, "POST", "/api/v1/scheduler", gzip.compress(b"[1]"), headers
    )
    assert status == 400
    assert b"Expecting a JSON object" in text
    _all_serving(cluster)


@pytest.mark.parametrize(
    ("name", "info", "expected"), BAD_FRAMEWORKS, ids=[b[0] for b in BAD_FRAMEWORKS]
)
def test_subscribe_checks_framework_info_types_and_ids(
    master_url: str, name: str, info: dict[str, Any], expected: str
) -> None:
    status, _, text = request(
        master_url, "POST", "/api/v1/scheduler", json.dumps(_subscribe_body(**info)), JSON_HEADERS
    )
    assert status == 400, (name, status, text[:300])
    assert expected in text.decode(), (name, text[:300])


def test_calls_of_a_subscribed_framework_are_typed(scheduler: SchedulerSession) -> None:
    offer = scheduler.next_offers(start=0)[0]
    task = {
        "name": "t",
        "task_id": {"value": f"t-{uuid.uuid4()}"},
        "agent_id": offer["agent_id"],
        "command": {"value": "true"},
        "resources": [scalar("cpus", 0.1), scalar("mem", 32)],
    }
    bad_calls: list[tuple[str, dict[str, Any], str]] = [
        (
            "KILL",
            {"task_id": {"value": "x"}, "kill_policy": {"grace_period": {"nanoseconds": "soon"}}},
            "field 'nanoseconds'",
        ),
        (
            "DECLINE",
            {"offer_ids": [offer["id"]], "filters": {"refuse_seconds": "NaN"}},
            "field 'refuse_seconds'",
        ),
        (
            "ACCEPT",
            {
                "offer_ids": [offer["id"]],
                "operations": [
                    {
                        "type": "LAUNCH",
                        "launch": {"task_infos": [{**task, "resources": [scalar("cpus", 1e308)]}]},
                    }
                ],
            },
            "out of range",
        ),
        (
            "ACCEPT",
            {
                "offer_ids": [offer["id"]],
                "operations": [
                    {
                        "type": "LAUNCH",
                        "launch": {
                            "task_infos": [
                                {
                                    **task,
                                    "resources": [
                                        {
                                            "name": "cpus",
                                            "type": "SCALAR",
                                            "scalar": {"value": "Infinity"},
                                        }
                                    ],
                                }
                            ]
                        },
                    }
                ],
            },
            "field 'value'",
        ),
        (
            "ACCEPT",
            {
                "offer_ids": [offer["id"]],
                "operations": [
                    {
                        "type": "LAUNCH",
                        "launch": {
                            "task_infos": [{**task, "command": {"value": "true", "shell": "no"}}]
                        },
                    }
                ],
            },
            "field 'shell'",
        ),
        (
            "ACCEPT",
            {
                "offer_ids": [offer["id"]],
                "operations": [
                    {"type": "LAUNCH", "launch": {"task_infos": [{**task, "data": "not base64!"}]}}
                ],
            },
            "bytes field 'data'",
        ),
        (
            "ACKNOWLEDGE",
            {"agent_id": offer["agent_id"], "task_id": {"value": "x"}, "uuid": 5},
            "field 'uuid'",
        ),
        ("RECONCILE", {"tasks": [{"task_id": {"value": ["x"]}}]}, "field 'value'"),
        ("REVIVE", {"roles": ["a b"]}, "whitespace"),
    ]
    for call_type, body, expected in bad_calls:
        status, text = scheduler.call(call_type, body)
        assert status == 400, (call_type, status, text[:300])
        assert expected in text.decode(), (call_type, text[:300])
    # The offer is still good: nothing above was applied.
    status, text = scheduler.launch(offer, [task])
    assert status == 202, text


# What the scheduler call handlers once checked themselves (scheduler_call_parsing): each is
# the validation layer's now, a 400 naming the field before any handler runs.
FORMER_HANDLER_CHECKS: list[tuple[str, Any, str]] = [
    ("KILL", 5, "field 'kill'"),
    ("KILL", {"agent_id": {"value": "a"}}, "Missing required fields: kill.task_id"),
    ("SHUTDOWN", {"executor_id": {"value": "e"}}, "shutdown.agent_id"),
    ("DECLINE", {"offer_ids": "O-1"}, "field 'offer_ids'"),
    ("DECLINE", {"offer_ids": [5]}, "field 'offer_ids'"),
    ("DECLINE", {"offer_ids": [], "filters": 5}, "field 'filters'"),
    ("ACCEPT", {"offer_ids": [], "operations": 5}, "field 'operations'"),
    ("ACCEPT", {"offer_ids": [], "operations": [{"type": 7}]}, "field 'type'"),
    (
        "ACCEPT",
        {"offer_ids": [], "operations": [{"type": "LAUNCH", "launch": {"task_infos": [5]}}]},
        "field 'task_infos'",
    ),
    (
        "ACCEPT",
        {"offer_ids": [], "operations": [{"type": "LAUNCH_GROUP", "launch_group": {}}]},
        "launch_group.executor",
    ),
    ("RECONCILE", {"tasks": {"agent_id": {"value": "a"}}}, "reconcile.tasks[0].task_id"),
    ("MESSAGE", {"agent_id": {"value": "a"}, "executor_id": {"value": "e"}}, "message.data"),
    (
        "MESSAGE",
        {"agent_id": {"value": "a"}, "executor_id": {"value": "e"}, "data": "!!"},
        "bytes field 'data'",
    ),
    ("ACKNOWLEDGE", {"agent_id": {"value": "a"}, "task_id": {"value": "t"}}, "acknowledge.uuid"),
    ("UPDATE_FRAMEWORK", {}, "update_framework.framework_info"),
    ("SUPPRESS", {"roles": 5}, "field 'roles'"),
]


@pytest.mark.parametrize(
    ("call_type", "body", "expected"),
    FORMER_HANDLER_CHECKS,
    ids=[f"{c[0]}-{n}" for n, c in enumerate(FORMER_HANDLER_CHECKS)],
)
def test_one_validation_layer_covers_the_call_bodies(
    scheduler: SchedulerSession, call_type: str, body: Any, expected: str
) -> None:
    status, text = scheduler.call(call_type, body)
    assert status == 400, (status, text[:300])
    assert expected in text.decode(), text[:300]


def test_the_handlers_trust_the_layer() -> None:
    """scheduler_call_parsing keeps no type checks of its own (one validation layer)."""
    source = Path(scheduler_call_parsing.__file__).read_text()
    assert "isinstance" not in source
    for gone in ("parse_error", "list_field", "_require_dict", "require_id"):
        assert not hasattr(scheduler_call_parsing, gone), gone


def test_executor_api_refuses_hostile_task_ids(cluster: Cluster) -> None:
    agent_url = cluster.agent_url(cluster.active_agents()[0]["id"])
    body = {
        "type": "UPDATE",
        "framework_id": {"value": "f"},
        "executor_id": {"value": "e"},
        "update": {
            "status": {
                "task_id": {"value": "../../../../tmp/x"},
                "state": "TASK_RUNNING",
                "source": "SOURCE_EXECUTOR",
                "uuid": "AAAAAAAAAAAAAAAAAAAAAA==",
            }
        },
    }
    status, _, text = request(agent_url, "POST", "/api/v1/executor", json.dumps(body), JSON_HEADERS)
    assert status == 400
    assert b"contains invalid characters" in text


def test_null_is_unset_and_a_lone_value_is_a_list() -> None:
    """Mesos's JSON-to-protobuf conversion: null leaves a field unset, a single value of a
    repeated field is one element; the handlers then only see well-typed values."""
    body: dict[str, Any] = {
        "type": "SUBSCRIBE",
        "subscribe": {
            "framework_info": {
                "user": "root",
                "name": "x",
                "roles": "web",
                "capabilities": {"type": "MULTI_ROLE"},
                "hostname": None,
            }
        },
    }
    validation.check_call(body, "scheduler", "Call")
    info = body["subscribe"]["framework_info"]
    assert info["roles"] == ["web"]
    assert info["capabilities"] == [{"type": "MULTI_ROLE"}]
    assert "hostname" not in info


def test_an_optional_enums_unknown_name_is_dropped_a_required_ones_refused() -> None:
    """stout's JSON conversion (proto2): an unknown name leaves an optional enum unset (a
    repeated one loses that element); only a required enum's is 'Failed to find enum'."""
    body: dict[str, Any] = {
        "type": "SUBSCRIBE",
        "subscribe": {
            "framework_info": {
                "user": "root",
                "name": "x",
                "capabilities": [{"type": "ROOT_PLEASE"}, {"type": "MULTI_ROLE"}],
            }
        },
    }
    validation.check_call(body, "scheduler", "Call")
    assert body["subscribe"]["framework_info"]["capabilities"] == [{}, {"type": "MULTI_ROLE"}]
    unknown_type: dict[str, Any] = {"type": "FOO"}
    validation.check_call(unknown_type, "scheduler", "Call")
    assert unknown_type == {}
    resource = {"name": "cpus", "type": "FUZZY", "scalar": {"value": 1}}
    with pytest.raises(validation.ParseError, match="Failed to find enum for 'FUZZY'"):
        validation.check_message(resource, "Resource")


@pytest.mark.parametrize("path", ["/api/v1/scheduler", "/api/v1/executor"])
def test_a_call_of_an_unknown_type_is_a_call_without_type(cluster: Cluster, path: str) -> None:
    agent_url = cluster.agent_url(cluster.active_agents()[0]["id"])
    url = cluster.master_url if path.endswith("scheduler") else agent_url
    status, _, text = request(url, "POST", path, json.dumps({"type": "FOO"}), JSON_HEADERS)
    assert status == 400
    assert text.decode().endswith("Expecting 'type' to be present"), text


def test_missing_required_field_is_named_with_its_path() -> None:
    body = {
        "type": "ACCEPT",
        "accept": {"operations": [{"type": "LAUNCH", "launch": {"task_infos": [{}]}}]},
    }
    with pytest.raises(validation.ParseError) as raised:
        validation.check_call(body, "scheduler", "Call")
    assert str(raised.value) == (
        CONVERT + "Missing required fields: accept.operations[0].launch.task_infos[0].name"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "ID must not be empty"),
        (".", "'.' is disallowed"),
        ("..", "'..' is disallowed"),
        ("a/b", "'a/b' contains invalid characters"),
        ("a\\b", "'a\\b' contains invalid characters"),
        ("a\x00b", "'a\x00b' contains invalid characters"),
        ("a\x7fb", "'a\x7fb' contains invalid characters"),
        ("x" * 256, "ID must not be greater than 255 characters"),
        ("x" * 255, None),
        ("task-1.2_ok:ä", None),
    ],
)
def test_ids_as_mesos_validate_id(value: str, problem: str | None) -> None:
    assert id_problem(value) == problem


@pytest.mark.parametrize(
    ("role", "valid"),
    [
        ("*", True),
        ("web", True),
        ("eng/web", True),
        ("", False),
        (".", False),
        ("..", False),
        ("a/../b", False),
        ("/a", False),
        ("a/", False),
        ("a//b", False),
        ("-a", False),
        ("a/-b", False),
        ("a b", False),
        ("a\tb", False),
        ("a/*", False),
    ],
)
def test_roles_as_mesos_roles_validate(role: str, valid: bool) -> None:
    assert (role_problem(role) is None) == valid


def _endpoints(cluster: Cluster) -> list[tuple[str, str]]:
    agent_url = cluster.agent_url(cluster.active_agents()[0]["id"])
    return [
        (cluster.master_url, "/api/v1/scheduler"),
        (cluster.master_url, "/api/v1"),
        (cluster.master_url, "/mesos-lite/agent"),
        (agent_url, "/api/v1/executor"),
        (agent_url, "/api/v1"),
    ]


def _all_serving(cluster: Cluster) -> None:
    assert request(cluster.master_url, "GET", "/health")[0] == 200
    for agent in cluster.active_agents():
        assert request(cluster.agent_url(agent["id"]), "GET", "/health")[0] == 200
