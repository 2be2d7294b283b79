"""mesos-probe against a loopback mesos-lite master that authenticates schedulers
(--authenticate_http_frameworks, HTTP Basic, --credentials) and authorizes them (--acls),
as Apache Mesos 1.11 does. A master that does not answer 401 to an unauthenticated call
skips these tests on a developer's machine, and fails them where the run must be complete
(MESOS_PROBE_REQUIRE_CLUSTER or CI set): there, it is exactly what broken authentication
would look like."""

from __future__ import annotations

import getpass
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mesos_lite.testing import LoopbackCluster, cluster_available, get_json, skip_or_fail
from probe_command import (
    authentication_failed,
    error_line,
    registration_refused,
    run_submit,
    write_secret_file,
)

pytestmark = pytest.mark.integration

if not cluster_available():
    skip_or_fail("mesos-lite is not installed")

PRINCIPALS = {
    "probe-fw": "Probe-s3cret-41",  # may do everything
    "limited-fw": "Limited-s3cret-42",  # may register, may not run tasks
    "intruder": "Intruder-s3cret-43",  # authenticated, may not register
}
ACLS = {
    "permissive": True,
    "register_frameworks": [
        {"principals": {"values": ["intruder"]}, "roles": {"type": "NONE"}},
    ],
    "run_tasks": [
        {"principals": {"values": ["limited-fw"]}, "users": {"type": "NONE"}},
    ],
}


def scheduler_api_status(master: str) -> int:
    """HTTP status of an unauthenticated, empty scheduler call."""
    request = urllib.request.Request(
        f"http://{master}/api/v1/scheduler",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    directory = tmp_path_factory.mktemp("auth")
    credentials = directory / "credentials.json"
    credentials.write_text(
        json.dumps({"credentials": [{"principal": p, "secret": s} for p, s in PRINCIPALS.items()]})
    )
    credentials.chmod(0o600)
    acls = directory / "acls.json"
    acls.write_text(json.dumps(ACLS))
    running = LoopbackCluster(
        agents=2,
        workdir=directory / "cluster",
        master_flags=[
            "--authenticate_http_frameworks",
            "--http_framework_authenticators=basic",
            f"--credentials=file://{credentials}",
            f"--acls=file://{acls}",
        ],
    )
    try:
        running.start()
        answer = scheduler_api_status(running.master)
        if answer != 401:
            skip_or_fail(
                f"the master at {running.master}, started with --authenticate_http_frameworks,"
                f" answered an unauthenticated scheduler call with HTTP {answer}, not 401:"
                " it does not authenticate schedulers"
            )
        yield running
    finally:
        running.close()


def submit(
    cluster: LoopbackCluster, tmp_path: Path, principal: str, secret: str, *flags: str
) -> tuple[int, dict[str, Any] | None, str, float]:
    secret_file = write_secret_file(tmp_path / f"{principal}.secret", secret)
    started = time.monotonic()
    credentials = ("--principal", principal, "--secret-file", str(secret_file))
    done = run_submit(cluster.master, "--json", *credentials, *flags, timeout=40)
    report = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, report, done.stderr, time.monotonic() - started


def test_right_credentials_run_one_task_per_agent(cluster: LoopbackCluster, tmp_path: Path) -> None:
    code, report, stderr, _ = submit(cluster, tmp_path, "probe-fw", PRINCIPALS["probe-fw"])
    assert code == 0, stderr
    assert report is not None and report["summary"]["finished"] == 2
    ours = [f for f in cluster.frameworks() if f["id"] == report["framework_id"]]
    assert ours and ours[0]["principal"] == "probe-fw"


def test_wrong_secret_is_exit_4_naming_principal_and_master(
    cluster: LoopbackCluster, tmp_path: Path
) -> None:
    code, _, stderr, took = submit(cluster, tmp_path, "probe-fw", "not-the-secret")
    assert code == 4, stderr
    assert took < 15
    assert error_line(stderr) == authentication_failed("probe-fw", cluster.master)
    assert "Traceback" not in stderr


def test_registration_refused_by_acl_is_exit_5(cluster: LoopbackCluster, tmp_path: Path) -> None:
    code, _, stderr, took = submit(cluster, tmp_path, "intruder", PRINCIPALS["intruder"])
    assert code == 5, stderr
    assert took < 15
    line = error_line(stderr)
    assert line.startswith(registration_refused(cluster.master, "intruder"))
    assert "Not authorized to register framework" in line


def test_tasks_refused_by_acl_name_each_agent(cluster: LoopbackCluster, tmp_path: Path) -> None:
    code, report, stderr, _ = submit(cluster, tmp_path, "limited-fw", PRINCIPALS["limited-fw"])
    assert code == 1, stderr
    assert report is not None
    hostnames = sorted(a["hostname"] for a in cluster.active_agents())
    assert sorted(a["hostname"] for a in report["summary"]["failed_agents"]) == hostnames
    user = getpass.getuser()
    for row in report["agents"]:
        assert row["state"] == "TASK_ERROR" and row["attempts"] == 1
        failure = row["failures"][0]
        assert failure["reason"] == "REASON_TASK_UNAUTHORIZED"
        assert failure["message"] == (
            f"Principal 'limited-fw' no authorized to launch task {failure['task_id']} of "
            f"framework {report['framework_id']} under user '{user}'"
        )
        assert f"FAILED {row['hostname']} ({row['agent_id']}): TASK_ERROR" in stderr


def test_no_secret_in_master_flags_or_state(cluster: LoopbackCluster) -> None:
    for path in ("/master/flags", "/master/state", "/master/frameworks"):
        text = json.dumps(get_json(f"http://{cluster.master}{path}"))
        for secret in PRINCIPALS.values():
            assert secret not in text, path
