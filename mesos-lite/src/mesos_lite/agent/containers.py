"""Sandboxes and executor processes, laid out and started as the Mesos containerizer does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
import shlex
import signal
import sys
from dataclasses import dataclass
from typing import Any

from mesos_lite.commands import LaunchError, command_argv, command_environment, user_switch
from mesos_lite.ids import UnsafePathError, contained_path

logger = logging.getLogger(__name__)

__all__ = ["LaunchError", "command_argv", "command_environment"]


def sandbox_path(
    work_dir: str, agent_id: str, framework_id: str, executor_id: str, container_id: str
) -> str:
    return os.path.join(
        work_dir,
        "slaves",
        agent_id,
        "frameworks",
        framework_id,
        "executors",
        executor_id,
        "runs",
        container_id,
    )


# The fixed names of a sandbox path below --work_dir, between its ids.
_SANDBOX_LAYOUT = ("slaves", "frameworks", "executors", "runs")


def check_sandbox_path(path: str) -> str:
    """The --work_dir of a sandbox path if every id in it is one valid path component (Mesos's
    validateID) and nothing resolves outside --work_dir; LaunchError otherwise."""
    parts = path.split(os.sep)
    if len(parts) < 9 or tuple(parts[-8::2]) != _SANDBOX_LAYOUT:
        raise LaunchError(f"Refusing sandbox path {path!r}: an id holds a path separator")
    work_dir = os.sep.join(parts[:-8]) or os.sep
    try:
        contained_path(work_dir, *parts[-8:])
    except UnsafePathError as error:
        raise LaunchError(str(error)) from None
    return work_dir


def make_sandbox(path: str, user: str | None) -> None:
    work_dir = check_sandbox_path(path)
    os.makedirs(path, exist_ok=True)
    # Defence in depth: a directory on the way that is a symlink must not lead outside.
    root = os.path.realpath(work_dir)
    if not os.path.realpath(path).startswith(root + os.sep):
        raise LaunchError(f"Refusing sandbox {path!r}: it resolves outside {work_dir!r}")
    for name in ("stdout", "stderr"):
        open(os.path.join(path, name), "ab").close()
    latest = os.path.join(os.path.dirname(path), "latest")
    temporary = latest + ".tmp"
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(os.path.basename(path), temporary)
    os.replace(temporary, latest)
    if user is not None:
        entry = pwd.getpwnam(user)
        for item in (path, os.path.join(path, "stdout"), os.path.join(path, "stderr")):
            os.chown(item, entry.pw_uid, entry.pw_gid)


def command_executor_command(task: dict[str, Any] | None = None) -> dict[str, Any]:
    """How the agent runs its built-in command executor (Mesos: `mesos-executor`) for `task`:
    as the task's CommandInfo.user when it names one (Mesos's Slave::getExecutorInfo), so
    the executor and its task run as the user the master's run_tasks ACL approved."""
    command: dict[str, Any] = {
        "shell": False,
        "value": sys.executable,
        "arguments": [sys.executable, "-m", "mesos_lite.command_executor"],
    }
    task_command = task.get("command") if task is not None else None
    if isinstance(task_command, dict) and isinstance(task_command.get("user"), str):
        command["user"] = task_command["user"]
    return command


def describe_command(command: dict[str, Any]) -> str:
    if command.get("shell", True):
        return "sh -c '" + str(command.get("value", "")) + "'"
    return shlex.join([str(a) for a in command.get("arguments", [])] or [command.get("value", "")])


@dataclass
class Process:
    process: asyncio.subprocess.Process

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def wait(self) -> int:
        """The wait status as Mesos reports it (exit code << 8, or the signal number)."""
        code = await self.process.wait()
        return -code if code < 0 else code << 8

    def signal_group(self, signum: int) -> None:
        """Signals every process of the executor's session (its container, for the posix
        launcher), including process groups its children made."""
        for pid in {self.process.pid, *session_members(self.process.pid)}:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
            except PermissionError:
                logger.warning("Not allowed to signal process %d", pid)

    async def terminate(self, grace: float) -> None:
        if self.process.returncode is not None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(self.process.wait()), timeout=grace)
        except TimeoutError:
            self.signal_group(signal.SIGKILL)


def session_members(session_id: int) -> list[int]:
    """Pids whose session is `session_id` (field 6 of /proc/<pid>/stat)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if len(fields) > 3 and int(fields[3]) == session_id:
            members.append(int(entry))
    return members


class AdoptedProcess:
    """An executor started by an earlier incarnation of this agent (not our child: its exit
    status cannot be known, only that it is gone)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def alive(self) -> bool:
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii", errors="replace") as handle:
                return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    async def wait(self) -> int | None:
        while self.alive():
            await asyncio.sleep(0.5)
        return None

    @property
    def returncode(self) -> int | None:
        return None if self.alive() else 0

    def signal_group(self, signum: int) -> None:
        for pid in {self.pid, *session_members(self.pid)}:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)

    async def terminate(self, grace: float) -> None:
        if not self.alive():
            return
        self.signal_group(signal.SIGTERM)
        deadline = asyncio.get_running_loop().time() + grace
        while self.alive() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        if self.alive():
            self.signal_group(signal.SIGKILL)


def adopt(pid: int, sandbox: str) -> AdoptedProcess | None:
    """The executor `pid` if it still runs in `sandbox` (pids are reused)."""
    process = AdoptedProcess(pid)
    try:
        if process.alive() and os.readlink(f"/proc/{pid}/cwd") == sandbox:
            return process
    except OSError:
        pass
    return None


async def launch(
    argv: list[str], sandbox: str, environment: dict[str, str], user: str | None
) -> Process:
    """Starts argv in its own session (so its process group can be killed as a whole)."""
    kwargs: dict[str, Any] = {}
    if user is not None:
        kwargs, variables = user_switch(user)
        environment = {**environment, **variables}
    try:
        stdout = open(os.path.join(sandbox, "stdout"), "ab")  # noqa: SIM115
        stderr = open(os.path.join(sandbox, "stderr"), "ab")  # noqa: SIM115
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=sandbox,
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
                **kwargs,
            )
        finally:
            stdout.close()
            stderr.close()
    except (OSError, ValueError) as error:
        raise LaunchError(f"Failed to launch {argv[0]}: {error}") from None
    return Process(process)
