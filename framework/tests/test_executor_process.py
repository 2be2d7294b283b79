"""`python -m mesos_probe.agent_host.executor` as a real process, talking to a scripted agent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fake_agent import FakeAgent
from pymesos import decode_data

from mesos_probe.task_spec import TaskSpec, decode_result_message


def start_executor(agent: FakeAgent, sandbox: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "MESOS_AGENT_ENDPOINT": agent.address,
        "MESOS_FRAMEWORK_ID": "fw-1",
        "MESOS_EXECUTOR_ID": "t-1",
        "MESOS_CHECKPOINT": "1",
        "MESOS_SANDBOX": str(sandbox),
        "MESOS_DIRECTORY": str(sandbox),
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "5secs",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mesos_probe.agent_host.executor"],
        env=env,
        cwd=sandbox,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def task(command: str | None = None) -> dict:
    return {
        "task_id": {"value": "t-1"},
        "agent_id": {"value": "agent-9"},
        "name": "probe",
        "data": TaskSpec("run-1", 1, command=command).encode(),
    }


def test_probe_runs_reports_and_exits_once_acknowledged(tmp_path: Path) -> None:
    agent = FakeAgent(task())
    try:
        process = start_executor(agent, tmp_path)
        _, stderr = process.communicate(timeout=30)
    finally:
        agent.close()
    assert process.returncode == 0, stderr
    assert agent.states() == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    result = json.loads(decode_data(agent.updates[-1]["data"]).decode())
    assert result["hostname"] == "agent-9.test"
    assert result["agent_id"] == "agent-9"
    assert result["sandbox"] == str(tmp_path)
    assert decode_result_message(agent.messages[0]["data"])[0] == "t-1"


def test_kill_from_the_agent_ends_the_command_as_task_killed(tmp_path: Path) -> None:
    agent = FakeAgent(task(command="sleep 60"))
    try:
        process = start_executor(agent, tmp_path)
        deadline = time.monotonic() + 20
        while "TASK_RUNNING" not in agent.states() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        agent.kill("t-1")
        _, stderr = process.communicate(timeout=30)
    finally:
        agent.close()
    assert process.returncode == 0, stderr
    assert agent.states()[-1] == "TASK_KILLED"
