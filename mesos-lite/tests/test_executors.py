"""Conformance checks 14-16 and the pymesos example-style run: executors on agents."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from typing import Any

import pymesos_programs
from conftest import executor_command
from mesos_http import SchedulerSession, b64, executor_task, get_json, request, scalar, unb64

from mesos_lite.testing import ExternalCluster as Cluster

REQUIRED_ENVIRONMENT = {
    "MESOS_FRAMEWORK_ID",
    "MESOS_EXECUTOR_ID",
    "MESOS_DIRECTORY",
    "MESOS_SANDBOX",
    "MESOS_AGENT_ENDPOINT",
    "MESOS_CHECKPOINT",
}
SANDBOX = re.compile(
    r"^(?P<work_dir>.+)/slaves/(?P<agent>[^/]+)/frameworks/(?P<framework>[^/]+)"
    r"/executors/(?P<executor>[^/]+)/runs/(?P<container>[^/]+)$"
)


def _launch_executor(
    scheduler: SchedulerSession, mode: str = "echo", environment: dict[str, str] | None = None
) -> tuple[dict, str, str, int]:
    offer = scheduler.next_offers(start=0)[0]
    suffix = uuid.uuid4().hex[:8]
    task_id, executor_id = f"task-{suffix}", f"executor-{suffix}"
    mark = scheduler.mark()
    status, text = scheduler.launch(
        offer, [executor_task(offer, executor_command(mode), task_id, executor_id, environment)]
    )
    assert status == 202, text
    return offer, task_id, executor_id, mark


def _message_json(
    scheduler: SchedulerSession, mark: int, executor_id: str, timeout: float = 15
) -> dict:
    event = scheduler.wait_for(
        lambda e: e["type"] == "MESSAGE" and e["message"]["executor_id"]["value"] == executor_id,
        timeout,
        mark,
    )
    return json.loads(unb64(event["message"]["data"]))


def test_custom_executor_messages_both_ways(scheduler: SchedulerSession) -> None:
    offer, task_id, executor_id, mark = _launch_executor(scheduler)
    hello = _message_json(scheduler, mark, executor_id)
    assert hello["hello_from"] == task_id
    payload = bytes(range(256)) + "ünïcode ✓".encode()
    after = scheduler.mark()
    status, text = scheduler.call(
        "MESSAGE",
        {
            "agent_id": offer["agent_id"],
            "executor_id": {"value": executor_id},
            "data": b64(payload),
        },
    )
    assert status == 202, text
    echo = scheduler.wait_for(
        lambda e: e["type"] == "MESSAGE" and unb64(e["message"]["data"]).startswith(b"echo:"),
        15,
        after,
    )
    assert unb64(echo["message"]["data"]) == b"echo:" + payload
    assert echo["message"]["agent_id"] == offer["agent_id"]
    # TASK_RUNNING acknowledged (the agent forwards the next update only then), the terminal
    # one not yet.
    scheduler.wait_update(task_id, {"TASK_RUNNING"}, start=mark)
    final = scheduler.wait_update(
        task_id, {"TASK_FINISHED", "TASK_FAILED", "TASK_LOST"}, start=mark, acknowledge=False
    )
    assert final["state"] == "TASK_FINISHED"
    assert json.loads(unb64(final["data"]))["cwd"]
    assert final["executor_id"]["value"] == executor_id
    # Reconciled before the acknowledgement, the master answers with the task's state but,
    # as Master::_reconcileTasks, never with the executor's data.
    after = scheduler.mark()
    status, text = scheduler.call(
        "RECONCILE", {"tasks": [{"task_id": {"value": task_id}, "agent_id": offer["agent_id"]}]}
    )
    assert status == 202, text
    reconciled = scheduler.wait_for(
        lambda e: e["type"] == "UPDATE"
        and e["update"]["status"].get("reason") == "REASON_RECONCILIATION",
        15,
        after,
    )["update"]["status"]
    assert reconciled["state"] == "TASK_FINISHED"
    assert "data" not in reconciled
    assert scheduler.acknowledge(final)[0] == 202


def test_executor_environment_and_sandbox(scheduler: SchedulerSession, cluster: Cluster) -> None:
    offer, task_id, executor_id, mark = _launch_executor(
        scheduler, environment={"CONFORMANCE_MARK": "42"}
    )
    environment = _message_json(scheduler, mark, executor_id)["environment"]
    assert set(environment) >= REQUIRED_ENVIRONMENT, REQUIRED_ENVIRONMENT - set(environment)
    assert environment["MESOS_FRAMEWORK_ID"] == scheduler.framework_id
    assert environment["MESOS_EXECUTOR_ID"] == executor_id
    assert re.fullmatch(r"[0-9.]+:\d+", environment["MESOS_AGENT_ENDPOINT"])
    match = SANDBOX.match(environment["MESOS_DIRECTORY"])
    assert match, environment["MESOS_DIRECTORY"]
    assert match["agent"] == offer["agent_id"]["value"]
    assert match["framework"] == scheduler.framework_id
    assert match["executor"] == executor_id
    scheduler.wait_update(task_id, {"TASK_FINISHED"}, start=mark)

    agent_url = cluster.agent_url(offer["agent_id"]["value"])
    directory = environment["MESOS_DIRECTORY"]
    deadline = time.monotonic() + 10
    while True:
        status, _, body = request(
            agent_url, "GET", f"/files/read?path={directory}/stdout&offset=0&length=100000"
        )
        assert status == 200, body
        read = json.loads(body)
        if "executor stdout line" in read["data"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert read["offset"] == 0
    assert "executor stdout line" in read["data"]
    status, _, body = request(agent_url, "GET", f"/files/read?path={directory}/stderr&offset=0")
    assert status == 200
    assert "executor stderr line" in json.loads(body)["data"]
    status, _, body = request(agent_url, "GET", f"/files/browse?path={directory}")
    assert status == 200
    names = {entry["path"].rsplit("/", 1)[-1] for entry in json.loads(body)}
    assert {"stdout", "stderr"} <= names
    # Mesos's /files/read: offset -1 gives the size, past the end gives no data.
    stdout = f"{directory}/stdout"
    status, _, body = request(agent_url, "GET", f"/files/read?path={stdout}&offset=-1")
    size = json.loads(body)["offset"]
    assert status == 200
    assert json.loads(body)["data"] == ""
    assert size >= len(read["data"].encode())
    status, _, body = request(agent_url, "GET", f"/files/read?path={stdout}&offset={size + 7}")
    assert json.loads(body) == {"data": "", "offset": size + 7}
    status, _, body = request(agent_url, "GET", f"/files/read?path={stdout}&offset=0&length=5")
    assert json.loads(body)["data"] == read["data"][:5]
    status, _, _ = request(agent_url, "GET", f"/files/read?path={directory}&offset=0")
    assert status == 400
    status, _, _ = request(agent_url, "GET", f"/files/read?path={stdout}&offset=-5")
    assert status == 400
    # The sandbox layout keeps a `latest` link to the newest run; /files serves only the
    # attached sandbox itself, as Mesos does: its parent is not served.
    runs = directory.rsplit("/", 1)[0]
    assert os.path.islink(f"{runs}/latest")
    status, _, _ = request(agent_url, "GET", f"/files/browse?path={directory}/..")
    assert status == 404


def test_files_read_errors(cluster: Cluster) -> None:
    agent_url = cluster.agent_url(cluster.active_agents()[0]["id"])
    status, _, _ = request(agent_url, "GET", "/files/read?path=/no/such/file&offset=0")
    assert status == 404
    status, _, _ = request(agent_url, "GET", "/files/read?path=/no/such/file&offset=zz")
    assert status in (400, 404)


def test_executor_exit_fails_running_task(scheduler: SchedulerSession) -> None:
    offer, task_id, executor_id, mark = _launch_executor(scheduler, mode="crash")
    scheduler.wait_update(task_id, {"TASK_RUNNING"}, start=mark)
    final = scheduler.wait_update(
        task_id, {"TASK_FAILED", "TASK_LOST", "TASK_FINISHED"}, start=mark, timeout=20
    )
    assert final["state"] in ("TASK_FAILED", "TASK_LOST")
    assert final["reason"] == "REASON_EXECUTOR_TERMINATED"
    failure = scheduler.wait_for(
        lambda e: (
            e["type"] == "FAILURE"
            and e["failure"].get("executor_id", {}).get("value") == executor_id
        ),
        15,
        mark,
    )
    assert failure["failure"]["agent_id"] == offer["agent_id"]


def test_agent_state_lists_executor(scheduler: SchedulerSession, cluster: Cluster) -> None:
    offer = scheduler.next_offers(start=0)[0]
    mark = scheduler.mark()
    task = executor_task(offer, "sleep 30", "never-registers", "sleeper")
    status, text = scheduler.launch(offer, [task])
    assert status == 202, text
    agent_url = cluster.agent_url(offer["agent_id"]["value"])
    deadline = time.monotonic() + 10
    executors: list[dict] = []
    while time.monotonic() < deadline and not executors:
        state = get_json(agent_url, "/state")
        executors = [
            e
            for f in state["frameworks"]
            if f["id"] == scheduler.framework_id
            for e in f["executors"]
            if e["id"] == "sleeper"
        ]
        time.sleep(0.2)
    assert executors, "executor not in the agent's /state"
    assert executors[0]["directory"]
    del mark


def test_pymesos_scheduler_and_executor(cluster: Cluster) -> None:
    agents = len(cluster.active_agents())
    result = pymesos_programs.run_scheduler(
        cluster.master_url.removeprefix("http://"),
        f"{sys.executable} {pymesos_programs.__file__} executor",
        agents,
        timeout=60,
    )
    finished = [u for u in result.updates if u["state"] == "TASK_FINISHED"]
    assert len(finished) == agents, [u["state"] for u in result.updates]
    hellos = [json.loads(m) for _e, _a, m in result.messages]
    assert sorted(h["hello_from"] for h in hellos) == sorted(
        u["task_id"]["value"] for u in finished
    )
    assert len({a for _e, a, _m in result.messages}) == agents
    for update in finished:
        assert json.loads(unb64(update["data"]))["cwd"]


def test_launch_group_with_default_executor(scheduler: SchedulerSession) -> None:
    """LAUNCH_GROUP with a DEFAULT executor: every task runs; one failing kills the rest."""
    offer = scheduler.next_offers(start=0)[0]
    suffix = uuid.uuid4().hex[:6]
    mark = scheduler.mark()

    def task(name: str, command: str) -> dict[str, Any]:
        return {
            "name": name,
            "task_id": {"value": f"{name}-{suffix}"},
            "agent_id": offer["agent_id"],
            "command": {"value": command},
            "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
        }

    executor = {
        "type": "DEFAULT",
        "executor_id": {"value": f"group-{suffix}"},
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
    }
    status, text = scheduler.call(
        "ACCEPT",
        {
            "offer_ids": [offer["id"]],
            "operations": [
                {
                    "type": "LAUNCH_GROUP",
                    "launch_group": {
                        "executor": executor,
                        "task_group": {
                            "tasks": [
                                task("quick", "true"),
                                task("fails", "sleep 1; exit 2"),
                                task("sleeper", "sleep 60"),
                            ]
                        },
                    },
                }
            ],
        },
    )
    assert status == 202, text
    terminal = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR"}
    assert (
        scheduler.wait_update(f"quick-{suffix}", terminal, start=mark)["state"] == "TASK_FINISHED"
    )
    assert scheduler.wait_update(f"fails-{suffix}", terminal, start=mark)["state"] == "TASK_FAILED"
    assert (
        scheduler.wait_update(f"sleeper-{suffix}", terminal, start=mark)["state"] == "TASK_KILLED"
    )
