"""The containerizer: starts an executor for a framework in a fresh sandbox, as the user it
runs as, with the Mesos executor environment; enforces its (re-)registration deadline;
waits for it to exit; shuts it down (grace period, then kill). A task without an executor
runs under the built-in command executor, a task group under the default executor.

The sandbox layout and the processes themselves (sessions, signals) are in `containers.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
from typing import Any

from mesos_lite.agent.containers import (
    LaunchError,
    command_argv,
    command_environment,
    command_executor_command,
    describe_command,
    launch,
    make_sandbox,
    sandbox_path,
)
from mesos_lite.agent.model import ExecutorRun, FrameworkRun
from mesos_lite.agent.state import AgentState
from mesos_lite.authorization import executor_user
from mesos_lite.commands import EXECUTOR_USER_VARIABLE
from mesos_lite.durations import format_duration
from mesos_lite.ids import new_uuid
from mesos_lite.protocol import value_of, wrap

logger = logging.getLogger(__name__)

# Mesos gives the command executor this much on top of its task's resources.
COMMAND_EXECUTOR_RESOURCES = [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}, "role": "*"},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 32.0}, "role": "*"},
]


def command_executor_info(framework_id: str, task: dict[str, Any]) -> dict[str, Any]:
    """The ExecutorInfo of the command executor that runs `task` (a task with no executor)."""
    task_id = value_of(task, "task_id") or ""
    return {
        "executor_id": wrap(task_id),
        "framework_id": wrap(framework_id),
        "name": f"Command Executor (Task: {task_id}) "
        f"(Command: {describe_command(task.get('command', {}))})",
        "source": task_id,
        "command": command_executor_command(task),
        "resources": COMMAND_EXECUTOR_RESOURCES,
    }


class Containerizer:
    def __init__(self, state: AgentState) -> None:
        self._state = state

    async def launch(
        self, framework: FrameworkRun, info: dict[str, Any], is_command: bool
    ) -> ExecutorRun | None:
        """Starts the executor of `info` and adds it to the framework; None (logged) if it
        cannot be started. It must subscribe within --executor_registration_timeout."""
        state = self._state
        executor_id = value_of(info, "executor_id") or ""
        container_id = new_uuid()
        directory = sandbox_path(
            state.config.work_dir, state.id or "", framework.id, executor_id, container_id
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
        user = self._user(framework, info)
        try:
            if user is not None:
                try:
                    pwd.getpwnam(user)
                except KeyError:
                    raise LaunchError(f"Failed to get user information for '{user}'") from None
            make_sandbox(directory, user)
            # A DEFAULT executor (LAUNCH_GROUP) is the built-in one, as mesos-default-executor.
            default = info.get("type") == "DEFAULT"
            argv = command_argv(command_executor_command() if default else info.get("command", {}))
            environment = self._environment(framework, run)
            process_user = user
            if (default or is_command) and self._switching():
                # The built-in executors switch each task to its own user themselves.
                environment[EXECUTOR_USER_VARIABLE] = self._executor_user(framework, info)
                process_user = None
            run.process = await launch(argv, directory, environment, process_user)
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
        state.count("executors_launched")
        asyncio.get_running_loop().call_later(
            state.config.executor_registration_timeout, self._registration_deadline, run
        )
        return run

    def expect_reregistration(self, run: ExecutorRun) -> None:
        """A recovered executor must subscribe again within --executor_reregistration_timeout."""
        asyncio.get_running_loop().call_later(
            self._state.config.executor_reregistration_timeout, self._reregistration_deadline, run
        )

    async def wait(self, run: ExecutorRun) -> int | None:
        """The executor's wait status when it exits (None if it was not the agent's child)."""
        assert run.process is not None
        status = await run.process.wait()
        logger.info(
            "Executor '%s' of framework %s exited with status %s",
            run.executor_id,
            run.framework_id,
            "unknown" if status is None else status,
        )
        return status

    async def shutdown(self, run: ExecutorRun, reason: str, message: str) -> None:
        """Asks a subscribed executor to shut down and kills it after its grace period (at once
        if it is not subscribed); `reason` and `message` go into its tasks' final updates."""
        if run.process is None:
            return
        if run.termination is None:
            run.termination = (reason, message)
        run.terminating = True
        if run.stream is not None:
            run.stream.send({"type": "SHUTDOWN"})
            await run.process.terminate(self.grace_period(run))
        else:
            await run.process.terminate(0.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(run.process.wait(), timeout=10)

    def status(self, run: ExecutorRun) -> dict[str, Any] | None:
        """The ContainerStatus of the executor's container while it runs (as
        MesosContainerizer::status: its id and the executor's pid; the host-network
        container's address is the agent's, as Slave::_statusUpdate fills it in); None
        once it has exited, as for a destroyed container."""
        process = run.process
        if process is None or process.returncode is not None:
            return None
        return {
            "container_id": wrap(run.container_id),
            "executor_pid": process.pid,
            "network_infos": [
                {"ip_addresses": [{"ip_address": self._state.config.advertise_ip}]}
            ],
        }

    def grace_period(self, run: ExecutorRun) -> float:
        """ExecutorInfo.shutdown_grace_period, else --executor_shutdown_grace_period."""
        period = run.info.get("shutdown_grace_period")
        if isinstance(period, dict) and isinstance(period.get("nanoseconds"), int):
            return float(period["nanoseconds"]) / 1e9
        return self._state.config.executor_shutdown_grace_period

    def _switching(self) -> bool:
        """Whether tasks run as their users: with --switch_user, when the agent is root."""
        return bool(self._state.config.switch_user) and os.geteuid() == 0

    @staticmethod
    def _executor_user(framework: FrameworkRun, info: dict[str, Any]) -> str:
        """ExecutorInfo.command.user, else FrameworkInfo.user (Mesos's resolution)."""
        return executor_user(info, str(framework.info.get("user") or "root")) or "root"

    def _user(self, framework: FrameworkRun, info: dict[str, Any]) -> str | None:
        """The user the executor runs as: only switched to with --switch_user, as root."""
        if not self._switching():
            return None
        user = self._executor_user(framework, info)
        return None if user == "root" else user

    def _environment(self, framework: FrameworkRun, run: ExecutorRun) -> dict[str, str]:
        state = self._state
        config = state.config
        base = dict(
            config.executor_environment_variables
            if config.executor_environment_variables is not None
            else os.environ
        )
        base.update(
            {
                "MESOS_FRAMEWORK_ID": framework.id,
                "MESOS_EXECUTOR_ID": run.executor_id,
                "MESOS_DIRECTORY": run.directory,
                "MESOS_SANDBOX": run.directory,
                "MESOS_AGENT_ENDPOINT": state.endpoint,
                "MESOS_SLAVE_ID": state.id or "",
                "MESOS_SLAVE_PID": state.pid,
                "MESOS_CHECKPOINT": "1" if framework.checkpoint else "0",
                "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": format_duration(self.grace_period(run)),
                "MESOS_HTTP_COMMAND_EXECUTOR": (
                    "1" if config.flags.get("http_command_executor") == "true" else "0"
                ),
                "LIBPROCESS_PORT": "0",
            }
        )
        if framework.checkpoint:
            base["MESOS_RECOVERY_TIMEOUT"] = format_duration(config.recovery_timeout)
            base["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = format_duration(
                config.executor_reregistration_timeout
            )
        base.update(command_environment(run.info.get("command", {})))
        return base

    def _registration_deadline(self, run: ExecutorRun) -> None:
        timeout = format_duration(self._state.config.executor_registration_timeout)
        self._terminate_unsubscribed(
            run,
            "Terminating executor '%s' of framework %s because it did not register within %s",
            "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
            f"Executor did not register within {timeout}",
            timeout,
        )

    def _reregistration_deadline(self, run: ExecutorRun) -> None:
        timeout = format_duration(self._state.config.executor_reregistration_timeout)
        self._terminate_unsubscribed(
            run,
            "Killing executor '%s' of framework %s: it did not re-register within %s",
            "REASON_EXECUTOR_REREGISTRATION_TIMEOUT",
            f"Executor did not re-register within {timeout}",
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
        self._state.spawn(run.process.terminate(0.0))
