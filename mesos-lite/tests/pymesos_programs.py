"""A pymesos scheduler and executor in the style of pymesos's own examples.

Run as `python pymesos_programs.py executor` (by the agent) or imported by the tests, which
drive `ProbeScheduler` with a MesosSchedulerDriver.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
from typing import Any

from pymesos import (
    Executor,
    MesosExecutorDriver,
    MesosSchedulerDriver,
    Scheduler,
    decode_data,
    encode_data,
)

TERMINAL = {
    "TASK_FINISHED",
    "TASK_FAILED",
    "TASK_KILLED",
    "TASK_ERROR",
    "TASK_LOST",
    "TASK_DROPPED",
    "TASK_GONE",
}


class EchoExecutor(Executor):
    """Sends a framework message and TASK_FINISHED carrying data about its environment."""

    def launchTask(self, driver: Any, task: dict[str, Any]) -> None:
        def run() -> None:
            update = {"task_id": task["task_id"], "state": "TASK_RUNNING", "timestamp": time.time()}
            driver.sendStatusUpdate(update)
            environment = {k: v for k, v in os.environ.items() if k.startswith("MESOS_")}
            driver.sendFrameworkMessage(
                encode_data(
                    json.dumps(
                        {"hello_from": task["task_id"]["value"], "environment": environment}
                    ).encode()
                )
            )
            print("executor stdout line", flush=True)
            print("executor stderr line", file=sys.stderr, flush=True)
            finished = {
                "task_id": task["task_id"],
                "state": "TASK_FINISHED",
                "timestamp": time.time(),
                "data": encode_data(json.dumps({"cwd": os.getcwd()}).encode()),
            }
            driver.sendStatusUpdate(finished)

        threading.Thread(target=run, daemon=True).start()

    def frameworkMessage(self, driver: Any, message: str) -> None:
        # Echo the scheduler's message back, data intact.
        driver.sendFrameworkMessage(encode_data(b"echo:" + decode_data(message)))


class ProbeScheduler(Scheduler):
    """Launches one task per agent with the given executor command, records what comes back."""

    def __init__(
        self, executor_command: str | None, wanted_agents: int, task_command: str | None = None
    ) -> None:
        self.executor_command = executor_command
        self.task_command = task_command
        self.wanted = wanted_agents
        self.launched_agents: set[str] = set()
        self.updates: list[dict[str, Any]] = []
        self.messages: list[tuple[str, str, bytes]] = []
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.framework_id: str | None = None

    def registered(self, driver: Any, framework_id: dict[str, str], master_info: Any) -> None:
        self.framework_id = framework_id["value"]

    def resourceOffers(self, driver: Any, offers: list[dict[str, Any]]) -> None:
        for offer in offers:
            agent_id = offer["agent_id"]["value"]
            with self.lock:
                if agent_id in self.launched_agents or len(self.launched_agents) >= self.wanted:
                    driver.declineOffer(offer["id"], {"refuse_seconds": 60})
                    continue
                self.launched_agents.add(agent_id)
            task_id = f"probe-{len(self.launched_agents)}"
            task: dict[str, Any] = {
                "task_id": {"value": task_id},
                "agent_id": offer["agent_id"],
                "name": task_id,
                "resources": [
                    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                    {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
                ],
            }
            if self.executor_command is not None:
                task["executor"] = {
                    "executor_id": {"value": f"executor-{task_id}"},
                    "name": "echo executor",
                    "command": {"value": self.executor_command},
                    "resources": [
                        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                        {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
                    ],
                }
            else:
                task["command"] = {"value": self.task_command or "true"}
            driver.launchTasks(offer["id"], [task])

    def statusUpdate(self, driver: Any, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(update)
            finished = [u for u in self.updates if u["state"] in TERMINAL]
            if len(finished) >= self.wanted:
                self.done.set()

    def frameworkMessage(
        self, driver: Any, executor_id: dict[str, str], agent_id: dict[str, str], message: str
    ) -> None:
        with self.lock:
            self.messages.append((executor_id["value"], agent_id["value"], decode_data(message)))


class CrashingExecutor(Executor):
    """Reports its task running, then dies (exit status 3) with the task unfinished."""

    def launchTask(self, driver: Any, task: dict[str, Any]) -> None:
        driver.sendStatusUpdate({"task_id": task["task_id"], "state": "TASK_RUNNING"})

        def crash() -> None:
            time.sleep(1.0)
            os._exit(3)

        threading.Thread(target=crash, daemon=True).start()


def executor_main(mode: str) -> None:
    executor = CrashingExecutor() if mode == "crash" else EchoExecutor()
    driver = MesosExecutorDriver(executor, use_addict=True)
    driver.run()


def run_scheduler(
    master: str,
    executor_command: str | None,
    agents: int,
    timeout: float = 30.0,
    task_command: str | None = None,
    principal: str | None = None,
    secret: str | None = None,
) -> ProbeScheduler:
    scheduler = ProbeScheduler(executor_command, agents, task_command)
    framework = {
        "user": "",
        "name": "pymesos-probe",
        "hostname": "localhost",
        "failover_timeout": 30.0,
    }
    driver = MesosSchedulerDriver(
        scheduler, framework, master, use_addict=True, principal=principal, secret=secret
    )
    driver.start()
    try:
        scheduler.done.wait(timeout)
        time.sleep(0.5)
    finally:
        driver.stop()
        driver.join()
    return scheduler


if __name__ == "__main__":
    if sys.argv[1:2] == ["executor"]:
        executor_main(sys.argv[2] if len(sys.argv) > 2 else "echo")
    else:
        result = run_scheduler(
            sys.argv[1],
            f"{sys.executable} {os.path.abspath(__file__)} executor",
            int(sys.argv[2]) if len(sys.argv) > 2 else 2,
        )
        print(
            json.dumps(
                {
                    "updates": [
                        (
                            u["task_id"]["value"],
                            u["state"],
                            base64.b64decode(u.get("data", "")).decode(),
                        )
                        for u in result.updates
                    ],
                    "messages": [(e, a, m.decode()[:80]) for e, a, m in result.messages],
                },
                indent=1,
            )
        )
