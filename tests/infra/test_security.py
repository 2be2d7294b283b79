"""Authentication, authorization and secrets (a scenario with authentication on, molecule/ha):
secret files private, endpoints refusing missing or wrong credentials, the framework failing
clearly with a wrong secret, an ACL refusing a principal's tasks with Mesos's reason, Mesos's
znode protected in ZooKeeper, and no secret in the journal, /flags or /state of any host.
Collected in molecule/ha only: a scenario without authentication has no secret to look for."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from mesos_facts import (
    AGENT_HTTP_CREDENTIALS_FILE,
    MASTER_CREDENTIALS_FILE,
    MASTER_ENV_FILE,
    agent_url,
    env_file,
    group_hosts,
    http_get,
    http_get_json,
    master_url,
    operator_principal,
    zookeeper_url,
)

testinfra_hosts = ["ansible://all"]
pytestmark = pytest.mark.scenarios("ha")

# The secret files molecule/ha's settings make the roles write, by the group that gets them.
SECRET_FILES = {
    "mesos_masters": (MASTER_CREDENTIALS_FILE, "/etc/mesos/acls.json", "/etc/mesos/zk"),
    "mesos_agents": ("/etc/mesos/agent-credential.json", AGENT_HTTP_CREDENTIALS_FILE,
                     "/etc/mesos/zk"),
    "mesos_submit": ("/etc/mesos-probe/secret",),
}
PROBE = "/opt/mesos-probe/venv/bin/mesos-probe"
# mesos-probe's exit codes: a run that ended with agents not finished, a refused credential.
EXIT_INCOMPLETE = 1
EXIT_AUTHENTICATION = 4
# The principal molecule/ha's ACLs let register but run tasks as no user.
UNTRUSTED_PRINCIPAL = "untrusted"


def _operator() -> str:
    principal = operator_principal()
    assert principal, "mesos_master_authenticate_http_readonly is off in molecule/ha's inventory"
    return principal


@cache
def _master_credentials() -> dict[str, str]:
    master = group_hosts("mesos_masters")[0]
    credentials = master.file(MASTER_CREDENTIALS_FILE)
    where = master.backend.get_hostname()
    assert credentials.exists, f"{MASTER_CREDENTIALS_FILE} missing on {where}"
    entries = json.loads(credentials.content_string)["credentials"]
    return {entry["principal"]: entry["secret"] for entry in entries}


@cache
def _every_secret() -> dict[str, str]:
    """What must never be shown: every credential's secret and the ZooKeeper password."""
    secrets = {f"credential of {principal}": secret
               for principal, secret in _master_credentials().items()}
    master = group_hosts("mesos_masters")[0]
    zk_file = master.file("/etc/mesos/zk")
    assert zk_file.exists, f"/etc/mesos/zk missing on {master.backend.get_hostname()}"
    userinfo = zk_file.content_string.strip().removeprefix("zk://").split("@")[0]
    secrets["ZooKeeper password"] = userinfo.partition(":")[2]
    empty = sorted(name for name, secret in secrets.items() if not secret)
    assert not empty, f"empty secrets {empty}: nothing to look for"
    return secrets


def _leaks(text: str) -> list[str]:
    return sorted(name for name, secret in _every_secret().items() if secret in text)


@pytest.mark.parametrize(("group", "path"), [(group, path) for group, paths in
                                             SECRET_FILES.items() for path in paths])
def test_secret_file_exists_readable_by_root_only(group: str, path: str) -> None:
    for member in group_hosts(group):
        found = member.file(path)
        where = f"{path} on {member.backend.get_hostname()}"
        assert found.exists, f"{where} missing"
        assert (found.mode, found.user) == (0o600, "root"), (where, oct(found.mode), found.user)


def test_no_secret_in_the_journal(host: Any) -> None:
    journal = host.run("journalctl --no-pager -o cat")
    assert journal.rc == 0, journal.stderr
    assert not _leaks(journal.stdout), f"in {host.backend.get_hostname()}'s journal"


# The endpoints that show flags and state, by the group whose daemons serve them.
SHOWN_BY = {
    "mesos_masters": (master_url, ("master/flags", "master/state")),
    "mesos_agents": (agent_url, ("flags", "state")),
}


@pytest.mark.parametrize("group", sorted(SHOWN_BY))
def test_no_secret_in_flags_or_state(group: str) -> None:
    base_url, paths = SHOWN_BY[group]
    for member in group_hosts(group):
        for path in paths:
            shown = json.dumps(http_get_json(member, f"{base_url(member)}/{path}"))
            assert not _leaks(shown), f"in /{path} of {member.backend.get_hostname()}"


