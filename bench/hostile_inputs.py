"""Hostile input against mesos-lite, counted per class (issue 16's before/after table).

Starts a loopback master and agent, subscribes a framework, then sends: malformed JSON bodies to
every v1 endpoint; every call template of the scheduler, executor and operator APIs with each
known field (mesos_lite.schema) in turn made hostile (wrong JSON type, out-of-range number,
hostile id or role, deep nesting); hostile /files paths. Prints, per class, the inputs tried,
the 5xx answers and the invalid inputs accepted (a 2xx answer).

    python bench/hostile_inputs.py
"""

from __future__ import annotations

import copy
import gzip
import http.client
import json
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mesos_lite.schema import MESSAGES, field_spec
from mesos_lite.testing import free_port, resolve_command

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
DEEP: Any = 1
for _ in range(150):
    DEEP = [DEEP]
HOSTILE: dict[str, list[Any]] = {
    "id": [{"value": v} for v in ("..", "a/b", "x" * 256, "a\nb", "")],
    "role": ["..", "a b", "-x", "/x", 5],
    "message": [5, "x", True, DEEP],
    "string": [5, True, {"a": 1}],
    "bool": ["yes please", 1],
    "enum": ["NOT_AN_ENUM", 5],
    "bytes": ["not base64!", 5],
    "double": ["NaN", True],
    "float": ["NaN", True],
    "scalar": [1e300, "Infinity"],
    "int32": [2**31, "soon"],
    "uint32": [-1, 2**32],
    "int64": [2**63, "soon"],
    "uint64": [-1, 2**64],
}
RAW_BODIES = [
    b"[" * 100_000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b'{"type": ' + b"7" * 4301 + b"}",
    b'{"type": "SUBSCRIBE", "x": NaN}',
    b'{"type": "SUBSCRIBE", "x": Infinity}',
    b'{"type": "SUBSCRIBE", "x": 1e999}',
    b"[1, 2]",
    b'"SUBSCRIBE"',
    b'{"type": "\xff"}',
]


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status  # a SUBSCRIBE stream is not read further
    finally:
        connection.close()


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def field_kind(spec: str) -> tuple[str, bool, str]:
    read = field_spec(spec)
    return read.kind, read.repeated, read.target


def mutations(template: dict[str, Any], message: str) -> Iterator[dict[str, Any]]:
    """Copies of `template` with one known field (or one element of it) made hostile."""

    def walk(node: dict[str, Any], name: str, path: list[Any]) -> Iterator[list[Any]]:
        for field, spec in MESSAGES[name].items():
            if field not in node:
                continue
            kind, repeated, target = field_kind(spec)
            yield [*path, field]
            values = node[field] if repeated else [node[field]]
            for index, value in enumerate(values):
                where = [*path, field, index] if repeated else [*path, field]
                if repeated:
                    yield where
                if kind in ("message", "id") and isinstance(value, dict):
                    yield from walk(value, target, where)

    def spec_at(path: list[Any]) -> str:
        name, spec = message, ""
        for step in path:
            if isinstance(step, int):
                continue
            spec = MESSAGES[name][step]
            name = field_kind(spec)[2]
        return spec

    for path in walk(template, message, []):
        spec = spec_at(path)
        kind, repeated, _ = field_kind(spec)
        whole_repeated = repeated and not isinstance(path[-1], int)
        hostiles = HOSTILE[kind]
        if kind == "enum" and not field_spec(spec).required:
            # Mesos's JSON conversion drops an optional enum's unknown name (the field is
            # unset): not an invalid call. A number there is.
            hostiles = [h for h in hostiles if not isinstance(h, str)]
        for hostile in hostiles:
            bad = [hostile] if whole_repeated and not isinstance(hostile, list) else hostile
            body = copy.deepcopy(template)
            node = body
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = bad
            yield body


