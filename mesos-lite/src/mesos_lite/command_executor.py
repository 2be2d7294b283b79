"""The command executor (Apache Mesos's `mesos-executor`) for tasks with a CommandInfo.

Started by the agent in the task's sandbox; speaks the v1 executor API; runs the task's
command and reports TASK_STARTING, TASK_RUNNING, then TASK_FINISHED (exit 0), TASK_FAILED
("Command exited with status N") or TASK_KILLED; exits once the terminal update is
acknowledged. Standard library only (threads and http.client): it starts for every task,
so its start-up time is part of every task's launch latency.
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
from typing import Any

from mesos_lite.commands import LaunchError, command_argv, command_environment
from mesos_lite.durations import parse_duration
from mesos_lite.recordio import Decoder, RecordIOError

logger = logging.getLogger("mesos_lite.command_executor")
DEFAULT_KILL_GRACE = 3.0
# Without an acknowledgement of the terminal update, give up after this long.
TERMINAL_ACK_WAIT = 60.0
TERMINAL = ("TASK_FINISHED", "TASK_FAILED", "TASK_KILLED")


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
        self.task: dict[str, Any] | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.killed = False
        self.terminal_uuid: str | None = None
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

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            self.framework_info = event["subscribed"].get("framework_info", {})
        elif kind == "LAUNCH":
            if self.task is None:
                self.task = event["launch"]["task"]
                threading.Thread(target=self._run_task, daemon=True).start()
        elif kind == "KILL":
            policy = event["kill"].get("kill_policy") or (self.task or {}).get("kill_policy")
            threading.Thread(target=self._kill, args=(policy,), daemon=True).start()
        elif kind == "ACKNOWLEDGED":
            if event["acknowledged"].get("uuid") == self.terminal_uuid:
                self.done.set()
        elif kind == "SHUTDOWN":
            threading.Thread(target=self._kill, args=(None,), daemon=True).start()
            threading.Timer(self.shutdown_grace, self.done.set).start()
        elif kind == "ERROR":
            logger.error("Agent error: %s", event.get("error", {}).get("message"))

    def _send_status(self, state: str, message: str | None = None) -> None:
        assert self.task is not None
        update_uuid = base64.b64encode(uuid.uuid4().bytes).decode("ascii")
        status: dict[str, Any] = {
            "task_id": self.task["task_id"],
            "state": state,
            "source": "SOURCE_EXECUTOR",
            "uuid": update_uuid,
            "timestamp": time.time(),
            "executor_id": {"value": self.executor_id},
        }
        if message:
            status["message"] = message
        if state in TERMINAL:
            self.terminal_uuid = update_uuid
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

    def _run_task(self) -> None:
        assert self.task is not None
        command = self.task.get("command", {})
        task_id = self.task["task_id"]["value"]
        self._send_status("TASK_STARTING")
        try:
            argv = command_argv(command)
        except LaunchError as error:
            self._send_status("TASK_FAILED", str(error))
            return
        environment = {**os.environ, **command_environment(command)}
        sys.stdout.write(f"Starting task {task_id}\n")
        sys.stdout.flush()
        try:
            # Its own process group (for KILL), in the executor's session (so the agent's
            # container kill reaches it).
            self.process = subprocess.Popen(
                argv, cwd=self.sandbox, env=environment, process_group=0
            )
        except OSError as error:
            self._send_status("TASK_FAILED", f"Failed to launch the command: {error}")
            return
        self._send_status("TASK_RUNNING")
        code = self.process.wait()
        if self.killed:
            self._send_status(
                "TASK_KILLED",
                "Command terminated with signal "
                f"{signal.Signals(-code).name if code < 0 else code}",
            )
        elif code == 0:
            self._send_status("TASK_FINISHED", "Command exited with status 0")
        elif code < 0:
            self._send_status(
                "TASK_FAILED",
                f"Command terminated with signal {signal.Signals(-code).name.removeprefix('SIG')}",
            )
        else:
            self._send_status("TASK_FAILED", f"Command exited with status {code}")
        sys.stdout.write(f"Command exited with status {code} (pid: {self.process.pid})\n")
        sys.stdout.flush()

    def _kill(self, kill_policy: dict[str, Any] | None) -> None:
        grace = DEFAULT_KILL_GRACE
        if kill_policy and isinstance(kill_policy.get("grace_period"), dict):
            grace = float(kill_policy["grace_period"].get("nanoseconds", 0)) / 1e9
        process = self.process
        if process is None:
            if self.task is not None and self.terminal_uuid is None:
                self.killed = True
                self._send_status("TASK_KILLED", "Killed before the command started")
            return
        if process.poll() is not None:
            return
        self.killed = True
        capabilities = [c.get("type") for c in self.framework_info.get("capabilities", [])]
        if "TASK_KILLING_STATE" in capabilities:
            self._send_status("TASK_KILLING")
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
