"""What an operator may see, as Mesos filters its read-only endpoints with the view_* ACLs.

view_frameworks (object: FrameworkInfo.user) hides frameworks, view_tasks (the task's user,
else the framework's) hides tasks, view_executors (the executor's command user, else the
framework's) hides executors, view_flags hides the flags (in /master/state, and 403 on
/master/flags). Mesos has no ACL for agents: they are always listed.
The filter works on the JSON bodies the endpoints build, looking the users up in the model.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity, principal_of
from mesos_lite.authorization import Authorizer, executor_user, task_user
from mesos_lite.master.model import Framework
from mesos_lite.master.state import MasterState
from mesos_lite.protocol import value_of
from mesos_lite.view_acl import FrameworkViewAcl

TASK_LIST_KEYS = ("tasks", "completed_tasks", "unreachable_tasks", "pending_tasks", "orphan_tasks")


def view_filter_for(
    state: MasterState, security: HttpSecurity, request: web.Request
) -> ViewFilter | None:
    """The filter for this request's principal; None when no --acls are set."""
    if security.authorizer is None:
        return None
    return ViewFilter(state, security.authorizer, principal_of(request))


class ViewFilter(FrameworkViewAcl[Framework]):
    def __init__(self, state: MasterState, authorizer: Authorizer, principal: str | None) -> None:
        super().__init__(
            [*state.completed_frameworks, *state.frameworks.values()], authorizer, principal
        )

    # ----- single decisions (flags and framework: FrameworkViewAcl) -----
    def task(self, framework_id: str, task_id: str) -> bool:
        framework = self.frameworks.get(framework_id)
        user = self._framework_user(framework_id)
        if framework is not None:
            known = framework.tasks.get(task_id) or next(
                (t for t in framework.completed_tasks if t.id == task_id), None
            )
            if known is not None:
                user = task_user(known.info, user)
        return self._approved("view_tasks", user)

    def executor(self, framework_id: str, executor_info: dict[str, Any]) -> bool:
        user = executor_user(executor_info, self._framework_user(framework_id))
        return self._approved("view_executors", user)

    # ----- v0 JSON (/master/state, /master/frameworks, /master/tasks, state-summary) -----
    def _tasks_v0(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [t for t in tasks if self.task(str(t.get("framework_id", "")), str(t.get("id")))]

    def _framework_v0(self, body: dict[str, Any]) -> dict[str, Any]:
        framework_id = str(body.get("id", ""))
        body = dict(body)
        for key in TASK_LIST_KEYS:
            if isinstance(body.get(key), list):
                body[key] = self._tasks_v0(body[key])
        if isinstance(body.get("executors"), list):
            body["executors"] = [e for e in body["executors"] if self.executor(framework_id, e)]
        return body

    def _frameworks_v0(self, frameworks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self._framework_v0(f) for f in frameworks if self.framework(str(f.get("id", "")))]

    def master_json(self, body: dict[str, Any]) -> dict[str, Any]:
        body = dict(body)
        if "flags" in body and not self.flags():
            del body["flags"]
        for key in ("frameworks", "completed_frameworks"):
            if isinstance(body.get(key), list):
                body[key] = self._frameworks_v0(body[key])
        if isinstance(body.get("tasks"), list):
            body["tasks"] = self._tasks_v0(body["tasks"])
        return body

    # ----- v1 operator API -----
    def _tasks_v1(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            t
            for t in tasks
            if self.task(value_of(t, "framework_id") or "", value_of(t, "task_id") or "")
        ]

    def _get_tasks(self, body: dict[str, Any]) -> dict[str, Any]:
        return {k: self._tasks_v1(v) if isinstance(v, list) else v for k, v in body.items()}

    def _get_frameworks(self, body: dict[str, Any]) -> dict[str, Any]:
        def visible(entry: dict[str, Any]) -> bool:
            info = entry.get("framework_info")
            return isinstance(info, dict) and self.framework(value_of(info, "id") or "")

        return {
            k: [e for e in v if visible(e)] if isinstance(v, list) else v for k, v in body.items()
        }

    def _get_executors(self, body: dict[str, Any]) -> dict[str, Any]:
        def visible(entry: dict[str, Any]) -> bool:
            info = entry.get("executor_info")
            if not isinstance(info, dict):
                return False
            return self.executor(value_of(info, "framework_id") or "", info)

        return {
            k: [e for e in v if visible(e)] if isinstance(v, list) else v for k, v in body.items()
        }

    def event(self, event: dict[str, Any]) -> bool:
        """Whether an operator event stream event may go to this principal."""
        kind = event.get("type")
        if kind == "TASK_ADDED":
            task = event["task_added"]["task"]
            return self.task(value_of(task, "framework_id") or "", value_of(task, "task_id") or "")
        if kind == "TASK_UPDATED":
            updated = event["task_updated"]
            return self.task(
                value_of(updated, "framework_id") or "",
                value_of(updated.get("status", {}), "task_id") or "",
            )
        if kind in ("FRAMEWORK_ADDED", "FRAMEWORK_UPDATED"):
            info = event[kind.lower()]["framework"]["framework_info"]
            return self.framework(value_of(info, "id") or "")
        if kind == "FRAMEWORK_REMOVED":
            removed = event["framework_removed"]["framework_info"]
            return self.framework(value_of(removed, "id") or "")
        return True

    def v1(self, call_type: str, body: dict[str, Any]) -> dict[str, Any]:
        if call_type == "GET_TASKS":
            return self._get_tasks(body)
        if call_type == "GET_FRAMEWORKS":
            return self._get_frameworks(body)
        if call_type == "GET_EXECUTORS":
            return self._get_executors(body)
        if call_type == "GET_STATE":
            body = dict(body)
            body["get_tasks"] = self._get_tasks(body.get("get_tasks", {}))
            body["get_frameworks"] = self._get_frameworks(body.get("get_frameworks", {}))
            body["get_executors"] = self._get_executors(body.get("get_executors", {}))
            return body
        return body
