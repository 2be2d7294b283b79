"""CommandInfo as a process: argv and environment (standard library only, for the
command executor's start-up time)."""

from __future__ import annotations

from typing import Any


class LaunchError(Exception):
    pass


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
