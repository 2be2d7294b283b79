"""Issue 16, items 1, 2 and 4: no id leaves --work_dir, a switched task gets its user's groups
only, and /files never serves what lies outside an attached sandbox."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from mesos_http import SchedulerSession, command_task, executor_task, request

from mesos_lite.agent import checkpoint
from mesos_lite.agent.containers import launch, make_sandbox, sandbox_path
from mesos_lite.commands import LaunchError
from mesos_lite.ids import UnsafePathError
from mesos_lite.task_validation import launch_id_problem
from mesos_lite.testing import ExternalCluster as Cluster

TRAVERSAL = "../" * 30 + "tmp/"
HOSTILE_IDS = ["..", ".", "a/b", "/tmp/x", "a\\b", "a\nb", "x" * 300, ""]


# ----- item 1: ids never leave --work_dir -----
@pytest.mark.parametrize("hostile", HOSTILE_IDS)
@pytest.mark.parametrize("position", ["framework", "executor", "container"])
def test_sandboxes_refuse_hostile_ids(tmp_path: Path, hostile: str, position: str) -> None:
    ids = {"framework": "f", "executor": "e", "container": "c", position: hostile}
    work_dir = tmp_path / "work"
    path = sandbox_path(str(work_dir), "S0", ids["framework"], ids["executor"], ids["container"])
    with pytest.raises(LaunchError):
        make_sandbox(path, None)
    assert not work_dir.exists()


def test_sandbox_escape_by_traversal_creates_nothing(tmp_path: Path) -> None:
    target = f"escape-{uuid.uuid4()}"
    path = sandbox_path(str(tmp_path / "work"), "S0", "f", TRAVERSAL + target, "c")
    with pytest.raises(LaunchError):
        make_sandbox(path, None)
    assert not os.path.exists(f"/tmp/{target}")


def test_sandbox_through_a_symlinked_directory_is_refused(tmp_path: Path) -> None:
    work_dir = tmp_path / "work"
    outside = tmp_path / "outside"
    outside.mkdir()
    (work_dir / "slaves" / "S0" / "frameworks").mkdir(parents=True)
    (work_dir / "slaves" / "S0" / "frameworks" / "f").symlink_to(outside)
    with pytest.raises(LaunchError):
        make_sandbox(sandbox_path(str(work_dir), "S0", "f", "e", "c"), None)


def test_valid_sandbox_is_made(tmp_path: Path) -> None:
    path = sandbox_path(str(tmp_path), "S0", "f-1", "exec.1", "c-1")
    make_sandbox(path, None)
    assert {p.name for p in Path(path).iterdir()} == {"stdout", "stderr"}


def test_checkpointed_updates_stay_in_meta(tmp_path: Path) -> None:
    """An executor picks its tasks' ids: their update journals must not land where it says."""
    target = f"escape-{uuid.uuid4()}"
    with pytest.raises(UnsafePathError):
        checkpoint.updates_path(str(tmp_path), "S0", "f", TRAVERSAL + target)
    assert not os.path.exists(f"/tmp/{target}")
    path = checkpoint.updates_path(str(tmp_path), "S0", "f", "t-1")
    assert path == str(tmp_path / "meta/slaves/S0/frameworks/f/tasks/t-1/task.updates")


def test_launch_with_hostile_ids_runs_nothing_outside_work_dir(
    scheduler: SchedulerSession, cluster: Cluster
) -> None:
    target = f"escape-{uuid.uuid4().hex}"
    offer = scheduler.next_offers(start=0)[0]
    command = command_task(offer, "echo escaped > marker", TRAVERSAL + target + "-task")
    custom = executor_task(offer, "echo escaped > marker", target + "-t2", TRAVERSAL + target)
    absolute = executor_task(offer, "echo escaped > marker", target + "-t3", f"/tmp/{target}-abs")
    status, text = scheduler.launch(offer, [command, custom, absolute])
    assert status == 202, text
    for task in (command, custom, absolute):
        final = scheduler.wait_update(
            task["task_id"]["value"], {"TASK_ERROR", "TASK_FAILED", "TASK_FINISHED", "TASK_LOST"}
        )
        assert final["state"] in ("TASK_ERROR", "TASK_FAILED"), final
    for leftover in (f"/tmp/{target}-task", f"/tmp/{target}", f"/tmp/{target}-abs"):
        assert not os.path.exists(leftover), leftover