def templates(framework_id: str, agent_id: str) -> dict[str, list[dict[str, Any]]]:
    fid = {"value": framework_id}
    aid = {"value": agent_id}
    task = {
        "name": "t",
        "task_id": {"value": "t1"},
        "agent_id": aid,
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 2}]}},
        ],
        "command": {
            "value": "true",
            "shell": True,
            "user": "nobody",
            "arguments": ["a"],
            "environment": {"variables": [{"name": "A", "value": "1"}]},
            "uris": [{"value": "http://x", "extract": False}],
        },
        "kill_policy": {"grace_period": {"nanoseconds": 1}},
        "labels": {"labels": [{"key": "k", "value": "v"}]},
        "data": "eA==",
    }
    info = {
        "user": "root",
        "name": "hostile",
        "failover_timeout": 0.0,
        "checkpoint": False,
        "roles": ["*"],
        "capabilities": [{"type": "MULTI_ROLE"}],
        "labels": {"labels": [{"key": "k", "value": "v"}]},
        "hostname": "h",
    }
    return {
        "scheduler": [
            {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}},
            {
                "type": "ACCEPT",
                "framework_id": fid,
                "accept": {
                    "offer_ids": [{"value": "no-such-offer"}],
                    "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}],
                    "filters": {"refuse_seconds": 1.0},
                },
            },
            {
                "type": "DECLINE",
                "framework_id": fid,
                "decline": {"offer_ids": [{"value": "o"}], "filters": {"refuse_seconds": 1.0}},
            },
            {
                "type": "KILL",
                "framework_id": fid,
                "kill": {
                    "task_id": {"value": "t"},
                    "agent_id": aid,
                    "kill_policy": {"grace_period": {"nanoseconds": 1}},
                },
            },
            {
                "type": "RECONCILE",
                "framework_id": fid,
                "reconcile": {"tasks": [{"task_id": {"value": "t"}, "agent_id": aid}]},
            },
            {"type": "REVIVE", "framework_id": fid, "revive": {"roles": ["*"]}},
            {"type": "SUPPRESS", "framework_id": fid, "suppress": {"roles": ["*"]}},
            {
                "type": "ACKNOWLEDGE",
                "framework_id": fid,
                "acknowledge": {"agent_id": aid, "task_id": {"value": "t"}, "uuid": "AAAA"},
            },
        ],
        "executor": [
            {
                "type": "UPDATE",
                "framework_id": fid,
                "executor_id": {"value": "e"},
                "update": {
                    "status": {
                        "task_id": {"value": "t"},
                        "state": "TASK_RUNNING",
                        "source": "SOURCE_EXECUTOR",
                        "uuid": "AAAAAAAAAAAAAAAAAAAAAA==",
                        "data": "eA==",
                        "timestamp": 1.0,
                    }
                },
            },
            {
                "type": "MESSAGE",
                "framework_id": fid,
                "executor_id": {"value": "e"},
                "message": {"data": "eA=="},
            },
        ],
        "operator": [
            {"type": "GET_METRICS", "get_metrics": {"timeout": {"nanoseconds": 1000}}},
            {"type": "READ_FILE", "read_file": {"path": "/x", "offset": 0, "length": 1}},
            {"type": "LIST_FILES", "list_files": {"path": "/x"}},
            {"type": "TEARDOWN", "teardown": {"framework_id": {"value": "no-such"}}},
            {
                "type": "SET_LOGGING_LEVEL",
                "set_logging_level": {"level": 1, "duration": {"nanoseconds": 1000}},
            },
            {"type": "DEACTIVATE_AGENT", "deactivate_agent": {"agent_id": {"value": "no-such"}}},
            {"type": "REACTIVATE_AGENT", "reactivate_agent": {"agent_id": {"value": "no-such"}}},
            {"type": "MARK_AGENT_GONE", "mark_agent_gone": {"agent_id": {"value": "no-such"}}},
            {
                "type": "DRAIN_AGENT",
                "drain_agent": {
                    "agent_id": {"value": "no-such"},
                    "max_grace_period": {"seconds": 1, "nanos": 0},
                    "mark_gone": False,
                },
            },
        ],
    }