def test_master_endpoints_refuse_missing_and_wrong_credentials() -> None:
    master = group_hosts("mesos_masters")[0]
    state_url = f"{master_url(master)}/master/state"
    status, challenge = http_get(master, state_url)
    assert status == 401 and challenge.startswith("Basic realm="), (status, challenge)
    assert http_get(master, state_url, _operator(), wrong_secret="not-it")[0] == 401
    assert http_get(master, state_url, _operator())[0] == 200
    # Mesos never authenticates these: load balancers and the roles' waits rely on them.
    assert http_get(master, f"{master_url(master)}/health")[0] == 200


@pytest.fixture()
def submit_host() -> Any:
    return group_hosts("mesos_submit")[0]


# Copies a principal's secret from the host's credentials file into a 0600 file, or writes a
# wrong one: secrets never travel in a command, which the hosts' journal would record.
_WRITE_SECRET_FILE = """
import json, os, sys
principal, path = sys.argv[1], sys.argv[2]
secret = os.environ.get("WRONG_SECRET") or next(
    entry["secret"] for entry in json.load(open(sys.argv[3]))["credentials"]
    if entry["principal"] == principal)
descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(descriptor, secret.encode())
os.close(descriptor)
"""
SECRET_FILE = "/root/test-secret"


@pytest.fixture()
def secret_file(submit_host: Any) -> Iterator[Any]:
    def write(principal: str, wrong_secret: str = "") -> str:
        env = f"WRONG_SECRET='{wrong_secret}' " if wrong_secret else ""
        written = submit_host.run(f"{env}python3 -c '{_WRITE_SECRET_FILE}' {principal} "
                                  f"{SECRET_FILE} {MASTER_CREDENTIALS_FILE}")
        assert written.rc == 0, written.stderr
        return SECRET_FILE

    yield write
    submit_host.run(f"rm -f {SECRET_FILE}")


def _submit(host: Any, principal: str, secret_path: str) -> Any:
    return host.run(
        f"{PROBE} submit --principal {shlex.quote(principal)} --secret-file {secret_path}"
        f" --expect-agents {len(group_hosts('mesos_agents'))} --timeout 60 --max-attempts 1")


def test_framework_with_a_wrong_secret_stops_with_an_authentication_error(
    submit_host: Any, secret_file: Any
) -> None:
    result = _submit(submit_host, "mesos-probe",
                     secret_file("mesos-probe", wrong_secret="a-wrong-secret-of-enough-length"))
    output = result.stdout + result.stderr
    assert result.rc == EXIT_AUTHENTICATION, output
    assert "authentication failed" in output.lower() and "mesos-probe" in output


def test_acl_refuses_the_tasks_of_a_principal_with_mesos_reason(
    submit_host: Any, secret_file: Any
) -> None:
    result = _submit(submit_host, UNTRUSTED_PRINCIPAL, secret_file(UNTRUSTED_PRINCIPAL))
    output = result.stdout + result.stderr
    # Registering is allowed; each task is refused (TASK_ERROR, never retried) and every agent
    # is reported with Mesos's reason.
    assert result.rc == EXIT_INCOMPLETE, output
    for agent in group_hosts("mesos_agents"):
        refusals = [line for line in result.stdout.splitlines()
                    if line.startswith(f"FAILED {agent.backend.get_hostname()} ")]
        assert len(refusals) == 1, output
        assert "REASON_TASK_UNAUTHORIZED" in refusals[0], refusals[0]
        # Mesos 1.11's words, "no" included (src/master/master.cpp, Master::accept).
        assert (f"Principal '{UNTRUSTED_PRINCIPAL}' no authorized to launch task"
                in refusals[0]), refusals[0]


def test_mesos_znode_is_world_readable_and_writable_only_by_mesos() -> None:
    host = group_hosts("zookeeper")[0]
    master = group_hosts("mesos_masters")[0]
    zk_url = zookeeper_url(master, env_file(master, MASTER_ENV_FILE)["MESOS_ZK"])
    path = "/" + zk_url.split("/", 3)[3]
    acl = host.run(f"/usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:2181 getAcl {path}")
    assert "'world,'anyone\n: r" in acl.stdout, acl.stdout
    assert "'digest,'mesos:" in acl.stdout and ": cdrwa" in acl.stdout, acl.stdout
    intruder = host.run(
        f"/usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:2181 create {path}/intruder x")
    assert "Insufficient permission" in intruder.stdout + intruder.stderr