# ----- the master's id checks (hook: master/scheduler_api.py _launch) -----
def test_launch_id_problems_as_mesos() -> None:
    def task(task_id: str, executor_id: str | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {"task_id": {"value": task_id}}
        if executor_id is not None:
            info["executor"] = {"executor_id": {"value": executor_id}}
        return info

    assert launch_id_problem(task("ok"), None, set()) is None
    assert launch_id_problem(task("a/b"), None, set()) == "'a/b' contains invalid characters"
    assert launch_id_problem(task("ok", ".."), None, set()) == "'..' is disallowed"
    group_executor = {"executor_id": {"value": "x" * 256}}
    assert "greater than 255" in str(launch_id_problem(task("ok"), group_executor, set()))
    assert launch_id_problem(task("t"), None, {"t"}) == "Task has duplicate ID: t"
    assert launch_id_problem(task("t"), None, set(), ["t"]) == "Task has duplicate ID: t"


# ----- item 2: a switched task keeps no supplementary group of the agent -----
def test_switched_user_gets_its_own_groups_only(tmp_path: Path) -> None:
    assert os.geteuid() == 0, "CI runs as root; switch_user needs it"
    nobody = pwd.getpwnam("nobody")
    sandbox = sandbox_path(str(tmp_path), "S0", "f", "e", "c")
    make_sandbox(sandbox, "nobody")
    tmp_path.chmod(0o755)
    before = os.getgroups()
    os.setgroups([0, 4])  # the agent's own supplementary groups (root, adm)
    try:
        process = asyncio.run(
            _run(["/bin/sh", "-c", "id -u; id -g; id -G"], sandbox, {"PATH": "/usr/bin:/bin"})
        )
    finally:
        os.setgroups(before)
    assert process == 0
    uid, gid, groups = Path(sandbox, "stdout").read_text().split("\n")[:3]
    assert int(uid) == nobody.pw_uid
    assert int(gid) == nobody.pw_gid
    assert {int(g) for g in groups.split()} == set(os.getgrouplist("nobody", nobody.pw_gid))


async def _run(argv: list[str], sandbox: str, environment: dict[str, str]) -> int:
    process = await launch(argv, sandbox, environment, "nobody")
    return await process.wait()


# ----- item 4: /files -----
def _sandbox_of(cluster: Cluster, agent_id: str, framework_id: str, task_id: str) -> str:
    agent_url = cluster.agent_url(agent_id)
    state = json.loads(request(agent_url, "GET", "/state")[2])
    for framework in state["frameworks"]:
        if framework["id"] != framework_id:
            continue
        for executor in framework["executors"]:
            if any(t["id"] == task_id for t in executor["tasks"]):
                return str(executor["directory"])
    raise AssertionError(f"no sandbox for {task_id}")


@pytest.fixture
def secret_file() -> Any:
    path = Path(f"/tmp/secret-{uuid.uuid4().hex}")
    path.write_text("TOP-SECRET-CONTENT\n")
    path.chmod(0o600)
    yield path
    path.unlink()


def test_files_refuses_nul_parent_and_links(
    scheduler: SchedulerSession, cluster: Cluster, secret_file: Path
) -> None:
    task_id = f"links-{uuid.uuid4().hex[:8]}"
    running = scheduler.launch_running(
        f"ln -s {secret_file} link; ln -s / rootlink; echo hi > plain; sleep 30", task_id
    )
    agent_id = running["agent_id"]["value"]
    agent_url = cluster.agent_url(agent_id)
    sandbox = _sandbox_of(cluster, agent_id, str(scheduler.framework_id), task_id)
    _wait_for(lambda: os.path.lexists(f"{sandbox}/rootlink"))
    status, _, _ = request(agent_url, "GET", f"/files/read?path={sandbox}/plain%00x&offset=0")
    assert status == 400
    for path in (f"{sandbox}/..", f"{sandbox}/../..", f"{sandbox}/rootlink/etc"):
        status, _, body = request(agent_url, "GET", f"/files/browse?path={path}")
        assert status == 404, (path, status, body[:200])
    for path in (f"{sandbox}/link", f"{sandbox}/rootlink/{str(secret_file).lstrip('/')}"):
        for endpoint in ("/files/read", "/files/download"):
            status, _, body = request(agent_url, "GET", f"{endpoint}?path={path}&offset=0")
            assert status == 404, (endpoint, path, status)
            assert b"TOP-SECRET" not in body
    status, _, body = request(agent_url, "GET", f"/files/download?path={sandbox}/plain")
    assert (status, body) == (200, b"hi\n")
    # The link is listed (as a link), not followed.
    status, _, body = request(agent_url, "GET", f"/files/browse?path={sandbox}")
    modes = {e["path"].rsplit("/", 1)[1]: e["mode"] for e in json.loads(body)}
    assert modes["link"].startswith("l")
    scheduler.call("KILL", {"task_id": {"value": task_id}, "agent_id": running["agent_id"]})


def test_files_symlink_race_never_serves_the_target(
    scheduler: SchedulerSession, cluster: Cluster, secret_file: Path
) -> None:
    """A task swaps a file of its sandbox for a link to a root-only file, as fast as it can;
    /files must never return the link's target (bounded attempts)."""
    task_id = f"race-{uuid.uuid4().hex[:8]}"
    swap = (
        "echo harmless > real; "
        f"while true; do ln -sfn {secret_file} tmp && mv -fT tmp f; "
        "cp real tmp2 && mv -fT tmp2 f; done"
    )
    running = scheduler.launch_running(swap, task_id)
    agent_id = running["agent_id"]["value"]
    agent_url = cluster.agent_url(agent_id)
    sandbox = _sandbox_of(cluster, agent_id, str(scheduler.framework_id), task_id)
    _wait_for(lambda: os.path.lexists(f"{sandbox}/f"))
    leaked = 0
    served = 0
    stop = time.monotonic() + 20
    attempts = 0
    while attempts < 1500 and time.monotonic() < stop:
        attempts += 1
        endpoint = "/files/read" if attempts % 2 else "/files/download"
        status, _, body = request(agent_url, "GET", f"{endpoint}?path={sandbox}/f&offset=0")
        served += status == 200
        leaked += b"TOP-SECRET" in body
    scheduler.call("KILL", {"task_id": {"value": task_id}, "agent_id": running["agent_id"]})
    assert leaked == 0, f"{leaked} of {attempts} reads returned the secret"
    assert served > 0, "the race test never read the harmless file: it tested nothing"


def _wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.05)