def run() -> None:
    directory = Path(tempfile.mkdtemp(prefix="mesos-lite-hostile-"))
    master_port, agent_port = free_port(), free_port()
    work_dir = directory / "agent"
    daemons = [
        subprocess.Popen(
            [
                resolve_command(["mesos-lite-master"])[0],
                "--ip=127.0.0.1",
                f"--port={master_port}",
                "--hostname=127.0.0.1",
                "--registry=in_memory",
            ],
            stdout=(directory / "master.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
        subprocess.Popen(
            [
                resolve_command(["mesos-lite-agent"])[0],
                f"--master=127.0.0.1:{master_port}",
                "--ip=127.0.0.1",
                f"--port={agent_port}",
                "--hostname=127.0.0.1",
                f"--work_dir={work_dir}",
                "--no-switch_user",
            ],
            stdout=(directory / "agent.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
    ]
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(master_port, "/health") == 200 and get(agent_port, "/health") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "daemons did not start"
            time.sleep(0.1)
        time.sleep(1.5)
        report(master_port, agent_port, work_dir)
    finally:
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(20)
        shutil.rmtree(directory, ignore_errors=True)


def subscribe(master_port: int) -> tuple[http.client.HTTPConnection, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", master_port, timeout=10)
    body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "root", "name": "h"}}}
    connection.request("POST", "/api/v1/scheduler", json.dumps(body), HEADERS)
    response = connection.getresponse()
    stream_id = response.headers["Mesos-Stream-Id"]
    length = int(response.readline())
    subscribed = json.loads(response.read(length))
    return connection, stream_id, subscribed["subscribed"]["framework_id"]["value"]


def report(master_port: int, agent_port: int, work_dir: Path) -> None:
    connection, stream_id, framework_id = subscribe(master_port)
    state = json.loads(http_get_body(master_port, "/master/state"))
    agent_id = state["slaves"][0]["id"]
    rows: list[tuple[str, int, int, int]] = []

    def count(name: str, answers: list[int]) -> None:
        rows.append(
            (name, len(answers), sum(a >= 500 for a in answers), sum(a < 300 for a in answers))
        )

    endpoints = [
        (master_port, "/api/v1/scheduler"),
        (master_port, "/api/v1"),
        (master_port, "/mesos-lite/agent"),
        (agent_port, "/api/v1/executor"),
        (agent_port, "/api/v1"),
    ]
    answers = [post(p, path, raw, HEADERS) for raw in RAW_BODIES for p, path in endpoints]
    gzip_headers = {**HEADERS, "Content-Encoding": "gzip"}
    answers += [post(p, path, b'{"type": "X"}', gzip_headers) for p, path in endpoints]
    answers += [post(p, path, gzip.compress(b"[1]"), gzip_headers) for p, path in endpoints]
    count("JSON bodies (all v1 endpoints)", answers)

    calls = templates(framework_id, agent_id)
    with_stream = {**HEADERS, "Mesos-Stream-Id": stream_id}
    answers = [
        post(master_port, "/api/v1/scheduler", json.dumps(body).encode(), with_stream)
        for template in calls["scheduler"]
        for body in mutations(template, "SchedulerCall")
    ]
    count("scheduler calls, one field hostile", answers)
    answers = [
        post(agent_port, "/api/v1/executor", json.dumps(body).encode(), HEADERS)
        for template in calls["executor"]
        for body in mutations(template, "ExecutorCall")
    ]
    count("executor calls, one field hostile", answers)
    answers = [
        post(port, "/api/v1", json.dumps(body).encode(), HEADERS)
        for port in (master_port, agent_port)
        for template in calls["operator"]
        for body in mutations(template, "OperatorCall")
    ]
    count("operator calls, one field hostile", answers)

    paths = [
        str(work_dir),
        f"{work_dir}/meta",
        f"{work_dir}/slaves/..",
        f"{work_dir}/nothing%00x",
        "/etc/passwd",
        "/",
        "%00",
        "",
        f"{work_dir}/../../../etc",
    ]
    answers = [
        get(port, f"{endpoint}?path={quote(path, safe='/%')}")
        for port in (agent_port, master_port)
        for path in [*paths, "/master/log/../../etc/passwd", "/slave/log/x"]
        for endpoint in ("/files/read", "/files/browse", "/files/download")
    ]
    count("/files paths outside any sandbox", answers)
    connection.close()
    healthy = get(master_port, "/health") == 200 and get(agent_port, "/health") == 200

    print(f"{'class':40} {'inputs':>7} {'5xx':>5} {'accepted-invalid':>17}")
    for name, tried, errors, accepted in rows:
        print(f"{name:40} {tried:7d} {errors:5d} {accepted:17d}")
    print(f"daemons still answer /health: {healthy}")


def http_get_body(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


if __name__ == "__main__":
    run()
