"""CommandInfo as a process: argv and environment (standard library only, for the
command executor's start-up time)."""

from __future__ import annotations

import os
import pwd
from typing import Any

# Set by the agent for its built-in executors when it switches users (--switch_user, as
# root): the user the executor's tasks run as unless their CommandInfo names another. The
# built-in executors start as the agent's user and drop to each task's user right before
# its command, as Mesos's launch helper (mesos-containerizer launch) does.
EXECUTOR_USER_VARIABLE = "MESOS_LITE_EXECUTOR_USER"


class LaunchError(Exception):
    pass


def user_switch(user: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The subprocess arguments and environment that start a process as `user`, as Mesos's
    os::su: its uid, its primary group and its own supplementary groups (initgroups(3), none
    of the starting process's), HOME and USER. LaunchError for an unknown user."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise LaunchError(f"Failed to get user information for '{user}'") from None
    arguments = {
        "user": entry.pw_uid,
        "group": entry.pw_gid,
        "extra_groups": os.getgrouplist(user, entry.pw_gid),
    }
    return arguments, {"USER": user, "HOME": entry.pw_dir}


def command_argv(command: dict[str, Any]) -> list[str]:
    """The argv of a CommandInfo: `sh -c value` when shell (the default), else value+arguments."""
    value = command.get("value")
    shell = command.get("shell", True)
    if shell and not isinstance(value, str):
        raise LaunchError("CommandInfo has no 'value' to run with the shell")
    if shell:
        return ["/bin/sh", "-c", str(value)]
    arguments = [str(a) for a in command.get("arguments", [])]
    if not isinstance(value, str):
        raise LaunchError("CommandInfo has no 'value' (the program to run)")
    return [value, *arguments[1:]] if arguments else [value]


def command_environment(command: dict[str, Any]) -> dict[str, str]:
    variables: dict[str, str] = {}
    environment = command.get("environment") or {}
    for variable in environment.get("variables", []) if isinstance(environment, dict) else []:
        if (
            isinstance(variable, dict)
            and isinstance(variable.get("name"), str)
            and variable.get("type", "VALUE") == "VALUE"
        ):
            variables[variable["name"]] = str(variable.get("value", ""))
    return variables
