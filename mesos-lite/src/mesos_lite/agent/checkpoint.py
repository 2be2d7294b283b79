"""The agent's checkpointed identity under <work_dir>/meta, and the recovery check.

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


def check_compatible(old: dict[str, Any], new: dict[str, Any], policy: str) -> None:
    """Raises IncompatibleAgentInfoError where Mesos recovery refuses the change."""
    problems = []
    for key in ("hostname", "port"):
        if old.get(key) != new.get(key):
            problems.append(f"{key} changed from {old.get(key)} to {new.get(key)}")
    old_resources, new_resources = _resources(old), _resources(new)
    old_attributes, new_attributes = _attributes_by_name(old), _attributes_by_name(new)
    if policy == "equal":
        if old_resources != new_resources:
            problems.append(
                f"Resources changed from {old_resources.text()} to {new_resources.text()}"
            )
        if old_attributes != new_attributes:
            problems.append("Attributes changed")
    else:
        if not new_resources.contains(old_resources):
            problems.append(
                f"New resources {new_resources.text()} do not contain the old "
                f"resources {old_resources.text()}"
            )
        for name, attribute in old_attributes.items():
            if new_attributes.get(name) != attribute:
                problems.append(f"Attribute '{name}' changed or was removed")
    if problems:
        raise IncompatibleAgentInfoError("; ".join(problems))


def incompatible_message(
    work_dir: str, old: dict[str, Any], new: dict[str, Any], problem: str
) -> str:
    rule = "-" * 60
    return (
        "Failed to perform recovery: Incompatible agent info detected. "
        + problem
        + "\n"
        + rule
        + "\nOld agent info:\n"
        + json.dumps(old)
        + "\n"
        + rule
        + "\nNew agent info:\n"
        + json.dumps(new)
        + "\n"
        + rule
        + "\n"
        + "To remedy this do as follows:\n"
        + "Step 1: rm -f "
        + latest_link(work_dir)
        + "\n"
        + "        This ensures agent doesn't recover old live executors.\n"
        + "Step 2: Restart the agent."
    )


# ----- executors of checkpointing frameworks -----
def _slave_dir(work_dir: str, agent_id: str) -> str:
    return os.path.join(meta_dir(work_dir), "slaves", agent_id)


def framework_dir(work_dir: str, agent_id: str, framework_id: str) -> str:
    return os.path.join(_slave_dir(work_dir, agent_id), "frameworks", framework_id)


def run_dir(
    work_dir: str, agent_id: str, framework_id: str, executor_id: str, container_id: str
) -> str:
    return os.path.join(
        framework_dir(work_dir, agent_id, framework_id),
        "executors",
        executor_id,
        "runs",
        container_id,
    )


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
