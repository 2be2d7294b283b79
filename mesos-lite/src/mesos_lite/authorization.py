"""The local authorizer: --acls evaluated exactly as Apache Mesos's local authorizer does.

ACLs JSON (include/mesos/authorizer/acls.proto):
    {"permissive": true, "register_frameworks": [{"principals": {...}, "roles": {...}}], ...}
An Entity is {"values": [...]} (type SOME, the default), {"type": "ANY"} or {"type": "NONE"}.
For an action the ACLs are tried in order; the first whose subject and object both *match*
the request decides, by whether they *allow* it; when none matches, `permissive` decides.
An unauthenticated request's subject is ANY.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

SOME, ANY, NONE = "SOME", "ANY", "NONE"

# Action -> the field holding its object, for every action Mesos's ACLs know.
ACTION_OBJECTS: dict[str, str] = {
    "register_frameworks": "roles",
    "run_tasks": "users",
    "reserve_resources": "roles",
    "unreserve_resources": "reserver_principals",
    "create_volumes": "roles",
    "destroy_volumes": "creator_principals",
    "teardown_frameworks": "framework_principals",
    "update_weights": "roles",
    "get_endpoints": "paths",
    "get_quotas": "roles",
    "update_quotas": "roles",
    "view_frameworks": "users",
    "view_tasks": "users",
    "view_executors": "users",
    "access_sandboxes": "users",
    "access_mesos_logs": "logs",
    "view_roles": "roles",
    "view_flags": "flags",
    "launch_nested_containers_as_user": "users",
    "launch_nested_containers_under_parent_with_user": "users",
    "kill_nested_containers": "users",
    "wait_nested_containers": "users",
    "launch_nested_container_sessions_as_user": "users",
    "launch_nested_container_sessions_under_parent_with_user": "users",
    "attach_containers_input": "users",
    "attach_containers_output": "users",
    "view_containers": "users",
    "set_log_level": "level",
    "remove_nested_containers": "users",
    "register_agents": "agents",
    "update_maintenance_schedules": "machines",
    "get_maintenance_schedules": "machines",
    "start_maintenances": "machines",
    "stop_maintenances": "machines",
    "get_maintenance_statuses": "machines",
    "drain_agents": "agents",
    "deactivate_agents": "agents",
    "reactivate_agents": "agents",
    "mark_agents_gone": "agents",
    "launch_standalone_containers": "users",
    "kill_standalone_containers": "users",
    "wait_standalone_containers": "users",
    "remove_standalone_containers": "users",
    "view_standalone_containers": "users",
    "modify_resource_provider_configs": "resource_providers",
    "mark_resource_providers_gone": "resource_providers",
    "view_resource_providers": "resource_providers",
    "prune_images": "images",
    "resize_volumes": "roles",
    "create_block_disks": "roles",
    "destroy_block_disks": "roles",
    "create_mount_disks": "roles",
    "destroy_mount_disks": "roles",
    "destroy_raw_disks": "roles",
}
# Actions whose objects are roles and follow role hierarchies ("a/%" covers "a/b", "a/b/c").
HIERARCHICAL_ROLE_ACTIONS = frozenset(
    {
        "register_frameworks",
        "reserve_resources",
        "create_volumes",
        "resize_volumes",
        "get_quotas",
        "update_quotas",
        "view_roles",
        "update_weights",
        "create_block_disks",
        "destroy_block_disks",
        "create_mount_disks",
        "destroy_mount_disks",
        "destroy_raw_disks",
    }
)


class AclsError(ValueError):
    """--acls cannot be parsed; the message names the problem."""


@dataclass(frozen=True)
class Entity:
    type: str = SOME
    values: tuple[str, ...] = ()

    @classmethod
    def some(cls, *values: str) -> Entity:
        return cls(SOME, tuple(values))

    @classmethod
    def parse(cls, body: Any, where: str) -> Entity:
        if not isinstance(body, dict):
            raise AclsError(f"Expecting a JSON object for '{where}'")
        kind = body.get("type", SOME)
        if kind not in (SOME, ANY, NONE):
            raise AclsError(f"Failed to find enum for '{kind}' in '{where}.type'")
        values = body.get("values", [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise AclsError(f"Expecting an array of strings for '{where}.values'")
        return cls(kind, tuple(values))


ANY_ENTITY = Entity(ANY)


def matches(request: Entity, acl: Entity) -> bool:
    """Mesos's match matrix (authorizer/local/authorizer.cpp)."""
    if request.type == NONE:
        return acl.type == NONE
    if request.type == ANY:
        return acl.type in (ANY, NONE)
    if acl.type in (ANY, NONE):
        return True
    return all(value in acl.values for value in request.values)


def allows(request: Entity, acl: Entity) -> bool:
    """Mesos's allow matrix."""
    if request.type == NONE:
        return acl.type == NONE
    if request.type == ANY:
        return acl.type == ANY
    if acl.type == ANY:
        return True
    if acl.type == NONE:
        return False
    return all(value in acl.values for value in request.values)


@dataclass(frozen=True)
class Rule:
    subjects: Entity
    objects: Entity

    @property
    def recursive(self) -> bool:
        return len(self.objects.values) == 1 and self.objects.values[0].endswith("/%")


