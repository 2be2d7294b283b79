"""Framework authentication and authorization, end to end through the `mesos-probe` command
and pymesos, against the scripted master (HTTP Basic as Mesos' --authenticate_http_frameworks,
ACL refusals as Mesos reports them)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_master import FakeMaster

PRINCIPAL = "probe-fw"
SECRET = "s3cr3t-Zq81"
TOKEN = base64.b64encode(f"{PRINCIPAL}:{SECRET}".encode()).decode()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    path.chmod(0o600)
    return path


def submit(
    master: FakeMaster, tmp_path: Path, *flags: str, timeout: float = 20
) -> tuple[int, str, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mesos_probe",
            "submit",
            "--master",
            master.address,
            "--timeout",
            f"{timeout:g}",
            "--report-file",
            str(tmp_path / "report.json"),
            "--json",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=timeout + 30,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


@pytest.fixture
def make_master() -> Iterator[type[FakeMaster]]:
    made: list[FakeMaster] = []

    class Tracked(FakeMaster):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)  # type: ignore[arg-type]
            made.append(self)

    yield Tracked
    for master in made:
        master.close()


def test_right_credentials_authenticate_every_request(
    make_master: type[FakeMaster], secret_file: Path, tmp_path: Path
) -> None:
    master = make_master(agents=2, credentials={PRINCIPAL: SECRET})
    code, _, stderr, _ = submit(
        master, tmp_path, "--principal", PRINCIPAL, "--secret-file", str(secret_file)
    )
    assert code == 0, stderr
    assert master.unauthenticated == 0
    assert set(master.authorizations) == {f"Basic {TOKEN}"}
    info = master.subscribe_bodies[0]["subscribe"]["framework_info"]
    assert info["principal"] == PRINCIPAL


@pytest.mark.parametrize("readonly_authenticated", [True, False])
def test_wrong_secret_stops_at_once_with_exit_4(
    make_master: type[FakeMaster], tmp_path: Path, readonly_authenticated: bool
) -> None:
    # Without --authenticate_http_readonly only SUBSCRIBE (inside pymesos) is refused.
    master = make_master(
        agents=2, credentials={PRINCIPAL: "other"}, authenticate_readonly=readonly_authenticated
    )
    wrong = tmp_path / "wrong"
    wrong.write_text("not-it")
    wrong.chmod(0o600)
    code, _, stderr, took = submit(
        master, tmp_path, "--principal", PRINCIPAL, "--secret-file", str(wrong), timeout=60
    )
    assert code == 4, stderr
    assert took < 15  # no retrying until --timeout
    assert stderr.strip().splitlines()[-1] == (
        f"mesos-probe: error: authentication failed for principal '{PRINCIPAL}' at master "
        f"{master.address}: check --principal/--secret-file"
    )
    assert "Traceback" not in stderr
    assert master.calls_of("ACCEPT") == []


def test_subscribe_refused_after_a_passed_check_is_still_exit_4(
    make_master: type[FakeMaster], tmp_path: Path
) -> None:
    master = make_master(
        agents=2,
        credentials={PRINCIPAL: "other"},
        authenticate_readonly=False,
        pass_first_credentials_check=True,
    )
    wrong = tmp_path / "wrong"
    wrong.write_text("not-it")
    wrong.chmod(0o600)
    code, _, stderr, took = submit(
        master, tmp_path, "--principal", PRINCIPAL, "--secret-file", str(wrong), timeout=60
    )
    assert code == 4, stderr
    assert took < 15
    assert master.subscribe_bodies == [] and master.unauthenticated >= 1
    assert stderr.strip().splitlines()[-1] == (
        f"mesos-probe: error: authentication failed for principal '{PRINCIPAL}' at master "
        f"{master.address}: check --principal/--secret-file"
    )


def test_missing_credentials_name_the_options(
    make_master: type[FakeMaster], tmp_path: Path
) -> None:
    master = make_master(agents=1, credentials={PRINCIPAL: SECRET})
    code, _, stderr, _ = submit(master, tmp_path)
    assert code == 4
    assert stderr.strip().splitlines()[-1] == (
        f"mesos-probe: error: the master at {master.address} requires authentication "
        "(HTTP 401): pass --principal and --secret-file"
    )


def test_registration_refused_by_acl_is_exit_5_with_the_masters_message(
    make_master: type[FakeMaster], secret_file: Path, tmp_path: Path
) -> None:
    # mesos-lite's (and Mesos 1.11's) words, empty framework id included.
    refusal = "Not authorized to register framework  with roles { * }"
    master = make_master(agents=2, credentials={PRINCIPAL: SECRET}, refuse_registration=refusal)
    code, stdout, stderr, took = submit(
        master, tmp_path, "--principal", PRINCIPAL, "--secret-file", str(secret_file)
    )
    assert code == 5, stderr
    assert took < 15
    line = stderr.strip().splitlines()[-1]
    assert line == (
        f"mesos-probe: error: the master at {master.address} refused to register framework "
        f"'mesos-probe' (principal '{PRINCIPAL}', role '*'): {refusal}"
    )
    assert "Traceback" not in stderr
    assert json.loads(stdout)["summary"]["error"] == line.removeprefix("mesos-probe: error: ")


def test_tasks_refused_by_acl_name_each_agent_and_the_reason(
    make_master: type[FakeMaster], secret_file: Path, tmp_path: Path
) -> None:
    refusal = "Not authorized to launch task {task_id} of framework fw-fake under user 'nobody'"
    master = make_master(agents=2, credentials={PRINCIPAL: SECRET}, refuse_tasks=refusal)
    code, stdout, stderr, _ = submit(
        master, tmp_path, "--principal", PRINCIPAL, "--secret-file", str(secret_file)
    )
    assert code == 1, stderr
    report = json.loads(stdout)
    assert sorted(a["hostname"] for a in report["summary"]["failed_agents"]) == [
        "agent-0.test",
        "agent-1.test",
    ]
    for row in report["agents"]:
        assert row["state"] == "TASK_ERROR" and row["attempts"] == 1  # not retried
        failure = row["failures"][0]
        message = refusal.format(task_id=failure["task_id"])
        assert failure["reason"] == "REASON_TASK_UNAUTHORIZED"
        assert failure["message"] == message and failure["source"] == "SOURCE_MASTER"
        assert (
            f"FAILED {row['hostname']} ({row['agent_id']}): TASK_ERROR after 1 attempt(s)"
            f" (reason REASON_TASK_UNAUTHORIZED: {message})"
        ) in stderr


@pytest.mark.parametrize("right_secret", [True, False])
def test_the_secret_never_shows_in_output_logs_report_or_state(
    make_master: type[FakeMaster], secret_file: Path, tmp_path: Path, right_secret: bool
) -> None:
    # /master/state unauthenticated, so that the credentials go all the way into pymesos.
    master = make_master(
        agents=2,
        credentials={PRINCIPAL: SECRET if right_secret else "other"},
        authenticate_readonly=False,
    )
    state = tmp_path / "run.state"
    code, stdout, stderr, _ = submit(
        master,
        tmp_path,
        "--principal",
        PRINCIPAL,
        "--secret-file",
        str(secret_file),
        "--state-file",
        str(state),
        "--verbose",
    )
    assert code == (0 if right_secret else 4), stderr
    assert "DEBUG" in stderr  # --verbose really logged in detail
    written = [stdout, stderr]
    for path in (tmp_path / "report.json", state):
        if path.exists():
            written.append(path.read_text())
    assert len(written) == (4 if right_secret else 2)
    for text in written:
        assert SECRET not in text
        assert TOKEN not in text


def test_there_is_no_way_to_give_the_secret_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / SECRET).write_text("a file named like the secret")
    for flag in ("--secret", "--secret-fil", "--password"):
        done = subprocess.run(
            [sys.executable, "-m", "mesos_probe", "submit", "--master", "m", flag, SECRET],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        # Not taken as an abbreviation of --secret-file: a usage error.
        assert done.returncode == 2 and "unrecognized arguments" in done.stderr, done.stderr
    config = tmp_path / "c.toml"
    config.write_text(f'master = "m"\nsecret = "{SECRET}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "mesos_probe", "submit", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2 and "unknown key(s) secret" in done.stderr


def test_secret_file_readable_by_others_is_warned_about(
    make_master: type[FakeMaster], secret_file: Path, tmp_path: Path
) -> None:
    master = make_master(agents=1, credentials={PRINCIPAL: SECRET})
    secret_file.chmod(0o644)
    code, _, stderr, _ = submit(
        master, tmp_path, "--principal", PRINCIPAL, "--secret-file", str(secret_file)
    )
    assert code == 0
    assert f"--secret-file {secret_file} can be read by other users (mode 0644)" in stderr


@pytest.mark.parametrize(
    ("content", "message"), [(None, "No such file or directory"), ("\n", "is empty")]
)
def test_missing_or_empty_secret_file_is_a_usage_error_naming_it(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "secret"
    if content is not None:
        path.write_text(content)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mesos_probe",
            "submit",
            "--master",
            "m",
            "--principal",
            PRINCIPAL,
            "--secret-file",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert f"--secret-file {path}" in done.stderr and message in done.stderr
    assert os.path.basename(str(path)) in done.stderr
