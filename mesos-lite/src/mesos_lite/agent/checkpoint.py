"""The agent's checkpointed identity under <work_dir>/meta, and the recovery check.

Layout as in Mesos: `<work_dir>/meta/slaves/<agent id>/slave.info` and the symlink
`<work_dir>/meta/slaves/latest` pointing at the newest agent id; operators remove `latest`
to make the agent start afresh.
"""

from __future__ import annotations

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
