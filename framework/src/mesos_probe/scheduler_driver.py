"""pymesos' scheduler driver, with explicit reconciliation that names each task's agent.

pymesos 0.3.15 sends RECONCILE with task ids only. Mesos answers best when the agent id is
given too (it can then say TASK_GONE for a task its registered agent no longer has, rather
than waiting or answering from the master's partial view), so it is passed through.
"""

from __future__ import annotations

from typing import Any

from pymesos import MesosSchedulerDriver


class ProbeSchedulerDriver(MesosSchedulerDriver):
    def reconcileTasks(self, tasks: list[dict[str, Any]]) -> None:  # noqa: N802 (pymesos API)
        if not self.connected:
            return
        framework_id = self.framework_id
        if not framework_id:
            return
        entries = []
        for task in tasks:
            entry = {"task_id": task["task_id"]}
            if task.get("agent_id"):
                entry["agent_id"] = task["agent_id"]
            entries.append(entry)
        self._send(
            {
                "type": "RECONCILE",
                "framework_id": {"value": framework_id},
                "reconcile": {"tasks": entries},
            }
        )
