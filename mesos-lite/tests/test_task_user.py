"""Issue 16, item 2: the user a command task runs as is the one the master's run_tasks ACL
approved: TaskInfo.command.user, then ExecutorInfo.command.user, then FrameworkInfo.user
(the switched process's groups: test_sandbox_security.py)."""

from __future__ import annotations

from mesos_lite.agent.containers import command_executor_command
from mesos_lite.authorization import task_user


def test_command_executor_takes_the_tasks_user() -> None:
    """Mesos's Slave::getExecutorInfo: the command executor of a task with
    command.user runs as that user (the agent's _command_executor_info passes the task)."""
    task = {"command": {"value": "true", "user": "nobody"}}
    assert command_executor_command(task)["user"] == "nobody"
    assert "user" not in command_executor_command({"command": {"value": "true"}})
    assert "user" not in command_executor_command()


def test_the_master_checks_the_same_user_the_agent_runs() -> None:
    task = {"command": {"value": "true", "user": "nobody"}}
    executor_info = {"executor_id": {"value": "e"}, "command": command_executor_command(task)}
    framework_user = "root"
    assert task_user(task, framework_user) == "nobody"
    assert executor_info["command"].get("user", framework_user) == "nobody"
    custom = {"executor": {"command": {"value": "x", "user": "daemon"}}}
    assert task_user(custom, framework_user) == "daemon"
    assert task_user({"command": {"value": "true"}}, framework_user) == "root"
