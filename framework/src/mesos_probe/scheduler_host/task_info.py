"""TaskInfo for one attempt: the task's and its executor's resources carved from an offer.

The Driver's ExecutorInfo is the template; every task gets a copy with its own executor_id
(one executor per task: a retry never meets a half-dead executor of an earlier try) and
the executor's resources taken from the same offer.
"""

from __future__ import annotations

from typing import Any

from mesos_probe.scheduler_host import resources
from mesos_probe.scheduler_host.plan import RunPlan
from mesos_probe.task_spec import TaskSpec


class TaskBuilder:
    def __init__(self, plan: RunPlan, run_id: str, executor: dict[str, Any]) -> None:
        self.plan = plan
        self.run_id = run_id
        self.executor = executor
        self.executor_needs = resources.scalar_totals(executor.get("resources", []))
        self.task_needs = {"cpus": plan.cpus, "mem": plan.mem}

    def build(
        self, task_id: str, attempt: int, agent_id: str, offered: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The TaskInfo for one attempt, or None if the offer is short."""
        executor_part = resources.carve(offered, self.executor_needs)
        if executor_part is None:
            return None
        executor_resources, rest = executor_part
        task_part = resources.carve(rest, self.task_needs)
        if task_part is None:
            return None
        spec = TaskSpec(
            run_id=self.run_id,
            attempt=attempt,
            command=self.plan.command,
            command_timeout=self.plan.command_timeout,
            hold=self.plan.hold,
        )
        return {
            "name": f"{self.plan.name} {self.run_id} attempt {attempt}",
            "task_id": {"value": task_id},
            "agent_id": {"value": agent_id},
            "resources": task_part[0],
            "executor": {
                **self.executor,
                "executor_id": {"value": task_id},
                "resources": executor_resources,
            },
            "data": spec.encode(),
        }

    def shortfall(self, offered: list[dict[str, Any]]) -> str:
        """Why an offer is too small for a task, for the log and the report."""
        needs = {
            name: self.executor_needs.get(name, 0.0) + self.task_needs.get(name, 0.0)
            for name in ("cpus", "mem")
        }
        return (
            f"offer has {resources.describe(resources.scalar_totals(offered))}; "
            f"a task needs {resources.describe(needs)}"
        )
