"""The ACL bypass of issue 16 (items 2 and 4), end to end as root: an agent with
--switch_user, --acls allowing run_tasks only for user `nobody`, a framework whose user is
root. A task (command or task group) runs as the user the master's run_tasks ACL approved
(TaskInfo.command.user, else the executor's command.user, else FrameworkInfo.user), with
that user's own groups only: the task reads /proc/self/status itself. Needs root: in CI it
fails rather than skips when not root."""

from __future__ import annotations

import json
import os
import pwd
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from mesos_http import SchedulerSession, command_task, framework_info, get_json, request, scalar

from mesos_lite.testing import Daemon, require_root, start_agent, start_master, wait_for_agents

pytestmark = pytest.mark.usefixtures("local_only")

ONLY_NOBODY = {
    "run_tasks": [
        {"principals": {"type": "ANY"}, "users": {"values": ["nobody"]}},
        {"principals": {"type": "ANY"}, "users": {"type": "NONE"}},
    ]
}
# The task writes what the kernel says about its credentials into its sandbox.
REPORT = "grep -E '^(Uid|Gid|Groups):' /proc/self/status > credentials"
TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR"}


@dataclass
class Switching:
    master_url: str
    agent_url: str
    master: Daemon
    agent: Daemon


@pytest.fixture(scope="module")
def switching(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Switching]:
    require_root("an agent with --switch_user")
    directory = tmp_path_factory.mktemp("switching")
    directory.chmod(0o755)  # the work_dir below it must be reachable by nobody
    master, port = start_master(
        directory,
        "--registry=in_memory",
        "--allocation_interval=200ms",
        f"--acls={json.dumps(ONLY_NOBODY)}",
    )
    try:
        agent, agent_port = start_agent(
            directory,
            f"127.0.0.1:{port}",
            "--resources=cpus:4;mem:2048;disk:1024;ports:[31000-31099]",
            "--executor_registration_timeout=20secs",
            switch_user=True,
        )
        try:
            master_url = f"http://127.0.0.1:{port}"
            wait_for_agents(master_url, 1)
            yield Switching(master_url, f"http://127.0.0.1:{agent_port}", master, agent)
        finally:
            agent.stop()
    finally:
        master.stop()


@pytest.fixture
def root_framework(switching: Switching) -> Iterator[SchedulerSession]:
    session = SchedulerSession(switching.master_url, framework_info(name="as-root", user="root"))
    session.subscribe()
    try:
        yield session
    finally:
        session.teardown()


def credentials(switching: Switching, directory: str) -> dict[str, list[int]]:
    """Uid/Gid/Groups from the task's own /proc/self/status, read through the agent."""
    path = f"/files/read?path={directory}/credentials&offset=0"
    deadline = time.monotonic() + 10
    while True:
        status, _, body = request(switching.agent_url, "GET", path)
        if status == 200 and json.loads(body)["data"]:
            break
        assert time.monotonic() < deadline, (status, body)
        time.sleep(0.1)
    fields = {}
    for line in json.loads(body)["data"].splitlines():
        name, _, values = line.partition(":")
        fields[name] = [int(v) for v in values.split()]
    return fields


def executor_directory(switching: Switching, executor_id: str) -> str:
    state = get_json(switching.agent_url, "/state")
    return next(
        e["directory"]
        for f in [*state["frameworks"], *state["completed_frameworks"]]
        for e in [*f["executors"], *f["completed_executors"]]
        if e["id"] == executor_id
    )


def assert_nobody(fields: dict[str, list[int]]) -> None:
    nobody = pwd.getpwnam("nobody")
    assert set(fields["Uid"]) == {nobody.pw_uid}, fields  # real, effective, saved, fs
    assert set(fields["Gid"]) == {nobody.pw_gid}, fields
    # initgroups: nobody's own groups, none of root's.
    assert set(fields["Groups"]) <= set(os.getgrouplist("nobody", nobody.pw_gid)), fields
    assert 0 not in fields["Groups"], fields


