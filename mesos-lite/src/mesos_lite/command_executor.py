"""The command executor (Apache Mesos's `mesos-executor`) for tasks with a CommandInfo.

Started by the agent in the task's sandbox; speaks the v1 executor API; runs the task's
command and reports TASK_STARTING, TASK_RUNNING, then TASK_FINISHED (exit 0), TASK_FAILED
("Command exited with status N") or TASK_KILLED; exits once the terminal update is
acknowledged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import signal
import sys
import time
import uuid
from typing import Any

import aiohttp

from mesos_lite import recordio
from mesos_lite.agent.containers import LaunchError, command_argv, command_environment
from mesos_lite.durations import parse_duration

logger = logging.getLogger("mesos_lite.command_executor")
DEFAULT_KILL_GRACE = 3.0
# Without an acknowledgement of the terminal update, give up after this long.
TERMINAL_ACK_WAIT = 60.0


class CommandExecutor:
    def __init__(self) -> None:
        env = os.environ
        self.agent = env["MESOS_AGENT_ENDPOINT"]
        self.framework_id = env["MESOS_FRAMEWORK_ID"]
        self.executor_id = env["MESOS_EXECUTOR_ID"]
        self.sandbox = env.get("MESOS_SANDBOX", os.getcwd())
        self.shutdown_grace = parse_duration(
            env.get("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs")
        )
        self.task: dict[str, Any] | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.killed = False
        self.terminal_uuid: str | None = None
        self.done = asyncio.Event()
        self.session: aiohttp.ClientSession | None = None
        self.framework_info: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return f"http://{self.agent}/api/v1/executor"

    def _ids(self) -> dict[str, Any]:
        return {
            "framework_id": {"value": self.framework_id},
            "executor_id": {"value": self.executor_id},
        }

    async def run(self) -> int:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        try:
            subscriber = asyncio.get_running_loop().create_task(self._subscribe_loop())
            await self.done.wait()
            subscriber.cancel()
        finally:
            await self.session.close()
        return 0

    async def _subscribe_loop(self) -> None:
        assert self.session is not None
        backoff = 0.5
        while not self.done.is_set():
            body = {
                "type": "SUBSCRIBE",
                **self._ids(),
                "subscribe": {"unacknowledged_tasks": [], "unacknowledged_updates": []},
            }
            try:
                async with self.session.post(
                    self.url, json=body, headers={"Accept": "application/json"}
                ) as resp:
                    if resp.status != 200:
                        logger.error(
                            "Agent refused SUBSCRIBE: %s %s",
                            resp.status,
                            (await resp.text()).strip(),
                        )
                    else:
                        decoder = recordio.Decoder()
                        async for chunk in resp.content.iter_any():
                            for record in decoder.feed(chunk):
                                await self._on_event(json.loads(record))
            except (aiohttp.ClientError, OSError, recordio.RecordIOError) as error:
                logger.warning("Connection to the agent failed: %s", error)
            if self.done.is_set():
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    async def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            self.framework_info = event["subscribed"].get("framework_info", {})
            logger.info("Subscribed to the agent")
        elif kind == "LAUNCH":
            if self.task is None:
                self.task = event["launch"]["task"]
                asyncio.get_running_loop().create_task(self._run_task())
        elif kind == "KILL":
            policy = event["kill"].get("kill_policy") or (self.task or {}).get("kill_policy")
            asyncio.get_running_loop().create_task(self._kill(policy))
        elif kind == "ACKNOWLEDGED":
            if event["acknowledged"].get("uuid") == self.terminal_uuid:
                self.done.set()
        elif kind == "SHUTDOWN":
            await self._kill(None)
            asyncio.get_running_loop().call_later(self.shutdown_grace, self.done.set)
        elif kind == "ERROR":
            logger.error("Agent error: %s", event.get("error", {}).get("message"))

    async def _send_status(
        self, state: str, message: str | None = None, reason: str | None = None
    ) -> None:
        assert self.task is not None and self.session is not None
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
        if reason:
            status["reason"] = reason
        if state in ("TASK_FINISHED", "TASK_FAILED", "TASK_KILLED"):
            self.terminal_uuid = update_uuid
            asyncio.get_running_loop().call_later(TERMINAL_ACK_WAIT, self.done.set)
        body = {"type": "UPDATE", **self._ids(), "update": {"status": status}}
        for attempt in range(30):
            try:
                async with self.session.post(self.url, json=body) as resp:
                    if resp.status == 202:
                        return
                    logger.error(
                        "Agent refused %s: %s %s", state, resp.status, (await resp.text()).strip()
                    )
                    return
            except (aiohttp.ClientError, OSError) as error:
                logger.warning("Cannot send %s (attempt %d): %s", state, attempt + 1, error)
                await asyncio.sleep(1.0)

    async def _run_task(self) -> None:
        assert self.task is not None
        command = self.task.get("command", {})
        task_id = self.task["task_id"]["value"]
        await self._send_status("TASK_STARTING")
        try:
            argv = command_argv(command)
        except LaunchError as error:
            await self._send_status("TASK_FAILED", str(error))
            return
        environment = {**os.environ, **command_environment(command)}
        sys.stdout.write(f"Starting task {task_id}\n")
        sys.stdout.flush()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *argv, cwd=self.sandbox, env=environment, process_group=0
            )
        except OSError as error:
            await self._send_status("TASK_FAILED", f"Failed to launch the command: {error}")
            return
        await self._send_status("TASK_RUNNING")
        code = await self.process.wait()
        if self.killed:
            await self._send_status(
                "TASK_KILLED",
                "Command terminated with signal "
                f"{signal.Signals(-code).name if code < 0 else code}",
            )
        elif code == 0:
            await self._send_status("TASK_FINISHED", "Command exited with status 0")
        elif code < 0:
            await self._send_status(
                "TASK_FAILED",
                f"Command terminated with signal {signal.Signals(-code).name.removeprefix('SIG')}",
            )
        else:
            await self._send_status("TASK_FAILED", f"Command exited with status {code}")
        sys.stdout.write(f"Command exited with status {code} (pid: {self.process.pid})\n")
        sys.stdout.flush()

    async def _kill(self, kill_policy: dict[str, Any] | None) -> None:
        grace = DEFAULT_KILL_GRACE
        if kill_policy and isinstance(kill_policy.get("grace_period"), dict):
            grace = float(kill_policy["grace_period"].get("nanoseconds", 0)) / 1e9
        if self.process is None or self.process.returncode is not None:
            if self.task is not None and self.terminal_uuid is None and self.process is None:
                self.killed = True
                await self._send_status("TASK_KILLED", "Killed before the command started")
            return
        self.killed = True
        capabilities = [c.get("type") for c in self.framework_info.get("capabilities", [])]
        if "TASK_KILLING_STATE" in capabilities:
            await self._send_status("TASK_KILLING")
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            await asyncio.wait_for(asyncio.shield(self.process.wait()), timeout=grace)
        except ProcessLookupError:
            return
        except TimeoutError:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
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
    raise SystemExit(asyncio.run(CommandExecutor().run()))


if __name__ == "__main__":
    main()
