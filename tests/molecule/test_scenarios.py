"""Each molecule scenario under molecule/ is one test: `molecule test -s NAME` must pass.

Molecule's own sequence (create, converge with the real site.yml, idempotence, side effect
with playbooks/submit.yml, testinfra verify, destroy) decides; its full log is kept in
build/molecule-NAME.log and the end of it is shown on failure.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
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
