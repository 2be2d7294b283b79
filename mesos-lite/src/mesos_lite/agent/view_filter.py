"""The agent's /state and v1 GET_STATE / GET_TASKS filtered by its --acls view_* rules, as
Mesos's agent filters them (frameworks by view_frameworks, executors by view_executors, tasks
by view_tasks, the flags by view_flags)."""

from __future__ import annotations

from typing import Any

from mesos_lite.agent.core import Agent
from mesos_lite.agent.model import ExecutorRun, FrameworkRun
from mesos_lite.authorization import Authorizer, executor_user, task_user
from mesos_lite.protocol import value_of
from mesos_lite.view_acl import FrameworkViewAcl

EXECUTOR_TASK_LISTS = ("tasks", "queued_tasks", "completed_tasks")


class AgentViewFilter(FrameworkViewAcl[FrameworkRun]):
    def __init__(self, agent: Agent, authorizer: Authorizer, principal: str | None) -> None:
        super().__init__(
            [*agent.completed_frameworks, *agent.frameworks.values()], authorizer, principal
        )

    def _runs(self, framework_id: str) -> list[ExecutorRun]:
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return []
        return [*framework.executors.values(), *framework.completed_executors]

    def _task_info(self, framework_id: str, task_id: str) -> dict[str, Any] | None:
        for run in self._runs(framework_id):
            for task in [
                *run.launched_tasks.values(),
                *run.queued_tasks.values(),
                *run.completed_tasks,
            ]:
                if value_of(task, "task_id") == task_id:
                    return task
        return None

    def task(self, framework_id: str, task_id: str) -> bool:
        user = self._framework_user(framework_id)
        info = self._task_info(framework_id, task_id)
        return self._approved("view_tasks", task_user(info or {}, user))

    def executor(self, framework_id: str, executor_id: str) -> bool:
        user = self._framework_user(framework_id)
        for run in self._runs(framework_id):
            if run.executor_id == executor_id:
                user = executor_user(run.info, user)
                break
        return self._approved("view_executors", user)

    def _executor_json(self, framework_id: str, body: dict[str, Any]) -> dict[str, Any]:
        body = dict(body)
        for key in EXECUTOR_TASK_LISTS:
            if isinstance(body.get(key), list):
                body[key] = [t for t in body[key] if self.task(framework_id, str(t.get("id", "")))]
        return body

    def _framework_json(self, body: dict[str, Any]) -> dict[str, Any]:
        framework_id = str(body.get("id", ""))
        body = dict(body)
        for key in ("executors", "completed_executors"):
            if isinstance(body.get(key), list):
                body[key] = [
                    self._executor_json(framework_id, e)
                    for e in body[key]
                    if self.executor(framework_id, str(e.get("id", "")))
                ]
        return body

    def state_json(self, body: dict[str, Any]) -> dict[str, Any]:
        body = dict(body)
        if "flags" in body and not self.flags():
            del body["flags"]
        for key in ("frameworks", "completed_frameworks"):
            if isinstance(body.get(key), list):
                body[key] = [
                    self._framework_json(f)
                    for f in body[key]
                    if self.framework(str(f.get("id", "")))
                ]
        return body

    def v1(self, call_type: str, body: dict[str, Any]) -> dict[str, Any]:
        def visible_task(entry: Any) -> bool:
            return isinstance(entry, dict) and self.task(
                value_of(entry, "framework_id") or "", value_of(entry, "task_id") or ""
            )

        def tasks(section: dict[str, Any]) -> dict[str, Any]:
            return {
                k: [t for t in v if visible_task(t)] if isinstance(v, list) else v
                for k, v in section.items()
            }

        if call_type == "GET_TASKS":
            return tasks(body)
        if call_type == "GET_STATE":
            body = dict(body)
            body["get_tasks"] = tasks(body.get("get_tasks", {}))
            frameworks = body.get("get_frameworks", {}).get("frameworks", [])
            body["get_frameworks"] = {
                "frameworks": [
                    f
                    for f in frameworks
                    if self.framework(value_of(f.get("framework_info", {}), "id") or "")
                ]
            }
        return body
