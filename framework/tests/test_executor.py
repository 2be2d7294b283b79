"""The executor's task handling, with a recording executor driver (no agent needed)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any

import pytest
from probe_command import module_argv, run_argv
from pymesos import decode_data

from mesos_probe.agent_host.executor import ProbeExecutor
from mesos_probe.agent_host.probe import agent_probe
from mesos_probe.task_spec import TaskSpec, decode_result_message

AGENT_INFO = {"hostname": "agent-7.example", "id": {"value": "agent-7"}}


class RecordingExecutorDriver:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self.lock = threading.Lock()

    def sendStatusUpdate(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(dict(update))

    def sendFrameworkMessage(self, data: str) -> None:
        with self.lock:
            self.messages.append(data)

    def states(self) -> list[str]:
        with self.lock:
            return [u["state"] for u in self.updates]

    def wait_for(self, state: str, timeout: float = 10.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                for update in self.updates:
                    if update["state"] == state:
                        return update
            time.sleep(0.02)
        raise AssertionError(f"no {state}; got {self.states()}")


def launch(
    command: str | None = None, data: str | None = None, hold: float = 0.0
) -> tuple[ProbeExecutor, RecordingExecutorDriver]:
    executor = ProbeExecutor()
    driver = RecordingExecutorDriver()
    executor.registered(driver, {}, {}, AGENT_INFO)
    task = {
        "task_id": {"value": "t-1"},
        "agent_id": {"value": "agent-7"},
        "data": data
        if data is not None
        else TaskSpec("run", 1, command=command, hold=hold).encode(),
    }
    executor.launchTask(driver, task)
    return executor, driver


def _read_or_none(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read().strip() or None
    except OSError:
        return None


def test_probe_reports_what_only_its_host_can_tell(monkeypatch: pytest.MonkeyPatch) -> None:
    # The agent id comes from the environment the agent gave the executor, not from the
    # TaskInfo the scheduler wrote (agent-7): the two differ here on purpose.
    monkeypatch.delenv("MESOS_AGENT_ID", raising=False)
    monkeypatch.setenv("MESOS_SLAVE_ID", "agent-7-from-env")
    monkeypatch.setenv("MESOS_SANDBOX", "/sandbox/of/t-1")
    _, driver = launch()
    result = json.loads(decode_data(driver.wait_for("TASK_FINISHED")["data"]).decode())
    assert result["env_agent_id"] == "agent-7-from-env"
    assert result["agent_id"] == "agent-7"
    assert result["os_hostname"] == socket.gethostname()
    assert result["sandbox"] == "/sandbox/of/t-1"
    assert result["machine_id"] == _read_or_none("/etc/machine-id")
    assert result["boot_id"] == _read_or_none("/proc/sys/kernel/random/boot_id")
    assert result["boot_id"], "a Linux kernel always has a boot id"


def test_probe_prefers_mesos_agent_id_and_says_null_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MESOS_AGENT_ID", "new-style")
    monkeypatch.setenv("MESOS_SLAVE_ID", "old-style")
    assert agent_probe(AGENT_INFO, "agent-7")["env_agent_id"] == "new-style"
    monkeypatch.delenv("MESOS_AGENT_ID")
    monkeypatch.delenv("MESOS_SLAVE_ID")
    assert agent_probe(AGENT_INFO, "agent-7")["env_agent_id"] is None


def test_command_result_carries_the_agent_id_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MESOS_AGENT_ID", raising=False)
    monkeypatch.setenv("MESOS_SLAVE_ID", "agent-7-from-env")
    _, driver = launch(command="true")
    result = json.loads(decode_data(driver.wait_for("TASK_FINISHED")["data"]).decode())
    assert (result["env_agent_id"], result["hostname"]) == ("agent-7-from-env", "agent-7.example")


def test_probe_reports_starting_running_then_finished_with_the_result() -> None:
    executor, driver = launch()
    finished = driver.wait_for("TASK_FINISHED")
    assert driver.states() == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    result = json.loads(decode_data(finished["data"]).decode())
    assert result["hostname"] == "agent-7.example"
    assert result["agent_id"] == "agent-7"
    assert result["cpus"] == os.cpu_count()
    assert result["python"]["version"].count(".") == 2
    assert result["kernel"] and len(result["load"]) == 3
    # The same result went out as a framework message, tagged with the task.
    assert decode_result_message(driver.messages[0]) == ("t-1", json.dumps(result, sort_keys=True))
    assert len({u["uuid"] for u in driver.updates}) == 3
    assert executor.runs["t-1"].final_uuid == finished["uuid"]


def test_command_output_and_exit_code_are_the_result() -> None:
    _, driver = launch(command="echo hello; echo warn >&2")
    finished = driver.wait_for("TASK_FINISHED")
    result = json.loads(decode_data(finished["data"]).decode())
    assert result["stdout"] == "hello\n"
    assert result["exit_code"] == 0
    assert result["hostname"] == "agent-7.example"


def test_failing_command_is_task_failed_with_its_message() -> None:
    _, driver = launch(command="echo nope >&2; exit 3")
    failed = driver.wait_for("TASK_FAILED")
    assert failed["message"] == "Command exited with status 3: nope"
    assert json.loads(decode_data(failed["data"]).decode())["exit_code"] == 3
    assert "TASK_FINISHED" not in driver.states()


def test_hold_keeps_the_probe_running_that_long() -> None:
    started = time.monotonic()
    _, driver = launch(hold=0.6)
    driver.wait_for("TASK_RUNNING")
    assert "TASK_FINISHED" not in driver.states()
    driver.wait_for("TASK_FINISHED")
    assert time.monotonic() - started >= 0.6


def test_kill_ends_a_hold_at_once() -> None:
    executor, driver = launch(hold=30)
    driver.wait_for("TASK_RUNNING")
    started = time.monotonic()
    executor.killTask(driver, {"value": "t-1"})
    driver.wait_for("TASK_KILLED", timeout=5)
    assert time.monotonic() - started < 2
    assert "TASK_FINISHED" not in driver.states()


def test_kill_stops_a_running_command() -> None:
    executor, driver = launch(command="sleep 30")
    driver.wait_for("TASK_RUNNING")
    time.sleep(0.2)
    started = time.monotonic()
    executor.killTask(driver, {"value": "t-1"})
    driver.wait_for("TASK_KILLED", timeout=8)
    assert time.monotonic() - started < 5


def test_shutdown_kills_tasks_and_stops() -> None:
    executor, driver = launch(command="sleep 30")
    driver.wait_for("TASK_RUNNING")
    time.sleep(0.2)
    executor.shutdown(driver)
    assert executor.stopping.is_set()
    driver.wait_for("TASK_KILLED", timeout=8)


def test_task_without_a_spec_fails_with_the_error_text() -> None:
    _, driver = launch(data="")
    failed = driver.wait_for("TASK_FAILED")
    assert "not launched by mesos-probe" in failed["message"]


def test_acknowledgement_of_the_final_update_is_recognised() -> None:
    executor, driver = launch()
    finished = driver.wait_for("TASK_FINISHED")
    running = driver.wait_for("TASK_RUNNING")
    executor.note_acknowledged("t-1", running["uuid"])
    assert not executor.all_ended_and_acknowledged()
    executor.note_acknowledged("t-1", finished["uuid"])
    assert executor.all_ended_and_acknowledged()


def test_module_refuses_to_run_outside_an_agent() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESOS_")}
    done = run_argv(module_argv("mesos_probe.agent_host.executor"), env=env)
    assert done.returncode == 2
    assert "MESOS_AGENT_ENDPOINT" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("data", ["bm90IGpzb24=", "e30="])  # "not json", "{}"
def test_garbage_task_data_is_rejected(data: str) -> None:
    with pytest.raises(ValueError, match="task spec"):
        TaskSpec.decode(data)
