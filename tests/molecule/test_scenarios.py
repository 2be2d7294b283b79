"""Each molecule scenario under molecule/ is one test: `molecule test -s NAME` must pass.

Molecule's own sequence (create, converge with the real site.yml, idempotence, side effect,
testinfra verify, destroy) decides; its full log is kept in build/molecule-NAME.log and the
end of it is shown on failure. A scenario with Ansible Vault secrets (group_vars/all/vault.yml
and its vault-password) must also never show one of them in that log: every task that
handles a secret is no_log.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from lab import REPO_ROOT

SCENARIOS = sorted(p.parent.name for p in (REPO_ROOT / "molecule").glob("*/molecule.yml"))
LOG_TAIL_LINES = 120


@pytest.mark.molecule
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario: str) -> None:
    log_path = REPO_ROOT / "build" / f"molecule-{scenario}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0"}
    with log_path.open("w") as log:
        result = subprocess.run(
            ["molecule", "test", "--scenario-name", scenario],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(Path(log_path).read_text().splitlines()[-LOG_TAIL_LINES:])
        pytest.fail(f"molecule test -s {scenario} exited {result.returncode}; "
                    f"full log {log_path}; last lines:\n{tail}")

    leaked = sorted(name for name, secret in _vault_secrets(scenario).items()
                    if secret in log_path.read_text())
    assert not leaked, f"secrets {leaked} appear in Ansible's output ({log_path})"


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