class Authorizer:
    """The local authorizer over parsed ACLs."""

    def __init__(self, rules: dict[str, list[Rule]], permissive: bool = True) -> None:
        self.rules = rules
        self.permissive = permissive

    @classmethod
    def from_json(cls, body: Any) -> Authorizer:
        if not isinstance(body, dict):
            raise AclsError("Expecting a JSON object for the ACLs")
        permissive = body.get("permissive", True)
        if not isinstance(permissive, bool):
            raise AclsError("Expecting a boolean for 'permissive'")
        rules: dict[str, list[Rule]] = {}
        for action, items in body.items():
            if action == "permissive":
                continue
            object_field = ACTION_OBJECTS.get(action)
            if object_field is None:
                # Mesos's protobuf JSON parsing skips fields the message does not have.
                logger.warning("Ignoring unknown ACL action '%s' in --acls", action)
                continue
            if not isinstance(items, list):
                raise AclsError(f"Expecting a JSON array for '{action}'")
            parsed = []
            for index, item in enumerate(items):
                where = f"{action}[{index}]"
                if not isinstance(item, dict):
                    raise AclsError(f"Expecting a JSON object for '{where}'")
                for required in ("principals", object_field):
                    if required not in item:
                        raise AclsError(f"Missing required fields: {where}.{required}")
                parsed.append(
                    Rule(
                        Entity.parse(item["principals"], f"{where}.principals"),
                        Entity.parse(item[object_field], f"{where}.{object_field}"),
                    )
                )
            rules[action] = parsed
        return cls(rules, permissive)

    def approved(self, action: str, principal: str | None, obj: str | None) -> bool:
        """Whether `principal` (None: unauthenticated) may perform `action` on `obj`
        (None: any object)."""
        subject = Entity.some(principal) if principal is not None else ANY_ENTITY
        entity = Entity.some(obj) if obj is not None else ANY_ENTITY
        if action in HIERARCHICAL_ROLE_ACTIONS:
            return self._approved_role(action, subject, entity)
        for rule in self.rules.get(action, []):
            if matches(subject, rule.subjects) and matches(entity, rule.objects):
                return allows(subject, rule.subjects) and allows(entity, rule.objects)
        return self.permissive

    def _approved_role(self, action: str, subject: Entity, role: Entity) -> bool:
        for rule in self.rules.get(action, []):
            if not rule.recursive:
                if matches(subject, rule.subjects) and matches(role, rule.objects):
                    return allows(subject, rule.subjects) and allows(role, rule.objects)
            elif (
                role.type == SOME
                and role.values[0].startswith(rule.objects.values[0][:-1])
                and matches(subject, rule.subjects)
            ):
                return allows(subject, rule.subjects)
        return self.permissive

    def approved_all(self, action: str, principal: str | None, objects: Iterable[str]) -> bool:
        """register_frameworks: the framework must be allowed every role it asks for."""
        return all(self.approved(action, principal, obj) for obj in objects)


def load_acls(text: str) -> Authorizer:
    """--acls: inline JSON, or (already read by the flag loader from file://) file contents;
    a bare absolute path is read as Mesos still does (deprecated)."""
    stripped = text.strip()
    if stripped.startswith("/"):
        logger.warning(
            "Specifying an absolute filename to read a command line option out of without "
            "using 'file:// is deprecated and will be removed in a future release. Simply "
            "adding 'file://' to the beginning of the path should eliminate this warning."
        )
        try:
            with open(stripped, encoding="utf-8") as handle:
                stripped = handle.read()
        except OSError as error:
            raise AclsError(f"Error reading file '{stripped}': {error.strerror}") from None
    try:
        body = json.loads(stripped)
    except ValueError as error:
        raise AclsError(f"Failed to parse ACLs: {error}") from None
    return Authorizer.from_json(body)


# ----- Mesos's denial messages (master/authorization.cpp operator<<) -----
def roles_text(roles: Iterable[str]) -> str:
    """stout's stringify of a std::set<string>: `{ a, b }`."""
    return "{ " + ", ".join(sorted(set(roles))) + " }"


def register_denied_message(framework_id: str, roles: Iterable[str]) -> str:
    return f"Not authorized to register framework {framework_id} with roles {roles_text(roles)}"


def task_user(
    task_info: dict[str, Any], framework_user: str, group_executor: dict[str, Any] | None = None
) -> str:
    """The user a task runs as, as run_tasks / view_tasks see it: TaskInfo.command.user, else
    its executor's command.user (for a task group's task, the group's executor), else
    FrameworkInfo.user."""
    command = task_info.get("command")
    if isinstance(command, dict) and isinstance(command.get("user"), str):
        return str(command["user"])
    executor = task_info.get("executor", group_executor)
    if isinstance(executor, dict):
        executor_command = executor.get("command")
        if isinstance(executor_command, dict) and isinstance(executor_command.get("user"), str):
            return str(executor_command["user"])
    return framework_user


def executor_user(executor_info: dict[str, Any], framework_user: str) -> str:
    command = executor_info.get("command")
    if isinstance(command, dict) and isinstance(command.get("user"), str):
        return str(command["user"])
    return framework_user


def run_task_denied_message(principal: str, task_id: str, framework_id: str, user: str) -> str:
    # Mesos 1.11's words, "no" included (master.cpp Master::accept, ActionObject's <<).
    return (
        f"Principal '{principal}' no authorized to launch task {task_id} of framework "
        f"{framework_id} under user '{user}'"
    )
