"""mesos-probe against a real cluster: a loopback mesos-lite (1 master + 3 agents as real
processes), or the cluster at MESOS_MASTER_URL (e.g. an Apache Mesos 1.11) when set."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from mesos_lite.testing import (
    ExternalCluster,
    LoopbackCluster,
    cluster_available,
    skip_or_fail,
    wait_for_running_tasks,
)
from probe_command import run_probe, run_submit

pytestmark = pytest.mark.integration

MASTER_URL = os.environ.get("MESOS_MASTER_URL")
if not MASTER_URL and not cluster_available():
    skip_or_fail("mesos-lite is not installed and MESOS_MASTER_URL is not set")


def submit(cluster: ExternalCluster, *flags: str, timeout: float = 60) -> tuple[int, dict, str]:
    done = run_submit(cluster.master, "--json", *flags, timeout=timeout)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"no JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.returncode, report, done.stderr


@pytest.fixture(scope="module")
def cluster() -> Iterator[ExternalCluster]:
    with LoopbackCluster.maybe(MASTER_URL, agents=3) as running:
        yield running


def test_one_finished_task_and_result_per_agent(cluster: ExternalCluster) -> None:
    agents = {a["id"]: a["hostname"] for a in cluster.active_agents()}
    code, report, stderr = submit(cluster)
    assert code == 0, stderr
    rows = report["agents"]
    assert sorted(row["agent_id"] for row in rows) == sorted(agents)
    for row in rows:
        assert row["state"] == "TASK_FINISHED"
        assert row["attempts"] == 1
        assert row["hostname"] == agents[row["agent_id"]]
        probe = json.loads(row["result"])
        assert probe["hostname"] == row["hostname"]
        assert probe["agent_id"] == row["agent_id"]
        assert probe["cpus"] >= 1 and probe["python"]["version"]
    assert report["summary"] == {
        **report["summary"],
        "expected": len(agents),
        "finished": len(agents),
        "failed": 0,
    }
    # The master saw exactly one finished task per agent for this framework, and no other.
    tasks = cluster.tasks_of(report["framework_id"])
    finished = [t for t in tasks if t.get("state") == "TASK_FINISHED"]
    assert sorted(t["slave_id"] for t in finished) == sorted(agents)
    assert len(tasks) == len(agents), tasks


def test_table_output_has_one_finished_row_per_agent(cluster: ExternalCluster) -> None:
    done = run_submit(cluster.master, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["AGENT", "HOSTNAME", "STATE"]
    assert sum("TASK_FINISHED" in line for line in lines) == cluster.agent_count
    assert f"{cluster.agent_count} of {cluster.agent_count} agents finished" in done.stdout


def test_task_that_fails_twice_then_succeeds(cluster: ExternalCluster) -> None:
    # A counter per run and agent: attempts 1 and 2 exit 1, attempt 3 succeeds.
    counter = f"/tmp/mesos-probe-test-{uuid.uuid4().hex}"
    command = (
        f'f="{counter}-$(echo "$MESOS_AGENT_ENDPOINT" | tr -c "a-zA-Z0-9" _)"; '
        'n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$f"; '
        'if [ "$n" -lt 3 ]; then echo "attempt $n fails" >&2; exit 1; fi; echo "ok after $n"'
    )
    try:
        code, report, stderr = submit(cluster, "--command", command, "--max-attempts", "3")
    finally:
        for leftover in os.listdir("/tmp"):
            if leftover.startswith(os.path.basename(counter)):
                os.unlink(os.path.join("/tmp", leftover))
    assert code == 0, stderr
    for row in report["agents"]:
        assert row["state"] == "TASK_FINISHED" and row["attempts"] == 3
        assert json.loads(row["result"])["stdout"] == "ok after 3\n"
        assert [f["state"] for f in row["failures"]] == ["TASK_FAILED", "TASK_FAILED"]
        assert [f["message"] for f in row["failures"]] == [
            "Command exited with status 1: attempt 1 fails",
            "Command exited with status 1: attempt 2 fails",
        ]


def test_exhausted_attempts_fail_the_run_and_name_each_agent(cluster: ExternalCluster) -> None:
    code, report, stderr = submit(
        cluster, "--command", "echo broken >&2; exit 7", "--max-attempts", "2"
    )
    assert code == 1
    assert report["summary"]["finished"] == 0
    failed = {a["agent_id"] for a in report["summary"]["failed_agents"]}
    assert failed == {a["id"] for a in cluster.active_agents()}
    assert all(row["attempts"] == 2 for row in report["agents"])
    assert "Command exited with status 7: broken" in stderr


@pytest.mark.usefixtures("local_only")
def test_agent_stopped_mid_run_fails_the_run_naming_it() -> None:
    with LoopbackCluster.maybe(None, agents=3) as running:
        assert isinstance(running, LoopbackCluster)
        victim = running.agent_id_of(1)
        result: dict[str, Any] = {}

        def run() -> None:
            result["outcome"] = submit(
                running, "--command", "sleep 6; echo done", "--max-attempts", "1", timeout=45
            )

        worker = threading.Thread(target=run)
        worker.start()
        wait_for_running_tasks(running, 3)
        running.stop_agent(1)
        worker.join(120)
        code, report, stderr = result["outcome"]
    assert code == 1, stderr
    failed = report["summary"]["failed_agents"]
    assert [a["agent_id"] for a in failed] == [victim]
    assert victim in stderr and "FAILED" in stderr
    assert report["summary"]["finished"] == 2


def test_unreachable_master_is_a_clear_error_within_the_timeout() -> None:
    started = time.monotonic()
    done = run_submit("127.0.0.1:9,127.0.0.2:9", timeout=3)
    assert time.monotonic() - started < 8
    assert done.returncode == 3
    assert "no leading Mesos master found" in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_flags_are_a_usage_error(cluster: ExternalCluster) -> None:
    done = run_probe("submit", "--master", cluster.master, "--expect-agents", "none")
    assert done.returncode == 2
    assert "usage:" in done.stderr and "--expect-agents" in done.stderr
