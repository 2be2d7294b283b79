"""The built-in executors: the command executor (Apache Mesos's `mesos-executor`) for a task
with a CommandInfo, and the default executor (`mesos-default-executor`) for LAUNCH_GROUP.

Started by the agent in the sandbox; speaks the v1 executor API. Each task's command runs
as a child process and is reported TASK_STARTING, TASK_RUNNING, then TASK_FINISHED (exit 0),
TASK_FAILED ("Command exited with status N") or TASK_KILLED. In a task group, a task that
fails or is killed takes the rest of its group down (as the default executor does), and
group tasks run in `<sandbox>/tasks/<task id>`. The executor exits once every terminal
update is acknowledged. Standard library only (threads and http.client): it starts for every
command task, so its start-up time is part of every launch.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from mesos_lite.commands import (
    EXECUTOR_USER_VARIABLE,
    LaunchError,
    command_argv,
    command_environment,
    user_switch,
)
from mesos_lite.durations import parse_duration
from mesos_lite.recordio import Decoder, RecordIOError

logger = logging.getLogger("mesos_lite.command_executor")
DEFAULT_KILL_GRACE = 3.0
# Without an acknowledgement of the terminal updates, give up after this long.
TERMINAL_ACK_WAIT = 60.0
TERMINAL = ("TASK_FINISHED", "TASK_FAILED", "TASK_KILLED")


@dataclass
class TaskRun:
    info: dict[str, Any]
    sandbox: str
    in_group: bool
    process: subprocess.Popen[bytes] | None = None
    killed: bool = False
    terminal_uuid: str | None = None
    acknowledged: bool = False

    @property
    def id(self) -> str:
        return str(self.info["task_id"]["value"])


class CommandExecutor:
    def __init__(self) -> None:
        env = os.environ
        host, _, port = env["MESOS_AGENT_ENDPOINT"].rpartition(":")
        self.agent = (host, int(port))
        self.framework_id = env["MESOS_FRAMEWORK_ID"]
        self.executor_id = env["MESOS_EXECUTOR_ID"]
        self.sandbox = env.get("MESOS_SANDBOX", os.getcwd())
        self.shutdown_grace = parse_duration(
            env.get("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs")
        )
        self.tasks: dict[str, TaskRun] = {}
        self.done = threading.Event()
        self.framework_info: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _ids(self) -> dict[str, Any]:
        return {
            "framework_id": {"value": self.framework_id},
            "executor_id": {"value": self.executor_id},
        }

    def run(self) -> int:
        threading.Thread(target=self._subscribe_loop, daemon=True).start()
        self.done.wait()
        return 0

    def _subscribe_loop(self) -> None:
        backoff = 0.2
        while not self.done.is_set():
            body = json.dumps(
                {
                    "type": "SUBSCRIBE",
                    **self._ids(),
                    "subscribe": {"unacknowledged_tasks": [], "unacknowledged_updates": []},
                }
            )
            connection = http.client.HTTPConnection(*self.agent, timeout=None)
            try:
                connection.request(
                    "POST",
                    "/api/v1/executor",
                    body,
                    {"Content-Type": "application/json", "Accept": "application/json"},
                )
                response = connection.getresponse()
                if response.status != 200:
                    logger.error(
                        "Agent refused SUBSCRIBE: %s %s",
                        response.status,
                        response.read().decode(errors="replace").strip(),
                    )
                else:
                    decoder = Decoder()
                    while chunk := response.read1(65536):
                        for record in decoder.feed(chunk):
                            self._on_event(json.loads(record))
            except (OSError, http.client.HTTPException, RecordIOError, ValueError) as error:
                logger.warning("Connection to the agent failed: %s", error)
            finally:
                connection.close()
            if self.done.is_set():
                return
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    def _start(self, task: dict[str, Any], in_group: bool) -> None:
        task_id = str(task["task_id"]["value"])
        if task_id in self.tasks:
            return
        sandbox = os.path.join(self.sandbox, "tasks", task_id) if in_group else self.sandbox
        run = TaskRun(task, sandbox, in_group)
        self.tasks[task_id] = run
        threading.Thread(target=self._run_task, args=(run,), daemon=True).start()

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            self.framework_info = event["subscribed"].get("framework_info", {})
        elif kind == "LAUNCH":
            self._start(event["launch"]["task"], in_group=False)
        elif kind == "LAUNCH_GROUP":
            for task in event["launch_group"]["task_group"].get("tasks", []):
                self._start(task, in_group=True)
        elif kind == "KILL":
            task_id = event["kill"]["task_id"]["value"]
            run = self.tasks.get(task_id)
            if run is not None:
                policy = event["kill"].get("kill_policy") or run.info.get("kill_policy")
                victims = [r for r in self.tasks.values() if r.in_group] if run.in_group else [run]
                for victim in victims:
                    threading.Thread(target=self._kill, args=(victim, policy), daemon=True).start()
        elif kind == "ACKNOWLEDGED":
            uuid_ = event["acknowledged"].get("uuid")
            for run in self.tasks.values():
                if run.terminal_uuid is not None and run.terminal_uuid == uuid_:
                    run.acknowledged = True
            if self.tasks and all(r.acknowledged for r in self.tasks.values()):
                self.done.set()
        elif kind == "SHUTDOWN":
            for run in list(self.tasks.values()):
                threading.Thread(target=self._kill, args=(run, None), daemon=True).start()
            threading.Timer(self.shutdown_grace, self.done.set).start()
        elif kind == "ERROR":
            logger.error("Agent error: %s", event.get("error", {}).get("message"))

    def _send_status(self, run: TaskRun, state: str, message: str | None = None) -> None:
        update_uuid = base64.b64encode(uuid.uuid4().bytes).decode("ascii")
        status: dict[str, Any] = {
            "task_id": run.info["task_id"],
            "state": state,
            "source": "SOURCE_EXECUTOR",
            "uuid": update_uuid,
            "timestamp": time.time(),
            "executor_id": {"value": self.executor_id},
        }
        if message:
            status["message"] = message
        if state in TERMINAL:
            run.terminal_uuid = update_uuid
            threading.Timer(TERMINAL_ACK_WAIT, self.done.set).start()
        body = json.dumps({"type": "UPDATE", **self._ids(), "update": {"status": status}})
        for attempt in range(30):
            connection = http.client.HTTPConnection(*self.agent, timeout=10)
            try:
                with self._lock:
                    connection.request(
                        "POST", "/api/v1/executor", body, {"Content-Type": "application/json"}
                    )
                    response = connection.getresponse()
                    text = response.read()
                if response.status != 202:
                    logger.error(
                        "Agent refused %s: %s %s",
                        state,
                        response.status,
                        text.decode(errors="replace").strip(),
                    )
                return
            except (OSError, http.client.HTTPException) as error:
                logger.warning("Cannot send %s (attempt %d): %s", state, attempt + 1, error)
                time.sleep(1.0)
            finally:
                connection.close()

    def _run_task(self, run: TaskRun) -> None:
        command = run.info.get("command", {})
        self._send_status(run, "TASK_STARTING")
        try:
            argv = command_argv(command)
            os.makedirs(run.sandbox, exist_ok=True)
        except (LaunchError, OSError) as error:
            self._send_status(run, "TASK_FAILED", str(error))
            self._task_ended(run, failed=True)
            return
        environment = {**os.environ, "MESOS_SANDBOX": run.sandbox, **command_environment(command)}
        environment.pop(EXECUTOR_USER_VARIABLE, None)
        sys.stdout.write(f"Starting task {run.id}\n")
        sys.stdout.flush()
        try:
            switch, variables = self._user_switch(run)
            environment.update(variables)
            # Its own process group (for KILL), in the executor's session (so the agent's
            # container kill reaches it).
            run.process = subprocess.Popen(
                argv, cwd=run.sandbox, env=environment, process_group=0, **switch
            )
        except LaunchError as error:
            self._send_status(run, "TASK_FAILED", str(error))
            self._task_ended(run, failed=True)
            return
        except OSError as error:
            self._send_status(run, "TASK_FAILED", f"Failed to launch the command: {error}")
            self._task_ended(run, failed=True)
            return
        self._send_status(run, "TASK_RUNNING")
        code = run.process.wait()
        if run.killed:
            signame = signal.Signals(-code).name if code < 0 else str(code)
            self._send_status(run, "TASK_KILLED", f"Command terminated with signal {signame}")
        elif code == 0:
            self._send_status(run, "TASK_FINISHED", "Command exited with status 0")
        elif code < 0:
            signame = signal.Signals(-code).name.removeprefix("SIG")
            self._send_status(run, "TASK_FAILED", f"Command terminated with signal {signame}")
        else:
            self._send_status(run, "TASK_FAILED", f"Command exited with status {code}")
        sys.stdout.write(f"Command exited with status {code} (pid: {run.process.pid})\n")
        sys.stdout.flush()
        self._task_ended(run, failed=code != 0)

    def _user_switch(self, run: TaskRun) -> tuple[dict[str, Any], dict[str, str]]:
        """Popen arguments (and HOME, USER) running the task as its user when the agent
        switches users: TaskInfo.command.user, else the executor's user (Mesos's default
        executor launches each task as a nested container with the task's CommandInfo,
        whose user wins)."""
        default = os.environ.get(EXECUTOR_USER_VARIABLE)
        if not default:
            return {}, {}
        command = run.info.get("command") or {}
        user = command.get("user") if isinstance(command.get("user"), str) else None
        arguments, variables = user_switch(user or default)
        if run.in_group:
            os.chown(run.sandbox, arguments["user"], arguments["group"])
        return arguments, variables

    def _task_ended(self, run: TaskRun, failed: bool) -> None:
        """A failed or killed task of a group takes the rest of the group down."""
        if run.in_group and failed:
            for other in self.tasks.values():
                if other is not run and other.in_group:
                    threading.Thread(target=self._kill, args=(other, None), daemon=True).start()

    def _kill(self, run: TaskRun, kill_policy: dict[str, Any] | None) -> None:
        grace = DEFAULT_KILL_GRACE
        if kill_policy and isinstance(kill_policy.get("grace_period"), dict):
            grace = float(kill_policy["grace_period"].get("nanoseconds", 0)) / 1e9
        process = run.process
        if process is None:
            if run.terminal_uuid is None and not run.killed:
                run.killed = True
                self._send_status(run, "TASK_KILLED", "Killed before the command started")
            return
        if process.poll() is not None or run.killed:
            return
        run.killed = True
        capabilities = [c.get("type") for c in self.framework_info.get("capabilities", [])]
        if "TASK_KILLING_STATE" in capabilities:
            self._send_status(run, "TASK_KILLING")
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                return


def main() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(levelname).1s%(asctime)s %(process)d %(name)s] %(message)s",
    )
    missing = [
        v
        for v in ("MESOS_AGENT_ENDPOINT", "MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID")
        if v not in os.environ
    ]
    if missing:
        sys.stderr.write(
            f"Missing environment variables: {', '.join(missing)}; the command "
            "executor must be started by an agent\n"
        )
        raise SystemExit(1)
    code = CommandExecutor().run()
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
