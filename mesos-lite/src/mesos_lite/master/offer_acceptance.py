"""ACCEPT: the offers it names are taken, each LAUNCH / LAUNCH_GROUP is checked (ACLs,
task validity, resources against what was offered) and sent to the agent; refused tasks get
TASK_ERROR / TASK_DROPPED / TASK_LOST from the master, as in Mesos."""

from __future__ import annotations

import logging
from typing import Any

from mesos_lite.authorization import Authorizer, run_task_denied_message, task_user
from mesos_lite.master.master import Master
from mesos_lite.master.model import Agent, Framework, Offer, Task
from mesos_lite.master.scheduler_call_parsing import (
    offer_ids,
    parse_operations,
    refuse_seconds,
)
from mesos_lite.protocol import framework_roles, is_partition_aware, value_of
from mesos_lite.resources import ResourceError, Resources, parse_resources_json
from mesos_lite.task_validation import launch_id_problem

logger = logging.getLogger(__name__)


class OfferAcceptance:
    def __init__(self, master: Master, authorizer: Authorizer | None) -> None:
        self.master = master
        self.authorizer = authorizer

    def accept(self, framework: Framework, body: dict[str, Any]) -> None:
        master = self.master
        accept = body["accept"]
        refuse = refuse_seconds(accept)
        ids = offer_ids(accept)
        launches = parse_operations(accept.get("operations", []))

        offers: list[Offer] = []
        invalid: str | None = None
        if not ids:
            invalid = "No offers specified"
        for offer_id in ids:
            offer = framework.offers.get(offer_id)
            if offer is None:
                invalid = f"Offer {offer_id} is no longer valid"
                continue
            offers.append(offer)
        if invalid is None and len({o.agent_id for o in offers}) > 1:
            invalid = "Aggregated offers must belong to one single agent"
        taken = [master.allocator.take_offer(framework, o.id) for o in offers]
        available = Resources()
        for offer in taken:
            if offer is not None:
                available = available + offer.resources
        agent = master.state.agents.get(offers[0].agent_id) if offers else None
        if invalid is not None or agent is None:
            reason_message = invalid or "Agent is not available"
            state = "TASK_DROPPED" if is_partition_aware(framework.info) else "TASK_LOST"
            for task_infos, _executor, _group in launches:
                for task_info in task_infos:
                    master.task_lifecycle.send_master_update(
                        framework,
                        value_of(task_info, "task_id") or "",
                        state,
                        "REASON_INVALID_OFFERS",
                        "Task launched with invalid offers: " + reason_message,
                        value_of(task_info, "agent_id"),
                    )
            master.allocator.request_allocation()
            return

        for task_infos, executor_info, is_group in launches:
            available = self._launch(
                framework, agent, available, task_infos, executor_info, is_group
            )
        if available:
            master.allocator.add_filter(framework, agent.id, available, refuse)
        master.allocator.request_allocation()

    def _launch(
        self,
        framework: Framework,
        agent: Agent,
        available: Resources,
        task_infos: list[dict[str, Any]],
        executor_info: dict[str, Any] | None,
        is_group: bool,
    ) -> Resources:
        """Launches what passes the checks; returns the resources left over."""
        role = framework_roles(framework.info)[0]
        accepted: list[Task] = []
        accepted_ids: set[str] = set()
        if self._refused_unauthorized(framework, agent, task_infos, executor_info, is_group):
            return available
        for task_info in task_infos:
            task_id = value_of(task_info, "task_id") or ""
            if not is_group:
                denial = self._unauthorized_task(framework, task_info)
                if denial is not None:
                    logger.info(
                        "Refusing task %s of framework %s: %s", task_id, framework.id, denial
                    )
                    self._task_error(
                        framework, task_info, agent, denial, "REASON_TASK_UNAUTHORIZED"
                    )
                    continue
            checked = launch_id_problem(
                task_info,
                executor_info if is_group else None,
                framework.tasks,
                accepted_ids,
            ) or _task_problem(framework, agent, task_info, executor_info, is_group, available)
            if isinstance(checked, Resources):
                resources = checked
                executor = executor_info if is_group else task_info.get("executor")
                executor_resources = Resources()
                if (
                    isinstance(executor, dict)
                    and (framework.id, value_of(executor, "executor_id")) not in agent.executors
                    and not accepted
                ):
                    executor_resources = parse_resources_json(executor.get("resources", []))
                available = available - (
                    resources + executor_resources if executor_resources else resources
                )
                executor_id = None
                if isinstance(executor, dict):
                    executor_id = value_of(executor, "executor_id")
                    executor.setdefault("framework_id", {"value": framework.id})
                accepted_ids.add(task_id)
                accepted.append(
                    Task(
                        info=task_info,
                        framework_id=framework.id,
                        agent_id=agent.id,
                        executor_id=executor_id or "",
                        resources=resources,
                        role=role,
                    )
                )
                continue
            problem = checked
            if is_group:
                # A task group is all or nothing.
                for other in task_infos:
                    self._task_error(framework, other, agent, problem)
                return available
            self._task_error(framework, task_info, agent, problem)
            logger.info("Refusing task %s of framework %s: %s", task_id, framework.id, problem)
        lifecycle = self.master.task_lifecycle
        if is_group and accepted and executor_info is not None:
            lifecycle.launch_group(framework, agent, accepted, executor_info)
        else:
            for task in accepted:
                executor = task.info.get("executor")
                lifecycle.launch(
                    framework, agent, task, executor if isinstance(executor, dict) else None, None
                )
        return available

    def _task_error(
        self,
        framework: Framework,
        task_info: dict[str, Any],
        agent: Agent,
        message: str,
        reason: str = "REASON_TASK_INVALID",
    ) -> None:
        self.master.task_lifecycle.send_master_update(
            framework, value_of(task_info, "task_id") or "", "TASK_ERROR", reason, message, agent.id
        )

    def _denied_user(
        self,
        framework: Framework,
        task_info: dict[str, Any],
        group_executor: dict[str, Any] | None = None,
    ) -> str | None:
        """run_tasks: the user the task would run as when the framework may not run it (the
        user the agent really runs it as: authorization.task_user)."""
        if self.authorizer is None:
            return None
        principal = framework.info.get("principal")
        user = task_user(task_info, str(framework.info.get("user", "")), group_executor)
        if self.authorizer.approved(
            "run_tasks", principal if isinstance(principal, str) else None, user
        ):
            return None
        return user

    def _unauthorized_task(self, framework: Framework, task_info: dict[str, Any]) -> str | None:
        """run_tasks: the denial message when the framework may not run the task's user."""
        user = self._denied_user(framework, task_info)
        if user is None:
            return None
        principal = framework.info.get("principal")
        task_id = value_of(task_info, "task_id") or ""
        return run_task_denied_message(
            principal if isinstance(principal, str) else "", task_id, framework.id, user
        )

    def _refused_unauthorized(
        self,
        framework: Framework,
        agent: Agent,
        task_infos: list[dict[str, Any]],
        executor_info: dict[str, Any] | None,
        is_group: bool,
    ) -> bool:
        """A task group is refused whole when any task is unauthorized; each task is checked
        with the user it would run as (its command's, else the group executor's, else the
        framework's). Mesos reports the last denial."""
        if not is_group:
            return False
        error: str | None = None
        for task_info in task_infos:
            user = self._denied_user(framework, task_info, executor_info)
            if user is not None:
                task_id = value_of(task_info, "task_id") or ""
                error = f"Task '{task_id}' is not authorized to launch as user '{user}'"
        if error is None:
            return False
        for task_info in task_infos:
            self._task_error(framework, task_info, agent, error, "REASON_TASK_GROUP_UNAUTHORIZED")
        return True


