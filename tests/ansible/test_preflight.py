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
