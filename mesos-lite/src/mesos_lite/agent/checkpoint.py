"""The agent's checkpoints under <work_dir>/meta: its identity (and the recovery check),
and the executors and unacknowledged status updates of checkpointing frameworks.

Layout as in Mesos: `<work_dir>/meta/slaves/<agent id>/slave.info` and the symlink
`<work_dir>/meta/slaves/latest` pointing at the newest agent id; operators remove `latest`
to make the agent start afresh.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from typing import Any

from mesos_lite.agent import update_journal
from mesos_lite.agent.model import ExecutorRun, FrameworkRun
from mesos_lite.agent.state import AgentState
from mesos_lite.agent.update_journal import UpdateJournal
from mesos_lite.ids import contained_path
from mesos_lite.resources import ResourceError, Resources, parse_resources_json

logger = logging.getLogger(__name__)


class IncompatibleAgentInfoError(Exception):
    pass


def meta_dir(work_dir: str) -> str:
    return os.path.join(work_dir, "meta")


def latest_link(work_dir: str) -> str:
    return os.path.join(meta_dir(work_dir), "slaves", "latest")


def load_checkpointed_info(work_dir: str) -> dict[str, Any] | None:
    link = latest_link(work_dir)
    if not os.path.exists(link):
        return None
    path = os.path.join(link, "slave.info")
    try:
        with open(path, encoding="utf-8") as handle:
            body = json.load(handle)
    except (OSError, ValueError) as error:
        logger.warning("Ignoring unreadable checkpoint %s: %s", path, error)
        return None
    return body if isinstance(body, dict) else None


def checkpoint_info(work_dir: str, agent_id: str, info: dict[str, Any]) -> None:
    directory = os.path.join(meta_dir(work_dir), "slaves", agent_id)
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, "slave.info.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(info, handle)
    os.replace(temporary, os.path.join(directory, "slave.info"))
    link = latest_link(work_dir)
    temporary_link = link + ".tmp"
    if os.path.lexists(temporary_link):
        os.unlink(temporary_link)
    os.symlink(agent_id, temporary_link)
    os.replace(temporary_link, link)


def _attributes_by_name(info: dict[str, Any]) -> dict[str, Any]:
    return {str(a.get("name")): a for a in info.get("attributes", []) if isinstance(a, dict)}


def _resources(info: dict[str, Any]) -> Resources:
    try:
        return parse_resources_json(info.get("resources", []))
    except ResourceError:
        return Resources()


def _describe(info: dict[str, Any]) -> str:
    return json.dumps(info, sort_keys=True)


def check_compatible(old: dict[str, Any], new: dict[str, Any], policy: str) -> None:
    """Raises IncompatibleAgentInfoError where Mesos's recovery refuses the change
    (src/slave/compatibility.cpp: `equal` and `additive`)."""
    if policy == "equal":
        same = (
            old.get("hostname") == new.get("hostname")
            and old.get("port") == new.get("port")
            and _resources(old) == _resources(new)
            and _attributes_by_name(old) == _attributes_by_name(new)
        )
        if not same:
            rule = "\n------------------------------------------------------------"
            raise IncompatibleAgentInfoError(
                "\n".join(
                    [
                        "Incompatible agent info detected. ",
                        rule,
                        "Old agent info:\n" + _describe(old),
                        rule,
                        "New agent info:\n" + _describe(new),
                        rule,
                    ]
                )
            )
        return
    refused = "Configuration change not permitted under `additive` policy: "
    if old.get("hostname") != new.get("hostname"):
        raise IncompatibleAgentInfoError(
            f"{refused}Hostname changed from {old.get('hostname')} to {new.get('hostname')}"
        )
    if old.get("port") != new.get("port"):
        raise IncompatibleAgentInfoError(
            f"{refused}Port changed from {old.get('port')} to {new.get('port')}"
        )
    old_resources, new_resources = _resources(old), _resources(new)
    for resource in old_resources:
        if not new_resources.contains(Resources([resource])):
            raise IncompatibleAgentInfoError(
                "Configuration change not permitted under 'additive' policy: resource "
                f"{Resources([resource]).text()} is not included in {new_resources.text()}"
            )
    new_attributes = _attributes_by_name(new)
    for name, attribute in _attributes_by_name(old).items():
        if new_attributes.get(name) != attribute:
            raise IncompatibleAgentInfoError(
                "Configuration change not permitted under 'additive' policy: "
                f"Previous attribute '{name}' not found or changed"
            )


def incompatible_message(work_dir: str, problem: str) -> str:
    """What the agent prints before exiting when recovery is refused."""
    return (
        f"Failed to perform recovery: {problem}\n"
        "If recovery failed due to a change in configuration and you want to\n"
        "keep the current agent id, you might want to change the\n"
        "`--reconfiguration_policy` flag to a more permissive value.\n"
        "\n"
        "To restart this agent with a new agent id instead, do as follows:\n"
        f"rm -f {latest_link(work_dir)}\n"
        "This ensures that the agent does not recover old live executors.\n"
    )


BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"


def _boot_id() -> str | None:
    try:
        with open(BOOT_ID_PATH, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return None


def rebooted(work_dir: str) -> bool:
    """Whether the host rebooted since the agent checkpointed its boot id."""
    current = _boot_id()
    try:
        with open(os.path.join(meta_dir(work_dir), "boot_id"), encoding="ascii") as handle:
            return current is not None and handle.read().strip() != current
    except OSError:
        return False


def checkpoint_boot_id(work_dir: str) -> None:
    current = _boot_id()
    if current is not None:
        os.makedirs(meta_dir(work_dir), exist_ok=True)
        with open(os.path.join(meta_dir(work_dir), "boot_id"), "w", encoding="ascii") as handle:
            handle.write(current)


# ----- executors of checkpointing frameworks -----
def _slave_dir(work_dir: str, agent_id: str) -> str:
    return os.path.join(meta_dir(work_dir), "slaves", agent_id)


def framework_dir(work_dir: str, agent_id: str, framework_id: str) -> str:
    return os.path.join(_slave_dir(work_dir, agent_id), "frameworks", framework_id)


def run_dir(
    work_dir: str, agent_id: str, framework_id: str, executor_id: str, container_id: str
) -> str:
    return _framework_path(
        work_dir, agent_id, framework_id, "executors", executor_id, "runs", container_id
    )


def _framework_path(work_dir: str, agent_id: str, framework_id: str, *rest: str) -> str:
    """meta/slaves/<agent>/frameworks/<framework>/<rest>; UnsafePathError when an id (a
    task's is chosen by its executor) is no single path component."""
    return contained_path(meta_dir(work_dir), "slaves", agent_id, "frameworks", framework_id, *rest)


def _write_json(path: str, body: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
    os.replace(temporary, path)


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def checkpoint_run(
    work_dir: str, agent_id: str, framework_info: dict[str, Any], run: dict[str, Any]
) -> None:
    """Records a running executor (framework info, executor info, pid, sandbox, tasks)."""
    framework_id = str(framework_info["id"]["value"])
    _write_json(
        os.path.join(framework_dir(work_dir, agent_id, framework_id), "framework.info"),
        framework_info,
    )
    directory = run_dir(work_dir, agent_id, framework_id, run["executor_id"], run["container_id"])
    _write_json(os.path.join(directory, "run.json"), run)


def forget_run(
    work_dir: str, agent_id: str, framework_id: str, executor_id: str, container_id: str
) -> None:
    directory = run_dir(work_dir, agent_id, framework_id, executor_id, container_id)
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(directory, "run.json"))


def checkpointed_runs(work_dir: str, agent_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(framework info, run record) of every executor checkpointed as running."""
    found: list[tuple[dict[str, Any], dict[str, Any]]] = []
    frameworks = os.path.join(_slave_dir(work_dir, agent_id), "frameworks")
    if not os.path.isdir(frameworks):
        return found
    for framework_id in sorted(os.listdir(frameworks)):
        info = _read_json(os.path.join(frameworks, framework_id, "framework.info"))
        executors = os.path.join(frameworks, framework_id, "executors")
        if not isinstance(info, dict) or not os.path.isdir(executors):
            continue
        for executor_id in sorted(os.listdir(executors)):
            runs = os.path.join(executors, executor_id, "runs")
            for container_id in sorted(os.listdir(runs)) if os.path.isdir(runs) else []:
                run = _read_json(os.path.join(runs, container_id, "run.json"))
                if isinstance(run, dict):
                    found.append((info, run))
    return found


def updates_path(work_dir: str, agent_id: str, framework_id: str, task_id: str) -> str:
    """The task's status update journal; UnsafePathError for a task id (chosen by its
    executor) that is no single path component."""
    return _framework_path(
        work_dir, agent_id, framework_id, "tasks", task_id, update_journal.FILE_NAME
    )


def checkpointed_updates(
    work_dir: str, agent_id: str
) -> list[tuple[dict[str, Any], str, list[dict[str, Any]]]]:
    """(framework info, task id, pending updates) of every task with unacknowledged updates,
    replayed from their journals."""
    found: list[tuple[dict[str, Any], str, list[dict[str, Any]]]] = []
    frameworks = os.path.join(_slave_dir(work_dir, agent_id), "frameworks")
    for framework_id in sorted(os.listdir(frameworks)) if os.path.isdir(frameworks) else []:
        info = _read_json(os.path.join(frameworks, framework_id, "framework.info"))
        tasks = os.path.join(frameworks, framework_id, "tasks")
        if not isinstance(info, dict) or not os.path.isdir(tasks):
            continue
        for task_id in sorted(os.listdir(tasks)):
            path = os.path.join(tasks, task_id, update_journal.FILE_NAME)
            pending = update_journal.replay(path)
            if pending:
                found.append((info, task_id, pending))
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)
    return found


class Checkpointer:
    """Writes what a checkpointing framework needs to survive an agent restart: its running
    executors (with their tasks) and its tasks' unacknowledged status updates. `recovery.py`
    reads them back."""

    def __init__(self, state: AgentState) -> None:
        self._state = state

    def save_run(self, framework: FrameworkRun, run: ExecutorRun) -> None:
        agent_id = self._state.id
        if not framework.checkpoint or agent_id is None or run.process is None:
            return
        tasks = {
            task_id: {"task": task, "state": run.task_states.get(task_id, "TASK_STAGING")}
            for task_id, task in [*run.queued_tasks.items(), *run.launched_tasks.items()]
        }
        record = {
            "executor_id": run.executor_id,
            "container_id": run.container_id,
            "directory": run.directory,
            "pid": run.process.pid,
            "info": run.info,
            "command_executor": run.is_command_executor,
            "tasks": tasks,
        }
        try:
            checkpoint_run(self._state.config.work_dir, agent_id, framework.info, record)
        except OSError as error:
            logger.error("Failed to checkpoint executor %s: %s", run.executor_id, error)

    def forget_run(self, framework: FrameworkRun, run: ExecutorRun) -> None:
        if self._state.id is not None:
            forget_run(
                self._state.config.work_dir,
                self._state.id,
                framework.id,
                run.executor_id,
                run.container_id,
            )

    def update_journal(self, framework_id: str, task_id: str) -> UpdateJournal | None:
        """The status update manager's persistence: the journal of the task's stream, or None
        when the framework does not checkpoint."""
        framework = self._state.frameworks.get(framework_id)
        agent_id = self._state.id
        if agent_id is None or (framework is not None and not framework.checkpoint):
            return None
        try:
            path = updates_path(self._state.config.work_dir, agent_id, framework_id, task_id)
        except ValueError as error:  # ids.UnsafePathError
            logger.error("Not checkpointing updates of task %r: %s", task_id, error)
            return None
        return UpdateJournal(path)
