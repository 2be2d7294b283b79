"""The protobuf-shaped dicts mesos-probe sends: FrameworkInfo, ExecutorInfo, TaskInfo."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from mesos_probe import resources
from mesos_probe.task_spec import TaskSpec

# Small fixed share for the executor process itself, on top of the task's --cpus/--mem.
EXECUTOR_CPUS = 0.05
EXECUTOR_MEM = 32.0


@dataclass(frozen=True)
class RunPlan:
    """Everything one `submit` run needs to know, decided before it starts."""

    run_id: str
    expected_agents: int
    framework_name: str = "mesos-probe"
    user: str = "nobody"
    hostname: str = "localhost"
    roles: tuple[str, ...] = ("*",)
    principal: str | None = None
    failover_timeout: float = 600.0
    cpus: float = 0.1
    mem: float = 32.0
    command: str | None = None
    command_timeout: float | None = None
    hold: float = 0.0
    executor_python: str = "python3"
    max_attempts: int = 3
    # Declined offers we will not need again for this run stay away this long; REVIVE undoes it.
    refuse_seconds: float = 120.0
    # Offers we cannot use yet (resources short, agent still resolving) come back soon.
    retry_refuse_seconds: float = 2.0
    reconcile_backoff_max: float = 30.0
    # How long an agent whose task is lost/unreachable may take to come back (an offer from
    # it, or the task reported again) before the run stops waiting for it.
    lost_agent_timeout: float = 60.0
    extra_capabilities: tuple[str, ...] = field(default_factory=tuple)

    @property
    def needs(self) -> dict[str, float]:
        return {"cpus": self.cpus + EXECUTOR_CPUS, "mem": self.mem + EXECUTOR_MEM}


CAPABILITIES = ("MULTI_ROLE", "PARTITION_AWARE", "TASK_KILLING_STATE")


def framework_info(plan: RunPlan, framework_id: str | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": plan.framework_name,
        "user": plan.user,
        "hostname": plan.hostname,
        "failover_timeout": plan.failover_timeout,
        "checkpoint": True,
        "roles": list(plan.roles),
        "capabilities": [{"type": name} for name in (*CAPABILITIES, *plan.extra_capabilities)],
    }
    if plan.principal:
        info["principal"] = plan.principal
    if framework_id:
        info["id"] = {"value": framework_id}
    return info


def executor_command(python: str) -> str:
    return f"{shlex.quote(python)} -m mesos_probe.executor"


def task_info(
    plan: RunPlan,
    task_id: str,
    attempt: int,
    agent_id: str,
    offer_resources: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """The TaskInfo (with its own ExecutorInfo) for one attempt, or None if the offer is short."""
    executor_part = resources.carve(offer_resources, {"cpus": EXECUTOR_CPUS, "mem": EXECUTOR_MEM})
    if executor_part is None:
        return None
    executor_resources, rest = executor_part
    task_part = resources.carve(rest, {"cpus": plan.cpus, "mem": plan.mem})
    if task_part is None:
        return None
    task_resources, _ = task_part
    spec = TaskSpec(
        run_id=plan.run_id,
        attempt=attempt,
        command=plan.command,
        command_timeout=plan.command_timeout,
        hold=plan.hold,
    )
    return {
        "name": f"{plan.framework_name} {plan.run_id} attempt {attempt}",
        "task_id": {"value": task_id},
        "agent_id": {"value": agent_id},
        "resources": task_resources,
        "executor": {
            # One executor per task: a retry never meets a half-dead executor of an earlier try.
            "executor_id": {"value": task_id},
            "name": f"{plan.framework_name} executor",
            "source": plan.framework_name,
            "command": {"value": executor_command(plan.executor_python), "shell": True},
            "resources": executor_resources,
        },
        "data": spec.encode(),
    }