def test_command_task_runs_as_its_command_user(
    switching: Switching, root_framework: SchedulerSession
) -> None:
    offer = root_framework.next_offers(start=0)[0]
    as_nobody = command_task(offer, REPORT, task_id=f"nobody-{uuid.uuid4().hex[:6]}")
    as_nobody["command"]["user"] = "nobody"
    as_root = command_task(offer, REPORT, task_id=f"root-{uuid.uuid4().hex[:6]}")
    status, text = root_framework.launch(offer, [as_nobody, as_root])
    assert status == 202, text
    task_id = as_nobody["task_id"]["value"]
    assert root_framework.wait_update(task_id, TERMINAL, timeout=30)["state"] == "TASK_FINISHED"
    assert_nobody(credentials(switching, executor_directory(switching, task_id)))
    # The framework's own user (root) is what the ACL refuses.
    refused = root_framework.wait_update(as_root["task_id"]["value"], TERMINAL)
    assert (refused["state"], refused["reason"]) == ("TASK_ERROR", "REASON_TASK_UNAUTHORIZED")


def launch_group(
    session: SchedulerSession, executor: dict[str, Any], tasks: list[dict[str, Any]]
) -> None:
    offer = session.next_offers(start=0)[0]
    for task in tasks:
        task["agent_id"] = offer["agent_id"]
    group = {"executor": executor, "task_group": {"tasks": tasks}}
    status, text = session.call(
        "ACCEPT",
        {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH_GROUP", "launch_group": group}],
        },
    )
    assert status == 202, text


def group_task(name: str, user: str | None = None) -> dict[str, Any]:
    command: dict[str, Any] = {"value": REPORT}
    if user is not None:
        command["user"] = user
    return {
        "name": name,
        "task_id": {"value": name},
        "command": command,
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
    }


def default_executor(executor_id: str, user: str | None = None) -> dict[str, Any]:
    executor: dict[str, Any] = {
        "type": "DEFAULT",
        "executor_id": {"value": executor_id},
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
    }
    if user is not None:
        executor["command"] = {"user": user}
    return executor


def test_task_group_tasks_run_as_the_user_the_acl_checked(
    switching: Switching, root_framework: SchedulerSession
) -> None:
    """Each task of a group runs as its command's user, else the executor's: the same user
    the master's run_tasks check saw."""
    suffix = uuid.uuid4().hex[:6]
    # The executor runs as nobody; one task names nobody, the other inherits it.
    executor_id = f"group-{suffix}"
    named, inherited = f"named-{suffix}", f"inherited-{suffix}"
    launch_group(
        root_framework,
        default_executor(executor_id, user="nobody"),
        [group_task(named, "nobody"), group_task(inherited)],
    )
    for task_id in (named, inherited):
        update = root_framework.wait_update(task_id, TERMINAL, timeout=30)
        assert update["state"] == "TASK_FINISHED", update
        sandbox = executor_directory(switching, executor_id)
        assert_nobody(credentials(switching, f"{sandbox}/tasks/{task_id}"))


def test_task_group_with_a_task_of_the_framework_user_is_refused(
    root_framework: SchedulerSession,
) -> None:
    """The executor runs as the framework's user (root): a task without a user of its own
    would run as root, which the ACL refuses, so the whole group is refused."""
    suffix = uuid.uuid4().hex[:6]
    allowed, as_root = f"allowed-{suffix}", f"as-root-{suffix}"
    launch_group(
        root_framework,
        default_executor(f"group-{suffix}"),
        [group_task(allowed, "nobody"), group_task(as_root)],
    )
    for task_id in (allowed, as_root):
        update = root_framework.wait_update(task_id, TERMINAL)
        assert (update["state"], update["reason"]) == (
            "TASK_ERROR",
            "REASON_TASK_GROUP_UNAUTHORIZED",
        ), update
        assert update["message"] == f"Task '{as_root}' is not authorized to launch as user 'root'"


def test_task_group_task_of_another_user_runs_as_that_user(
    switching: Switching, root_framework: SchedulerSession
) -> None:
    """The default executor runs as the framework's user (root); a task of its group that
    names nobody (all the ACL allows) runs as nobody, not as the executor's root."""
    suffix = uuid.uuid4().hex[:6]
    executor_id = f"group-{suffix}"
    task_id = f"switched-{suffix}"
    launch_group(root_framework, default_executor(executor_id), [group_task(task_id, "nobody")])
    assert root_framework.wait_update(task_id, TERMINAL, timeout=30)["state"] == "TASK_FINISHED"
    sandbox = executor_directory(switching, executor_id)
    assert_nobody(credentials(switching, f"{sandbox}/tasks/{task_id}"))
