"""/metrics/snapshot: the master's counters and gauges, named as Mesos names them."""

from __future__ import annotations

import time
from typing import Any

from mesos_lite.master.master import Master

SCALARS = ("cpus", "mem", "disk", "gpus")


def metrics_json(master: Master) -> dict[str, Any]:
    state = master.state
    agents = list(state.agents.values())
    frameworks = list(state.frameworks.values())
    current: dict[str, int] = {}
    for framework in frameworks:
        for task in framework.tasks.values():
            current[task.state] = current.get(task.state, 0) + 1
    counters = state.task_counters
    messages = state.messages_counter
    totals = {name: sum(a.total.scalar(name) for a in agents) for name in SCALARS}
    used = {name: sum(a.used.scalar(name) for a in agents) for name in SCALARS}
    body: dict[str, Any] = {
        "master/elected": 1.0 if master.elected else 0.0,
        "master/uptime_secs": time.time() - master.leadership.start_time,
        "master/slaves_active": float(sum(1 for a in agents if a.active)),
        "master/slaves_inactive": float(sum(1 for a in agents if not a.active)),
        "master/slaves_connected": float(sum(1 for a in agents if a.connected)),
        "master/slaves_disconnected": float(sum(1 for a in agents if not a.connected)),
        "master/slaves_unreachable": float(len(state.unreachable_agents)),
        "master/recovery_slave_removals": float(state.recovery_agent_removals),
        "master/frameworks_active": float(sum(1 for f in frameworks if f.active)),
        "master/frameworks_inactive": float(sum(1 for f in frameworks if not f.active)),
        "master/frameworks_connected": float(sum(1 for f in frameworks if f.connected)),
        "master/frameworks_disconnected": float(sum(1 for f in frameworks if not f.connected)),
        "master/tasks_staging": float(current.get("TASK_STAGING", 0)),
        "master/tasks_starting": float(current.get("TASK_STARTING", 0)),
        "master/tasks_running": float(current.get("TASK_RUNNING", 0)),
        "master/tasks_killing": float(current.get("TASK_KILLING", 0)),
        "master/tasks_unreachable": float(current.get("TASK_UNREACHABLE", 0)),
        "master/tasks_finished": float(counters.get("TASK_FINISHED", 0)),
        "master/tasks_failed": float(counters.get("TASK_FAILED", 0)),
        "master/tasks_killed": float(counters.get("TASK_KILLED", 0)),
        "master/tasks_lost": float(counters.get("TASK_LOST", 0)),
        "master/tasks_error": float(counters.get("TASK_ERROR", 0)),
        "master/tasks_dropped": float(counters.get("TASK_DROPPED", 0)),
        "master/tasks_gone": float(counters.get("TASK_GONE", 0)),
        "master/outstanding_offers": float(sum(len(f.offers) for f in frameworks)),
        "master/messages_framework_to_executor": float(messages.get("framework_to_executor", 0)),
        "master/messages_executor_to_framework": float(messages.get("executor_to_framework", 0)),
    }
    for name in SCALARS:
        body[f"master/{name}_total"] = totals[name]
        body[f"master/{name}_used"] = used[name]
        body[f"master/{name}_percent"] = used[name] / totals[name] if totals[name] else 0.0
    return body