def _task_problem(
    framework: Framework,
    agent: Agent,
    task_info: dict[str, Any],
    executor_info: dict[str, Any] | None,
    is_group: bool,
    available: Resources,
) -> str | Resources:
    """Why Mesos would refuse this task (TASK_ERROR, REASON_TASK_INVALID), or the task's
    resources (parsed once: an ACCEPT may launch 10,000 tasks)."""
    task_id = value_of(task_info, "task_id") or ""
    if task_id in framework.tasks:
        return f"Task has duplicate ID: {task_id}"
    if value_of(task_info, "agent_id") != agent.id:
        return (
            f"Task uses agent ID {value_of(task_info, 'agent_id')} which does not match "
            f"the offered agent ID {agent.id}"
        )
    has_command = isinstance(task_info.get("command"), dict)
    has_executor = isinstance(task_info.get("executor"), dict)
    if is_group:
        if has_executor:
            return "'TaskInfo.executor' must not be set"
    elif has_command == has_executor:
        return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
    try:
        resources = parse_resources_json(task_info.get("resources", []))
        executor = executor_info if is_group else task_info.get("executor")
        executor_resources = Resources()
        if isinstance(executor, dict):
            if value_of(executor, "executor_id") is None:
                return "Executor has no executor_id"
            if (framework.id, value_of(executor, "executor_id")) not in agent.executors:
                executor_resources = parse_resources_json(executor.get("resources", []))
    except ResourceError as error:
        return f"Task uses invalid resources: {error}"
    if not resources and not executor_resources:
        return "Task uses no resources"
    needed = resources + executor_resources if executor_resources else resources
    if not available.contains(needed):
        return (
            f"Total resources {needed.text()} required by task and its executor is more "
            f"than available {available.text()}"
        )
    return resources
