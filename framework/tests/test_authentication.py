"""Framework authentication and authorization, end to end through the `mesos-probe` command
and pymesos, against the scripted master (HTTP Basic as Mesos' --authenticate_http_frameworks,
ACL refusals as Mesos reports them)."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_master import FakeMaster
from probe_command import (
    authentication_failed,
    error_line,
    registration_refused,
    run_probe,
    run_submit,
    write_secret_file,
)

PRINCIPAL = "probe-fw"
SECRET = "s3cr3t-Zq81"
TOKEN = base64.b64encode(f"{PRINCIPAL}:{SECRET}".encode()).decode()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    return write_secret_file(tmp_path / "secret", SECRET)


def submit(
    master: FakeMaster, tmp_path: Path, *flags: str, timeout: float = 20
) -> tuple[int, str, str, float]:
    """Exit code, stdout, stderr and duration of a run (report also in tmp_path/report.json)."""
    started = time.monotonic()
    report_file = str(tmp_path / "report.json")
    done = run_submit(
        master.address, "--report-file", report_file, "--json", *flags, timeout=timeout
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def submit_as_principal(
    master: FakeMaster, tmp_path: Path, secret_file: Path, *flags: str, timeout: float = 20
) -> tuple[int, str, str, float]:
    """`submit` with --principal PRINCIPAL and the secret in `secret_file`."""
    credentials = ("--principal", PRINCIPAL, "--secret-file", str(secret_file))
    return submit(master, tmp_path, *credentials, *flags, timeout=timeout)


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
    code, _, stderr, _ = submit_as_principal(master, tmp_path, secret_file)
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
    wrong = write_secret_file(tmp_path / "wrong", "not-it")
    code, _, stderr, took = submit_as_principal(master, tmp_path, wrong, timeout=60)
    assert code == 4, stderr
    assert took < 15  # no retrying until --timeout
    assert error_line(stderr) == authentication_failed(PRINCIPAL, master.address)
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
    wrong = write_secret_file(tmp_path / "wrong", "not-it")
    code, _, stderr, took = submit_as_principal(master, tmp_path, wrong, timeout=60)
    assert code == 4, stderr
    assert took < 15
    assert master.subscribe_bodies == [] and master.unauthenticated >= 1
    assert error_line(stderr) == authentication_failed(PRINCIPAL, master.address)


def test_missing_credentials_name_the_options(
    make_master: type[FakeMaster], tmp_path: Path
) -> None:
    master = make_master(agents=1, credentials={PRINCIPAL: SECRET})
    code, _, stderr, _ = submit(master, tmp_path)
    assert code == 4
    assert error_line(stderr) == (
        f"mesos-probe: error: the master at {master.address} requires authentication "
        "(HTTP 401): pass --principal and --secret-file"
    )


def test_registration_refused_by_acl_is_exit_5_with_the_masters_message(
    make_master: type[FakeMaster], secret_file: Path, tmp_path: Path
) -> None:
    # mesos-lite's (and Mesos 1.11's) words, empty framework id included.
    refusal = "Not authorized to register framework  with roles { * }"
    master = make_master(agents=2, credentials={PRINCIPAL: SECRET}, refuse_registration=refusal)
    code, stdout, stderr, took = submit_as_principal(master, tmp_path, secret_file)
    assert code == 5, stderr
    assert took < 15
    line = error_line(stderr)
    assert line == registration_refused(master.address, PRINCIPAL) + refusal
    assert "Traceback" not in stderr
    assert json.loads(stdout)["summary"]["error"] == line.removeprefix("mesos-probe: error: ")


def test_tasks_refused_by_acl_name_each_agent_and_the_reason(
    make_master: type[FakeMaster], secret_file: Path, tmp_path: Path
) -> None:
    refusal = (
        f"Principal '{PRINCIPAL}' no authorized to launch task {{task_id}} of framework fw-fake "
        "under user 'nobody'"
    )
    master = make_master(agents=2, credentials={PRINCIPAL: SECRET}, refuse_tasks=refusal)
    code, stdout, stderr, _ = submit_as_principal(master, tmp_path, secret_file)
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
    code, stdout, stderr, _ = submit_as_principal(
        master, tmp_path, secret_file, "--state-file", str(state), "--verbose"
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
        done = run_probe("submit", "--master", "m", flag, SECRET)
        # Not taken as an abbreviation of --secret-file: a usage error.
        assert done.returncode == 2 and "unrecognized arguments" in done.stderr, done.stderr
    config = tmp_path / "c.toml"
    config.write_text(f'master = "m"\nsecret = "{SECRET}"\n')
    done = run_probe("submit", "--config", str(config))
    assert done.returncode == 2 and "unknown key(s) secret" in done.stderr


def test_secret_file_readable_by_others_is_warned_about(
    make_master: type[FakeMaster], secret_file: Path, tmp_path: Path
) -> None:
    master = make_master(agents=1, credentials={PRINCIPAL: SECRET})
    secret_file.chmod(0o644)
    code, _, stderr, _ = submit_as_principal(master, tmp_path, secret_file)
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
    done = run_probe(
        "submit", "--master", "m", "--principal", PRINCIPAL, "--secret-file", str(path)
    )
    assert done.returncode == 2
    assert f"--secret-file {path}" in done.stderr and message in done.stderr
    assert os.path.basename(str(path)) in done.stderr
