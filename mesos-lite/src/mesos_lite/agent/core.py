"""The agent's behaviour: its link to the master, executors, tasks and status updates."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pwd
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from mesos_lite import MESOS_VERSION, recordio
from mesos_lite.agent import checkpoint
from mesos_lite.agent.containers import (
    LaunchError,
    adopt,
    command_argv,
    command_environment,
    command_executor_command,
    describe_command,
    launch,
    make_sandbox,
    sandbox_path,
)
from mesos_lite.agent.model import ExecutorRun, FrameworkRun
from mesos_lite.agent.status_updates import StatusUpdateManager
from mesos_lite.credentials import Credential
from mesos_lite.durations import format_duration
from mesos_lite.ids import new_uuid
from mesos_lite.master.agent_link import AGENT_PATH
from mesos_lite.protocol import TERMINAL_STATES, b64, is_partition_aware, now, value_of, wrap
from mesos_lite.resources import Resources

logger = logging.getLogger(__name__)

# Mesos gives the command executor this much on top of its task's resources.
COMMAND_EXECUTOR_RESOURCES = [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}, "role": "*"},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 32.0}, "role": "*"},
]


@dataclass
class AgentConfig:
    ip: str
    port: int
    advertise_ip: str
    advertise_port: int
    hostname: str
    work_dir: str
    resources: Resources
    attributes: list[dict[str, Any]]
    master: str
    executor_registration_timeout: float
    executor_shutdown_grace_period: float
    switch_user: bool
    registration_backoff_factor: float
    zk_session_timeout: float
    log_dir: str | None
    http_heartbeat_interval: float = 30.0
    recovery_timeout: float = 900.0
    executor_environment_variables: dict[str, str] | None = None
    executor_reregistration_timeout: float = 2.0
    flags: dict[str, str] = field(default_factory=dict)
    # --credential: presented (HTTP Basic) on every call to the master.
    credential: Credential | None = None


class Agent:
    def __init__(self, config: AgentConfig, agent_id: str | None) -> None:
        self.config = config
        self.id = agent_id
        self.start_time = now()
        self.master_address: str | None = None
        self.master_info: dict[str, Any] | None = None
        self.registered = False
        self.frameworks: dict[str, FrameworkRun] = {}
        self.completed_frameworks: list[FrameworkRun] = []
        self.updates = StatusUpdateManager(self._forward_update, persist=self._persist_updates)
        self._session: aiohttp.ClientSession | None = None
        self._link_task: asyncio.Task[None] | None = None
        self._master_changed = asyncio.Event()
        self._stopping = False
        self._background: set[asyncio.Task[Any]] = set()
        self.counters: dict[str, int] = {}

    # ----- identity -----
    @property
    def pid(self) -> str:
        return f"slave(1)@{self.config.advertise_ip}:{self.config.advertise_port}"

    @property
    def endpoint(self) -> str:
        return f"{self.config.advertise_ip}:{self.config.advertise_port}"

    def agent_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "hostname": self.config.hostname,
            "port": self.config.advertise_port,
            "resources": self.config.resources.to_json(),
            "attributes": self.config.attributes,
        }
        if self.id is not None:
            info["id"] = wrap(self.id)
        return info

    # ----- lifecycle -----
    def start(self) -> None:
        credential = self.config.credential
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
            auth=aiohttp.BasicAuth(credential.principal, credential.secret)
            if credential is not None
            else None,
        )
        self._link_task = asyncio.get_running_loop().create_task(self._master_loop())

    def set_master(self, address: str | None) -> None:
        if address == self.master_address:
            return
        logger.info("New master detected at %s", address)
        self.master_address = address
        self._master_changed.set()
        if self._current_link is not None:
            self._current_link.cancel()

    _current_link: asyncio.Task[None] | None = None

    def on_fatal_error(self, message: str) -> None:
        """Replaced by the daemon with one that logs and exits 1."""
        logger.error(message)

    async def stop(self) -> None:
        """Shut every executor down (grace period, then kill), then close the master link."""
        self._stopping = True
        runs = [run for fw in self.frameworks.values() for run in fw.executors.values()]
        await asyncio.gather(
            *(
                self._shutdown_executor(
                    run, "REASON_EXECUTOR_TERMINATED", "Agent is shutting down", notify=False
                )
                for run in runs
            ),
            return_exceptions=True,
        )
        if self._link_task is not None:
            self._link_task.cancel()
        if self._session is not None:
            await self._session.close()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----- master link -----
    async def _master_loop(self) -> None:
        backoff = self.config.registration_backoff_factor
        while not self._stopping:
            address = self.master_address
            if address is None:
                self._master_changed.clear()
                await self._master_changed.wait()
                continue
            self._current_link = asyncio.get_running_loop().create_task(
                self._register_with(address)
            )
            try:
                await self._current_link
            except asyncio.CancelledError:
                if self._stopping:
                    raise
            except (aiohttp.ClientError, OSError, recordio.RecordIOError, ValueError) as error:
                self._log_link_failure(address, str(error))
            finally:
                self._current_link = None
            if self.registered:
                logger.warning("Lost the master at %s; re-registering", address)
            self.registered = False
            self.updates.pause()
            await asyncio.sleep(random.uniform(0.1, max(backoff, 0.1)))

    _last_link_failure: tuple[str, float] | None = None

    def _log_link_failure(self, address: str, error: str) -> None:
        """Warns about a failing master link once per distinct error and then every 30s,
        not on every retry."""
        clock = time.monotonic()
        last = self._last_link_failure
        if last is None or last[0] != error or clock - last[1] >= 30:
            logger.warning("Connection to master %s failed (retrying): %s", address, error)
            self._last_link_failure = (error, clock)

    async def _register_with(self, address: str) -> None:
        assert self._session is not None
        body = {
            "type": "REGISTER",
            "agent_info": self.agent_info(),
            "ip": self.config.advertise_ip,
            "version": MESOS_VERSION,
            **self._recovered_state(),
        }
        async with self._session.post(f"http://{address}{AGENT_PATH}", json=body) as response:
            if response.status == 401 and self.config.credential is not None:
                # Mesos: a refused authentication ends the agent (executors keep running).
                self.on_fatal_error(f"Master {address} refused authentication")
                return
            if response.status != 200:
                text = await response.text()
                raise ValueError(f"master answered {response.status}: {text.strip()}")
            decoder = recordio.Decoder()
            async for chunk in response.content.iter_any():
                for record in decoder.feed(chunk):
                    self._on_master_event(json.loads(record))

    def _recovered_state(self) -> dict[str, Any]:
        executors, tasks = [], []
        for framework in self.frameworks.values():
            for run in framework.executors.values():
                if not run.is_command_executor:
                    executors.append({**run.info, "framework_id": wrap(framework.id)})
                for task_id, task in [*run.queued_tasks.items(), *run.launched_tasks.items()]:
                    state = run.task_states.get(task_id, "TASK_STAGING")
                    if state in TERMINAL_STATES:
                        continue
                    tasks.append(
                        {
                            "framework_id": wrap(framework.id),
                            "task_info": task,
                            "executor_id": wrap(run.executor_id)
                            if not run.is_command_executor
                            else None,
                            "state": state,
                        }
                    )
        for task in tasks:
            if task["executor_id"] is None:
                del task["executor_id"]
        frameworks = [f.info for f in self.frameworks.values()]
        return {"executors": executors, "tasks": tasks, "frameworks": frameworks}

    def _on_master_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "REGISTERED":
            self._registered(event)
        elif kind == "RUN_TASK":
            self._spawn(
                self.run_task(event["framework_info"], event["task"], event.get("executor_info"))
            )
        elif kind == "RUN_TASK_GROUP":
            self._spawn(
                self.run_task_group(
                    event["framework_info"], event["executor_info"], event["task_group"]["tasks"]
                )
            )
        elif kind == "KILL_TASK":
            self.kill_task(
                value_of(event, "framework_id") or "",
                value_of(event, "task_id") or "",
                event.get("kill_policy"),
            )
        elif kind == "SHUTDOWN_EXECUTOR":
            run = self._executor(value_of(event, "framework_id"), value_of(event, "executor_id"))
            if run is not None:
                self._spawn(
                    self._shutdown_executor(
                        run, "REASON_EXECUTOR_TERMINATED", "Executor terminated"
                    )
                )
        elif kind == "SHUTDOWN_FRAMEWORK":
            self._spawn(self.shutdown_framework(value_of(event, "framework_id") or ""))
        elif kind == "ACKNOWLEDGE":
            self.acknowledge(
                value_of(event, "framework_id") or "",
                value_of(event, "task_id") or "",
                str(event.get("uuid", "")),
            )
        elif kind == "MESSAGE":
            run = self._executor(value_of(event, "framework_id"), value_of(event, "executor_id"))
            if run is None or run.stream is None:
                logger.warning(
                    "Dropping framework message for executor %s: not subscribed",
                    value_of(event, "executor_id"),
                )
            else:
                self.count("messages_received")
                run.stream.send({"type": "MESSAGE", "message": {"data": event.get("data", "")}})
        elif kind == "UPDATE_FRAMEWORK":
            info = event.get("framework_info", {})
            framework = self.frameworks.get(value_of(info, "id") or "")
            if framework is not None:
                framework.info = info
        elif kind == "PING":
            self._spawn(self._post_master({"type": "PONG"}))
        else:
            logger.warning("Ignoring unknown master event %r", kind)

    def _registered(self, event: dict[str, Any]) -> None:
        agent_id = value_of(event, "agent_id")
        if agent_id is None:
            return
        first = self.id is None
        self.id = agent_id
        self.master_info = event.get("master_info")
        self.registered = True
        self._last_link_failure = None
        checkpoint.checkpoint_info(self.config.work_dir, agent_id, self.agent_info())
        logger.info(
            "%s with master %s as agent %s",
            "Registered" if first else "Re-registered",
            self.master_address,
            agent_id,
        )
        self.updates.resume()

    async def _post_master(self, body: dict[str, Any]) -> bool:
        if self._session is None or self.master_address is None or not self.registered:
            return False
        try:
            async with self._session.post(
                f"http://{self.master_address}{AGENT_PATH}",
                json={**body, "agent_id": wrap(self.id or "")},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                if response.status != 202:
                    logger.warning(
                        "Master refused %s: %s %s",
                        body.get("type"),
                        response.status,
                        (await response.text()).strip(),
                    )
                    return False
                return True
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            logger.warning("Cannot send %s to the master: %s", body.get("type"), error)
            return False

    async def _forward_update(
        self, framework_id: str, status: dict[str, Any], latest_state: str
    ) -> bool:
        return await self._post_master(
            {
                "type": "STATUS_UPDATE",
                "update": {"framework_id": wrap(framework_id), "status": status},
                "latest_state": latest_state,
            }
        )

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1

    # ----- frameworks and executors -----
    def _executor(self, framework_id: str | None, executor_id: str | None) -> ExecutorRun | None:
        framework = self.frameworks.get(framework_id or "")
        return framework.executors.get(executor_id or "") if framework else None

    def _framework(self, info: dict[str, Any]) -> FrameworkRun:
        framework_id = value_of(info, "id") or ""
        framework = self.frameworks.get(framework_id)
        if framework is None:
            framework = self.frameworks[framework_id] = FrameworkRun(framework_id, info)
            self.completed_frameworks = [
                f for f in self.completed_frameworks if f.id != framework_id
            ]
        else:
            framework.info = info
        return framework

    def _command_executor_info(self, framework_id: str, task: dict[str, Any]) -> dict[str, Any]:
        task_id = value_of(task, "task_id") or ""
        return {
            "executor_id": wrap(task_id),
            "framework_id": wrap(framework_id),
            "name": f"Command Executor (Task: {task_id}) "
            f"(Command: {describe_command(task.get('command', {}))})",
            "source": task_id,
            "command": command_executor_command(),
            "resources": COMMAND_EXECUTOR_RESOURCES,
        }

    async def run_task(
        self,
        framework_info: dict[str, Any],
        task: dict[str, Any],
        executor_info: dict[str, Any] | None,
    ) -> None:
        framework = self._framework(framework_info)
        task_id = value_of(task, "task_id") or ""
        is_command = executor_info is None
        info = executor_info or self._command_executor_info(framework.id, task)
        executor_id = value_of(info, "executor_id") or ""
        run = framework.executors.get(executor_id)
        if run is None or run.terminating:
            run = await self._launch_executor(framework, info, is_command, [task_id])
            if run is None:
                self._fail_launch(framework, [task_id], executor_id)
                return
        if run.subscribed and run.stream is not None:
            run.launched_tasks[task_id] = task
            run.stream.send({"type": "LAUNCH", "launch": {"task": task}})
        else:
            run.queued_tasks[task_id] = task
        self._checkpoint_run(framework, run)

    async def run_task_group(
        self,
        framework_info: dict[str, Any],
        executor_info: dict[str, Any],
        tasks: list[dict[str, Any]],
    ) -> None:
        framework = self._framework(framework_info)
        executor_id = value_of(executor_info, "executor_id") or ""
        run = framework.executors.get(executor_id)
        task_ids = [value_of(t, "task_id") or "" for t in tasks]
        if run is None or run.terminating:
            run = await self._launch_executor(framework, executor_info, False, task_ids)
            if run is None:
                self._fail_launch(framework, task_ids, executor_id)
                return
        if run.subscribed and run.stream is not None:
            for task in tasks:
                run.launched_tasks[value_of(task, "task_id") or ""] = task
            run.stream.send(
                {"type": "LAUNCH_GROUP", "launch_group": {"task_group": {"tasks": tasks}}}
            )
        else:
            run.queued_groups.append(tasks)

    def _fail_launch(self, framework: FrameworkRun, task_ids: list[str], executor_id: str) -> None:
        for task_id in task_ids:
            self._agent_update(
                framework,
                task_id,
                executor_id,
                "TASK_FAILED",
                "REASON_CONTAINER_LAUNCH_FAILED",
                "Failed to launch container",
            )

    def _executor_user(self, framework: FrameworkRun, info: dict[str, Any]) -> str | None:
        if not self.config.switch_user or os.geteuid() != 0:
            return None
        user = info.get("command", {}).get("user") or framework.info.get("user")
        if not user or user == "root":
            return None
        return str(user)

    def _grace_period(self, run: ExecutorRun) -> float:
        """ExecutorInfo.shutdown_grace_period, else --executor_shutdown_grace_period."""
        period = run.info.get("shutdown_grace_period")
        if isinstance(period, dict) and isinstance(period.get("nanoseconds"), int):
            return float(period["nanoseconds"]) / 1e9
        return self.config.executor_shutdown_grace_period

    def _executor_environment(
        self, framework: FrameworkRun, run: ExecutorRun, is_command: bool
    ) -> dict[str, str]:
        base = dict(
            self.config.executor_environment_variables
            if self.config.executor_environment_variables is not None
            else os.environ
        )
        base.update(
            {
                "MESOS_FRAMEWORK_ID": framework.id,
                "MESOS_EXECUTOR_ID": run.executor_id,
                "MESOS_DIRECTORY": run.directory,
                "MESOS_SANDBOX": run.directory,
                "MESOS_AGENT_ENDPOINT": self.endpoint,
                "MESOS_SLAVE_ID": self.id or "",
                "MESOS_SLAVE_PID": self.pid,
                "MESOS_CHECKPOINT": "1" if framework.checkpoint else "0",
                "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": format_duration(self._grace_period(run)),
                "MESOS_HTTP_COMMAND_EXECUTOR": (
                    "1" if self.config.flags.get("http_command_executor") == "true" else "0"
                ),
                "LIBPROCESS_PORT": "0",
            }
        )
        if framework.checkpoint:
            base["MESOS_RECOVERY_TIMEOUT"] = format_duration(self.config.recovery_timeout)
            base["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = format_duration(
                self.config.executor_reregistration_timeout
            )
        base.update(command_environment(run.info.get("command", {})))
        return base

    async def _launch_executor(
        self, framework: FrameworkRun, info: dict[str, Any], is_command: bool, task_ids: list[str]
    ) -> ExecutorRun | None:
        executor_id = value_of(info, "executor_id") or ""
        container_id = new_uuid()
        directory = sandbox_path(
            self.config.work_dir, self.id or "", framework.id, executor_id, container_id
        )
        run = ExecutorRun(
            framework.id,
            executor_id,
            {**info, "framework_id": wrap(framework.id)},
            container_id,
            directory,
            is_command,
        )
        framework.executors[executor_id] = run
        user = self._executor_user(framework, info)
        try:
            if user is not None:
                try:
                    pwd.getpwnam(user)
                except KeyError:
                    raise LaunchError(f"Failed to get user information for '{user}'") from None
            make_sandbox(directory, user)
            # A DEFAULT executor (LAUNCH_GROUP) is the built-in one, as mesos-default-executor.
            builtin = info.get("type") == "DEFAULT"
            argv = command_argv(command_executor_command() if builtin else info.get("command", {}))
            environment = self._executor_environment(framework, run, is_command)
            run.process = await launch(argv, directory, environment, user)
        except (LaunchError, OSError) as error:
            logger.error(
                "Failed to launch executor %s of framework %s: %s", executor_id, framework.id, error
            )
            framework.executors.pop(executor_id, None)
            return None
        logger.info(
            "Launched executor '%s' of framework %s in %s (pid %d)",
            executor_id,
            framework.id,
            directory,
            run.process.pid,
        )
        self.count("executors_launched")
        self._checkpoint_run(framework, run)
        self._spawn(self._watch_executor(framework, run))
        loop = asyncio.get_running_loop()
        loop.call_later(self.config.executor_registration_timeout, self._registration_deadline, run)
        return run

    def _registration_deadline(self, run: ExecutorRun) -> None:
        timeout = format_duration(self.config.executor_registration_timeout)
        self._terminate_unsubscribed(
            run,
            "Terminating executor '%s' of framework %s because it did not register within %s",
            "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
            f"Executor did not register within {timeout}",
            timeout,
        )

    def _terminate_unsubscribed(
        self, run: ExecutorRun, log_format: str, reason: str, message: str, timeout: str
    ) -> None:
        """Kill an executor whose (re-)registration deadline passed before it subscribed;
        `log_format` takes the executor id, the framework id and the timeout."""
        if run.subscribed or run.terminating or run.process is None:
            return
        logger.warning(log_format, run.executor_id, run.framework_id, timeout)
        run.terminating = True
        run.termination = (reason, message)
        self._spawn(run.process.terminate(0.0))

    async def _watch_executor(self, framework: FrameworkRun, run: ExecutorRun) -> None:
        assert run.process is not None
        status = await run.process.wait()
        logger.info(
            "Executor '%s' of framework %s exited with status %s",
            run.executor_id,
            framework.id,
            "unknown" if status is None else status,
        )
        self._executor_terminated(framework, run, status)

    # ----- checkpointing and recovery (frameworks with checkpoint: true) -----
    def _checkpoint_run(self, framework: FrameworkRun, run: ExecutorRun) -> None:
        if not framework.checkpoint or self.id is None or run.process is None:
            return
        tasks = {
            task_id: {"task": task, "state": run.task_states.get(task_id, "TASK_STAGING")}
            for task_id, task in [*run.queued_tasks.items(), *run.launched_tasks.items()]
        }
        record = {
            "executor_id": run.executor_id,
            "container_id": run.container_id,
            "directory": run.directory,
            "pid": run.process.pid,
            "info": run.info,
            "command_executor": run.is_command_executor,
            "tasks": tasks,
        }
        try:
            checkpoint.checkpoint_run(self.config.work_dir, self.id, framework.info, record)
        except OSError as error:
            logger.error("Failed to checkpoint executor %s: %s", run.executor_id, error)

    def _persist_updates(
        self, framework_id: str, task_id: str, pending: list[dict[str, Any]]
    ) -> None:
        framework = self.frameworks.get(framework_id)
        if self.id is None or (framework is not None and not framework.checkpoint):
            return
        try:
            checkpoint.checkpoint_updates(
                self.config.work_dir, self.id, framework_id, task_id, pending
            )
        except OSError as error:
            logger.error("Failed to checkpoint status updates of task %s: %s", task_id, error)

    def recover(self) -> None:
        """Adopts the executors of checkpointing frameworks that outlived the last agent
        (those that do not re-subscribe in --executor_reregistration_timeout are killed) and
        queues their unacknowledged status updates again."""
        if self.id is None:
            return
        loop = asyncio.get_running_loop()
        for framework_info, pending in checkpoint.checkpointed_updates(
            self.config.work_dir, self.id
        ):
            framework = self._framework(framework_info)
            for status in pending:
                self.updates.update(framework.id, status)
        for framework_info, record in checkpoint.checkpointed_runs(self.config.work_dir, self.id):
            framework = self._framework(framework_info)
            run = ExecutorRun(
                framework.id,
                str(record["executor_id"]),
                record["info"],
                str(record["container_id"]),
                str(record["directory"]),
                bool(record.get("command_executor")),
            )
            for task_id, entry in record.get("tasks", {}).items():
                run.launched_tasks[task_id] = entry["task"]
                run.task_states[task_id] = entry["state"]
            process = adopt(int(record["pid"]), run.directory)
            if process is None:
                logger.info(
                    "Executor '%s' of framework %s terminated while the agent was down",
                    run.executor_id,
                    framework.id,
                )
                self._executor_terminated(framework, run, None)
                continue
            run.process = process
            framework.executors[run.executor_id] = run
            logger.info(
                "Recovered executor '%s' of framework %s (pid %d)",
                run.executor_id,
                framework.id,
                process.pid,
            )
            self._spawn(self._watch_executor(framework, run))
            loop.call_later(
                self.config.executor_reregistration_timeout, self._reregistration_deadline, run
            )

    def _reregistration_deadline(self, run: ExecutorRun) -> None:
        timeout = format_duration(self.config.executor_reregistration_timeout)
        self._terminate_unsubscribed(
            run,
            "Killing executor '%s' of framework %s: it did not re-register within %s",
            "REASON_EXECUTOR_REREGISTRATION_TIMEOUT",
            f"Executor did not re-register within {timeout}",
            timeout,
        )

    def _executor_terminated(
        self, framework: FrameworkRun, run: ExecutorRun, status: int | None
    ) -> None:
        if run.stream is not None:
            run.stream.close()
            run.stream = None
        framework_gone = framework.id not in self.frameworks
        reason, message = run.termination or ("REASON_EXECUTOR_TERMINATED", "Executor terminated")
        state = (
            "TASK_KILLED" if run.termination and run.termination[0] == "KILLED" else "TASK_FAILED"
        )
        if state == "TASK_KILLED":
            reason = "REASON_EXECUTOR_TERMINATED"
        if not framework_gone and not self._stopping:
            for task_id in run.live_task_ids():
                self._agent_update(framework, task_id, run.executor_id, state, reason, message, run)
        for group in run.queued_groups:
            for task in group:
                task_id = value_of(task, "task_id") or ""
                if not framework_gone and not self._stopping:
                    self._agent_update(
                        framework, task_id, run.executor_id, state, reason, message, run
                    )
        run.queued_tasks.clear()
        run.queued_groups.clear()
        if self.id is not None and not self._stopping:
            checkpoint.forget_run(
                self.config.work_dir, self.id, framework.id, run.executor_id, run.container_id
            )
        if framework.executors.get(run.executor_id) is run:
            del framework.executors[run.executor_id]
        framework.completed_executors.append(run)
        if not framework_gone and not self._stopping:
            self._spawn(
                self._post_master(
                    {
                        "type": "EXECUTOR_EXITED",
                        "framework_id": wrap(framework.id),
                        "executor_id": wrap(run.executor_id),
                        **({} if status is None else {"status": status}),
                    }
                )
            )
        if (
            not framework.executors
            and framework.id in self.frameworks
            and not self.updates.pending_of(framework.id)
        ):
            self._complete_framework(framework)

    def _complete_framework(self, framework: FrameworkRun) -> None:
        self.frameworks.pop(framework.id, None)
        self.completed_frameworks.append(framework)
        del self.completed_frameworks[:-50]

    def _agent_update(
        self,
        framework: FrameworkRun,
        task_id: str,
        executor_id: str,
        state: str,
        reason: str,
        message: str,
        run: ExecutorRun | None = None,
    ) -> None:
        status = {
            "task_id": wrap(task_id),
            "state": state,
            "source": "SOURCE_AGENT",
            "reason": reason,
            "message": message,
            "agent_id": wrap(self.id or ""),
            "executor_id": wrap(executor_id),
            "timestamp": now(),
            "uuid": b64(os.urandom(16)),
        }
        self.handle_status(framework.id, status, run)

    def handle_status(
        self, framework_id: str, status: dict[str, Any], run: ExecutorRun | None
    ) -> None:
        """An update from an executor (or the agent itself), to deliver reliably."""
        task_id = value_of(status, "task_id") or ""
        state = str(status.get("state", ""))
        if run is not None:
            if task_id in run.queued_tasks:
                run.launched_tasks[task_id] = run.queued_tasks.pop(task_id)
            run.task_states[task_id] = state
            if state in TERMINAL_STATES and task_id in run.launched_tasks:
                task = run.launched_tasks.pop(task_id)
                run.completed_tasks.append({**task, "state": state})
            framework = self.frameworks.get(framework_id)
            if framework is not None:
                self._checkpoint_run(framework, run)
        self.count("status_updates")
        self.updates.update(framework_id, status)

    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> None:
        acknowledged = self.updates.acknowledge(framework_id, task_id, uuid)
        if acknowledged is None:
            return
        executor_id = value_of(acknowledged, "executor_id")
        run = self._executor(framework_id, executor_id)
        if run is not None and run.stream is not None:
            run.stream.send(
                {"type": "ACKNOWLEDGED", "acknowledged": {"task_id": wrap(task_id), "uuid": uuid}}
            )
        framework = self.frameworks.get(framework_id)
        if (
            framework is not None
            and not framework.executors
            and not self.updates.pending_of(framework_id)
        ):
            self._complete_framework(framework)

    def kill_task(
        self, framework_id: str, task_id: str, kill_policy: dict[str, Any] | None
    ) -> None:
        framework = self.frameworks.get(framework_id)
        runs = list(framework.executors.values()) if framework else []
        for run in runs:
            if task_id in run.queued_tasks:
                run.queued_tasks.pop(task_id)
                assert framework is not None
                self._agent_update(
                    framework,
                    task_id,
                    run.executor_id,
                    "TASK_KILLED",
                    "REASON_TASK_KILLED_DURING_LAUNCH",
                    "Killed before delivery to the executor",
                    run,
                )
                if not run.live_task_ids() and not run.subscribed:
                    self._spawn(
                        self._shutdown_executor(
                            run, "REASON_EXECUTOR_TERMINATED", "Executor terminated"
                        )
                    )
                return
            if task_id in run.launched_tasks:
                if run.stream is not None:
                    kill: dict[str, Any] = {"task_id": wrap(task_id)}
                    if kill_policy:
                        kill["kill_policy"] = kill_policy
                    run.stream.send({"type": "KILL", "kill": kill})
                else:
                    self._spawn(self._shutdown_executor(run, "KILLED", "Task killed"))
                return
        logger.warning(
            "Cannot kill task %s of framework %s: no executor runs it", task_id, framework_id
        )
        if framework is not None:
            state = "TASK_DROPPED" if is_partition_aware(framework.info) else "TASK_LOST"
            self._agent_update(
                framework, task_id, "", state, "REASON_EXECUTOR_TERMINATED", "Cannot find executor"
            )

    async def _shutdown_executor(
        self, run: ExecutorRun, reason: str, message: str, notify: bool = True
    ) -> None:
        if run.process is None:
            return
        if run.termination is None:
            run.termination = (reason, message)
        run.terminating = True
        if run.stream is not None:
            run.stream.send({"type": "SHUTDOWN"})
            await run.process.terminate(self._grace_period(run))
        else:
            await run.process.terminate(0.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(run.process.wait(), timeout=10)

    async def shutdown_framework(self, framework_id: str) -> None:
        framework = self.frameworks.pop(framework_id, None)
        self.updates.drop_framework(framework_id)
        if framework is None:
            return
        logger.info("Shutting down framework %s", framework_id)
        await asyncio.gather(
            *(
                self._shutdown_executor(run, "REASON_EXECUTOR_TERMINATED", "Framework removed")
                for run in list(framework.executors.values())
            ),
            return_exceptions=True,
        )
        self.completed_frameworks.append(framework)

    # ----- executor API -----
    def executor_subscribed(self, run: ExecutorRun, stream: Any) -> None:
        framework = self.frameworks[run.framework_id]
        if run.stream is not None and run.stream is not stream:
            run.stream.close()
        run.stream = stream
        run.subscribed = True
        stream.send(
            {
                "type": "SUBSCRIBED",
                "subscribed": {
                    "executor_info": run.info,
                    "framework_info": framework.info,
                    "agent_info": self.agent_info(),
                    "container_id": wrap(run.container_id),
                },
            }
        )
        for task_id, task in list(run.queued_tasks.items()):
            run.launched_tasks[task_id] = run.queued_tasks.pop(task_id)
            stream.send({"type": "LAUNCH", "launch": {"task": task}})
        for group in run.queued_groups:
            for task in group:
                run.launched_tasks[value_of(task, "task_id") or ""] = task
            stream.send({"type": "LAUNCH_GROUP", "launch_group": {"task_group": {"tasks": group}}})
        run.queued_groups.clear()
        logger.info("Executor '%s' of framework %s subscribed", run.executor_id, framework.id)

    def executor_unsubscribed(self, run: ExecutorRun, stream: Any) -> None:
        if run.stream is stream:
            run.stream = None

    async def executor_message(self, run: ExecutorRun, data: str) -> None:
        self.count("messages_sent")
        await self._post_master(
            {
                "type": "MESSAGE",
                "framework_id": wrap(run.framework_id),
                "executor_id": wrap(run.executor_id),
                "data": data,
            }
        )
