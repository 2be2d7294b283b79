"""Each molecule scenario under molecule/ is one test: `molecule test -s NAME` must pass.

The default scenario runs once per Debian release of the test hosts (bin/lib.sh's
TESTHOST_RELEASES, exported by activate_venv): test ids `default-bookworm`, `default-trixie`,
each on its release's image and with its own container names and network. The others run on
the first release (ha: three ZooKeeper, three masters and a timed failover drill are the
slowest run and test no release-specific code the default scenario does not).
real-mesos runs only with MESOS_REAL_PREFIX set (an operator's Mesos or clusterd install);
without it the test is skipped with a one-line reason, shown in the run's summary.

Molecule's own sequence (create, converge with the real site.yml, idempotence, side effect,
testinfra verify, destroy) decides; its full log is kept in build/molecule-NAME-RELEASE.log and
the end of it is shown on failure. A scenario with Ansible Vault secrets (group_vars/all/vault.yml
and its vault-password) must also never show one of them in that log: every task that
handles a secret is no_log. The testinfra checks write a JUnit report of their own to
TEST_RESULTS_DIR (bin/test's build/test-results), so bin/test counts each check per host and
per release.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from lab import REPO_ROOT, lab_image

SCENARIOS = sorted(p.parent.name for p in (REPO_ROOT / "molecule").glob("*/molecule.yml"))
RELEASES = os.environ.get("MESOS_TESTHOST_RELEASES", "bookworm").split()
EVERY_RELEASE = {"default"}
# Scenarios that need something only an operator has: the variable naming it.
OPT_IN = {"real-mesos": "MESOS_REAL_PREFIX"}
CASES = [(scenario, release) for scenario in SCENARIOS
         for release in (RELEASES if scenario in EVERY_RELEASE else RELEASES[:1])]
# bin/test runs each case in its own pytest, side by side: MOLECULE_SCENARIOS names scenarios
# (all their releases) or case ids, comma-separated: "ha,default-trixie".
if only := os.environ.get("MOLECULE_SCENARIOS"):
    CASES = [(scenario, release) for scenario, release in CASES
             if {scenario, f"{scenario}-{release}"} & set(only.split(","))]
LOG_TAIL_LINES = 120
RESULTS_DIR = Path(os.environ.get("TEST_RESULTS_DIR", REPO_ROOT / "build" / "test-results"))


@pytest.mark.molecule
@pytest.mark.timeout(1800)
@pytest.mark.parametrize(("scenario", "release"), CASES, ids=[f"{s}-{r}" for s, r in CASES])
def test_molecule_scenario(scenario: str, release: str, request: pytest.FixtureRequest) -> None:
    if scenario in OPT_IN and not os.environ.get(OPT_IN[scenario]):
        pytest.skip(f"molecule/{scenario} did not run: {OPT_IN[scenario]} is unset "
                    "(set it to a Mesos or clusterd install prefix; README 'Real Mesos')")
    log_path = REPO_ROOT / "build" / f"molecule-{scenario}-{release}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0",
           "MESOS_TESTHOST_IMAGE": lab_image(release),
           "PYTEST_ADDOPTS": _testinfra_report_options(request.node.callspec.id)}
    if scenario in EVERY_RELEASE:
        env["MESOS_MOLECULE_SUFFIX"] = f"-{release}"
    # Molecule keeps a run's inventory and state in one directory per scenario name unless
    # told otherwise; the releases of a scenario run side by side, so each case has its own.
    env["MOLECULE_EPHEMERAL_DIRECTORY"] = str(_molecule_state_directory(scenario, release))
    with log_path.open("w") as log:
        result = subprocess.run(
            ["molecule", "test", "--scenario-name", scenario],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(Path(log_path).read_text().splitlines()[-LOG_TAIL_LINES:])
        pytest.fail(f"molecule test -s {scenario} on {release} exited {result.returncode}; "
                    f"full log {log_path}; last lines:\n{tail}")

    leaked = sorted(name for name, secret in _vault_secrets(scenario).items()
                    if secret in log_path.read_text())
    assert not leaked, f"secrets {leaked} appear in Ansible's output ({log_path})"


def _molecule_state_directory(scenario: str, release: str) -> Path:
    """Where molecule keeps this case's inventory and state: one per checkout and case.

    Outside the repository, like molecule's own default: under it, the repository's pytest
    settings would become the testinfra run's (pytest looks for them above the inventory
    molecule passes) instead of tests/infra's own.
    """
    checkout = hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:8]
    checkout_states = Path.home() / ".cache" / "molecule-state" / f"{REPO_ROOT.name}-{checkout}"
    return checkout_states / f"{scenario}-{release}"


def _testinfra_report_options(run_id: str) -> str:
    """Options for the pytest molecule's testinfra verifier starts: a JUnit report of its own."""
    name = "testinfra-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", run_id)
    report = RESULTS_DIR / f"{name}.xml"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    inherited = os.environ.get("PYTEST_ADDOPTS", "")
    return f"{inherited} --junitxml={report} -o junit_suite_name={name}".strip()


def _vault_secrets(scenario: str) -> dict[str, str]:
    """The scenario's vaulted values, decrypted with its (test-only) vault password."""
    directory = REPO_ROOT / "molecule" / scenario
    vault_file = directory / "group_vars" / "all" / "vault.yml"
    password_file = directory / "vault-password"
    if not vault_file.exists():
        return {}
    plain = subprocess.run(
        ["ansible-vault", "view", "--vault-password-file", str(password_file), str(vault_file)],
        capture_output=True, text=True, check=True,
    ).stdout
    return {str(name): str(value) for name, value in yaml.safe_load(plain).items()}
