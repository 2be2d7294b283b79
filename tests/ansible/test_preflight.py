"""The preflight play refuses a broken inventory before anything changes, saying what to fix.

The hosts of these inventories are all this machine over a local connection: preflight
only gathers facts and asserts, and only playbooks/preflight.yml is run (never site.yml),
so a preflight that wrongly passes changes nothing here either.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from lab import REPO_ROOT


def inventory(zookeepers: int, masters: int = 1, quorum: int | None = None) -> dict[str, object]:
    local = {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"}
    master_vars = {} if quorum is None else {"mesos_master_quorum": quorum}
    zookeeper_hosts = {f"zk{i}": {"zookeeper_id": i} for i in range(1, zookeepers + 1)}
    master_hosts = {f"master{i}": master_vars for i in range(1, masters + 1)}
    return {
        "all": {
            "vars": local,
            "children": {
                "zookeeper": {"hosts": zookeeper_hosts},
                "mesos_masters": {"hosts": master_hosts},
                "mesos_agents": {"hosts": {"agent1": {}}},
                "mesos_submit": {"hosts": {"master1": {}}},
            },
        }
    }


def run_preflight(tmp_path: Path, hosts: dict[str, object]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(hosts))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        ["ansible-playbook", "-i", str(path), str(REPO_ROOT / "playbooks" / "preflight.yml")],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        (inventory(zookeepers=2), "odd number of hosts in group 'zookeeper'"),
        (inventory(zookeepers=1, masters=3, quorum=0), "mesos_master_quorum is 0 for 3 masters"),
        (inventory(zookeepers=1, masters=3, quorum=1), "(2 is right)"),
    ],
    ids=["even-zookeeper-count", "quorum-zero", "quorum-not-a-majority"],
)
def test_broken_inventory_fails_in_preflight_naming_the_problem(
    tmp_path: Path, hosts: dict[str, object], message: str
) -> None:
    result = run_preflight(tmp_path, hosts)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert message in output, output[-3000:]


def test_duplicate_zookeeper_ids_are_refused(tmp_path: Path) -> None:
    hosts = inventory(zookeepers=3)
    zookeeper = hosts["all"]["children"]["zookeeper"]["hosts"]  # type: ignore[index]
    zookeeper["zk3"]["zookeeper_id"] = 1
    result = run_preflight(tmp_path, hosts)
    assert result.returncode != 0
    assert "needs its own zookeeper_id" in " ".join(result.stdout.split())


STRONG_SECRETS = {
    "probe": "q8Vd2LmX0rTz5sKf", "agent": "Wn4pJ7cE1yHb9uGa", "operator": "Zt6kR3fN8xQe2vBm",
}
# A strong secret the masters do not have.
OTHER_SECRET = "Lk5mQ9wT2zXc7rVb"


def secured_inventory(**overrides: object) -> dict[str, object]:
    """One of each host with authentication on, as inventory/production.example has it."""
    hosts = inventory(zookeepers=1)
    secured: dict[str, object] = {
        "mesos_master_authenticate_frameworks": True,
        "mesos_master_authenticate_agents": True,
        "mesos_master_authenticate_http_readonly": True,
        "mesos_master_credentials": [
            {"principal": "mesos-probe", "secret": STRONG_SECRETS["probe"]},
            {"principal": "mesos-agent", "secret": STRONG_SECRETS["agent"]},
            {"principal": "operator", "secret": STRONG_SECRETS["operator"]},
        ],
        "mesos_agent_principal": "mesos-agent",
        "mesos_agent_secret": STRONG_SECRETS["agent"],
        "mesos_operator_principal": "operator",
        "mesos_operator_secret": STRONG_SECRETS["operator"],
        "mesos_framework_principal": "mesos-probe",
        "mesos_framework_secret": STRONG_SECRETS["probe"],
        **overrides,
    }
    hosts["all"]["vars"].update(secured)  # type: ignore[index]
    # Distinct addresses, so that only the security rules can fail.
    for number, group in enumerate(("zookeeper", "mesos_masters", "mesos_agents"), start=10):
        for host_vars in hosts["all"]["children"][group]["hosts"].values():  # type: ignore[index]
            host_vars["mesos_ip"] = f"192.0.2.{number}"
    return hosts


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mesos_master_credentials": []}, "but mesos_master_credentials is empty"),
        ({"mesos_agent_principal": "intruder-agent"},
         "its principal 'intruder-agent' is not in mesos_master_credentials"),
        ({"mesos_operator_secret": "changeme-changeme", "mesos_master_credentials": [
            {"principal": "mesos-probe", "secret": STRONG_SECRETS["probe"]},
            {"principal": "mesos-agent", "secret": STRONG_SECRETS["agent"]},
            {"principal": "operator", "secret": "changeme-changeme"},
        ]}, "too weak"),
        # The cross-host credential rules (each agent's and submit host's credential against
        # every master's list), checked in preflight only.
        ({"mesos_agent_principal": ""},
         "the masters authenticate agents (mesos_master_authenticate_agents), so this host"
         " needs mesos_agent_principal"),
        ({"mesos_agent_secret": OTHER_SECRET},
         "its principal 'mesos-agent' is in mesos_master_credentials of master1 with a"
         " different secret than mesos_agent_secret"),
        ({"mesos_framework_principal": "intruder-framework"},
         "its principal 'intruder-framework' is not in mesos_master_credentials of master1"
         " (mesos_framework_principal)"),
        ({"mesos_framework_secret": OTHER_SECRET},
         "its principal 'mesos-probe' is in mesos_master_credentials of master1 with a"
         " different secret than mesos_framework_secret"),
    ],
    ids=["authentication-without-credentials", "agent-principal-unknown", "placeholder-secret",
         "agent-without-principal", "agent-secret-differs", "framework-principal-unknown",
         "framework-secret-differs"],
)
def test_insecure_inventory_fails_in_preflight_without_showing_secrets(
    tmp_path: Path, overrides: dict[str, object], message: str
) -> None:
    result = run_preflight(tmp_path, secured_inventory(**overrides))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert message in output, output[-3000:]
    candidates = [*STRONG_SECRETS.values(), "changeme-changeme", OTHER_SECRET]
    shown = [secret for secret in candidates if secret in output]
    assert not shown, f"preflight output shows secrets: {shown}"


def test_secured_inventory_passes_every_security_check(tmp_path: Path) -> None:
    """The control case: nothing about authentication is refused (this machine, which is no
    systemd host, then fails only the operating-system check)."""
    result = run_preflight(tmp_path, secured_inventory())
    output = " ".join((result.stdout + result.stderr).split())
    refusals = [line for line in output.split("[ERROR]: ")[1:]
                if "with systemd" not in line.split(" Origin:")[0]]
    assert not refusals, refusals
