"""The Executor mesos-probe starts on each agent: `<python> -m mesos_probe.agent_host.executor`.

It runs one probe task per process (each task gets its own executor), reports
TASK_STARTING and TASK_RUNNING, does the work on its own thread, sends the result as a
framework message and in TASK_FINISHED's data, then exits once the agent acknowledged.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from pymesos import Executor, MesosExecutorDriver, encode_data
from pymesos.utils import parse_duration

from mesos_probe.agent_host.command_runner import CommandRunner
from mesos_probe.agent_host.probe import agent_probe, agent_probe_json
from mesos_probe.task_spec import TaskSpec, encode_result_message

logger = logging.getLogger("mesos_probe.executor")

REQUIRED_ENVIRONMENT = ("MESOS_AGENT_ENDPOINT", "MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID")
ACK_WAIT_SECONDS = 30.0
SEND_RETRIES = 5


@dataclass
class TaskRun:
    task_id: str
    agent_id: str
    ended: threading.Event = field(default_factory=threading.Event)
    acknowledged: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)
    runner: CommandRunner | None = None
    final_state: str | None = None
    final_uuid: str | None = None


class ProbeExecutor(Executor):
    def __init__(self) -> None:
        self.agent_info: dict[str, Any] | None = None
        self.runs: dict[str, TaskRun] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    # -- pymesos callbacks -------------------------------------------------------------
    def registered(
        self, driver: Any, executorInfo: Any, frameworkInfo: Any, slaveInfo: Any
    ) -> None:
        self.agent_info = dict(slaveInfo)
        logger.info("registered with agent %s", self.agent_info.get("hostname"))

    def reregistered(self, driver: Any, slaveInfo: Any) -> None:
        self.agent_info = dict(slaveInfo)
        logger.info("re-registered with agent %s", self.agent_info.get("hostname"))

    def disconnected(self, driver: Any) -> None:
        logger.warning("disconnected from the agent")

    def launchTask(self, driver: Any, task: Any) -> None:
        task_id = str(task["task_id"]["value"])
        run = TaskRun(task_id=task_id, agent_id=str(task.get("agent_id", {}).get("value", "")))
        with self.lock:
            self.runs[task_id] = run
        self._send_status(driver, run, "TASK_STARTING")
        # Work happens off pymesos' I/O thread so kills, acks and heartbeats keep flowing.
        worker = threading.Thread(
            target=self._run_task, args=(driver, run, task), name=f"task {task_id}", daemon=True
        )
        worker.start()

    def killTask(self, driver: Any, taskId: Any) -> None:
        task_id = str(taskId.get("value"))
        with self.lock:
            run = self.runs.get(task_id)
        if run is None:
            logger.warning("asked to kill unknown task %s", task_id)
            return
        logger.info("killing task %s", task_id)
        run.killed.set()
        if run.runner is not None:
            run.runner.kill()
        # A probe without a command finishes on its own within moments; if it already did,
        # the kill is moot. Otherwise _run_task sees `killed` and reports TASK_KILLED.

    def shutdown(self, driver: Any) -> None:
        logger.info("shutdown requested by the agent")
        with self.lock:
            runs = list(self.runs.values())
        for run in runs:
            run.killed.set()
            if run.runner is not None:
                run.runner.kill()
        self.stopping.set()

    def error(self, driver: Any, message: Any) -> None:
        logger.error("agent reported an error: %s", message)
        self.stopping.set()

    # -- work --------------------------------------------------------------------------
    def _run_task(self, driver: Any, run: TaskRun, task: Any) -> None:
        try:
            spec = TaskSpec.decode(task.get("data"))
            if run.killed.is_set():
                self._finish(driver, run, "TASK_KILLED", "killed before it started")
                return
            self._send_status(driver, run, "TASK_RUNNING")
            if spec.command is None:
                # --hold: stay running for a while (fault drills), but a kill ends it at once.
                if spec.hold > 0 and run.killed.wait(spec.hold):
                    self._finish(driver, run, "TASK_KILLED", "killed while holding")
                    return
                result = agent_probe_json(self.agent_info, run.agent_id)
                self._deliver(driver, run, result, "TASK_FINISHED", "probe finished")
            else:
                self._run_command(driver, run, spec)
        except Exception as error:  # any failure of the work is the task's failure
            logger.exception("task %s failed", run.task_id)
            self._finish(driver, run, "TASK_FAILED", f"{type(error).__name__}: {error}")

    def _run_command(self, driver: Any, run: TaskRun, spec: TaskSpec) -> None:
        assert spec.command is not None
        sandbox = os.environ.get("MESOS_SANDBOX") or os.environ.get("MESOS_DIRECTORY")
        run.runner = CommandRunner(spec.command, sandbox, spec.command_timeout)
        if run.killed.is_set():
            run.runner.kill()
        outcome = run.runner.run()
        probe = agent_probe(self.agent_info, run.agent_id)
        result = json.dumps(
            {
                "hostname": probe["hostname"],
                "agent_id": probe["agent_id"],
                "env_agent_id": probe["env_agent_id"],
                "os_hostname": probe["os_hostname"],
                "command": spec.command,
                "exit_code": outcome.exit_code,
                "stdout": outcome.stdout,
                "stderr": outcome.stderr,
            },
            sort_keys=True,
        )
        if outcome.killed:
            self._finish(driver, run, "TASK_KILLED", "command killed", data=result)
        elif outcome.timed_out:
            self._finish(
                driver,
                run,
                "TASK_FAILED",
                f"command timed out after {spec.command_timeout}s",
                data=result,
            )
        elif outcome.exit_code != 0:
            tail = outcome.stderr.strip().splitlines()[-1:] or [""]
            message = f"Command exited with status {outcome.exit_code}"
            if tail[0]:
                message += f": {tail[0][:200]}"
            self._finish(driver, run, "TASK_FAILED", message, data=result)
        else:
            self._deliver(driver, run, result, "TASK_FINISHED", "command exited with status 0")

    def _deliver(self, driver: Any, run: TaskRun, result: str, state: str, message: str) -> None:
        try:
            driver.sendFrameworkMessage(encode_result_message(run.task_id, result))
        except Exception as error:  # the status update below carries the result as well
            logger.warning("could not send the result as a framework message: %s", error)
        self._finish(driver, run, state, message, data=result)

    def _finish(
        self, driver: Any, run: TaskRun, state: str, message: str, data: str | None = None
    ) -> None:
        run.final_state = state
        self._send_status(driver, run, state, message=message, data=data, final=True)
        run.ended.set()

    def _send_status(
        self,
        driver: Any,
        run: TaskRun,
        state: str,
        message: str | None = None,
        data: str | None = None,
        final: bool = False,
    ) -> None:
        status: dict[str, Any] = {
            "task_id": {"value": run.task_id},
            "state": state,
            "source": "SOURCE_EXECUTOR",
            # Our own uuid: retries reuse it, so the agent sees one update however many
            # times we send it, and the final update's acknowledgement can be recognised
            # even if it races the return of the send.
            "uuid": encode_data(uuid.uuid4().bytes),
        }
        if final:
            run.final_uuid = status["uuid"]
        if run.agent_id:
            status["agent_id"] = {"value": run.agent_id}
        if message:
            status["message"] = message
        if data is not None:
            status["data"] = encode_data(data.encode("utf-8"))
        for attempt in range(1, SEND_RETRIES + 1):
            try:
                driver.sendStatusUpdate(status)
                logger.info("task %s: %s", run.task_id, state)
                return
            except Exception as error:
                logger.warning(
                    "sending %s for %s failed (try %d): %s", state, run.task_id, attempt, error
                )
                time.sleep(min(2.0 * attempt, 10.0))
        logger.error("gave up sending %s for task %s", state, run.task_id)

    def all_ended_and_acknowledged(self) -> bool:
        with self.lock:
            runs = list(self.runs.values())
        return bool(runs) and all(run.ended.is_set() and run.acknowledged.is_set() for run in runs)

    def note_acknowledged(self, task_id: str, update_uuid: str) -> None:
        with self.lock:
            run = self.runs.get(task_id)
        if run is not None and run.final_uuid is not None and run.final_uuid == update_uuid:
            run.acknowledged.set()

    def ended_since(self) -> float | None:
        with self.lock:
            runs = list(self.runs.values())
        return 0.0 if runs and all(run.ended.is_set() for run in runs) else None


class AckTrackingExecutorDriver(MesosExecutorDriver):
    """Tells the executor when the agent acknowledged a task's final update."""

    def __init__(self, executor: ProbeExecutor, **kwargs: Any) -> None:
        super().__init__(executor, **kwargs)
        self.probe_executor = executor

    def on_acknowledged(self, event: Any) -> None:
        super().on_acknowledged(event)
        self.probe_executor.note_acknowledged(
            str(event["task_id"]["value"]), str(event.get("uuid"))
        )


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    missing = [name for name in REQUIRED_ENVIRONMENT if not os.environ.get(name)]
    if missing:
        print(
            "mesos_probe.agent_host.executor must be started by a Mesos agent; "
            "missing environment: " + ", ".join(missing),
            file=sys.stderr,
        )
        return 2
    recovery = os.environ.get("MESOS_RECOVERY_TIMEOUT")
    timeout = parse_duration(recovery) if recovery else 15 * 60
    executor = ProbeExecutor()
    driver = AckTrackingExecutorDriver(executor, timeout=timeout)
    driver.start()
    ended_at: float | None = None
    try:
        while not executor.stopping.is_set() and not driver.aborted:
            if executor.all_ended_and_acknowledged():
                break
            if executor.ended_since() is not None:
                ended_at = ended_at or time.monotonic()
                if time.monotonic() - ended_at > ACK_WAIT_SECONDS:
                    logger.warning("no acknowledgement within %ss; exiting", ACK_WAIT_SECONDS)
                    break
            time.sleep(0.1)
    except Exception as error:  # pymesos re-raises its I/O thread's failure here
        logger.error("executor driver failed: %s", error)
        return 1
    finally:
        driver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
