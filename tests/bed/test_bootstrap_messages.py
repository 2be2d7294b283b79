"""bin/bootstrap on a machine it cannot set up says what to install, without a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab import REPO_ROOT
from mesos_lite.testing import require_root

BOOTSTRAP = REPO_ROOT / "bin" / "bootstrap"
# What bootstrap itself needs to reach its checks; docker, git and debootstrap stay out.
BASE_TOOLS = ["bash", "cat", "dirname", "basename", "id", "grep", "tr", "printf", "dpkg-query"]


def run_bootstrap(env: dict[str, str], user: str | None = None,
                  bootstrap: Path = BOOTSTRAP) -> subprocess.CompletedProcess[str]:
    command = [str(bootstrap)]
    if user:
        command = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *command]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture()
def bootstrap_reachable_by_anyone() -> Iterator[Path]:
    """A copy of bin/ that an unprivileged user can run: the checkout itself may sit in a
    directory only root can enter (a 0700 home or mktemp directory)."""
    root = Path(tempfile.mkdtemp(prefix="bootstrap-copy-"))
    root.chmod(0o755)
    shutil.copytree(REPO_ROOT / "bin", root / "bin")
    yield root / "bin" / "bootstrap"
    shutil.rmtree(root)


def test_non_debian_machine_gets_the_list_of_what_to_install(tmp_path: Path) -> None:
    os_release = tmp_path / "os-release"
    os_release.write_text('ID=fedora\nID_LIKE="rhel centos"\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in BASE_TOOLS:
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "BOOTSTRAP_OS_RELEASE": str(os_release), "HOME": str(tmp_path)}

    result = run_bootstrap(env)

    assert result.returncode == 1
    assert "not Debian or Ubuntu" in result.stderr
    for missing in ("docker", "python3", "git", "debootstrap"):
        assert missing in result.stderr
    assert "Traceback" not in result.stderr


def test_unprivileged_user_without_docker_access_is_told_how_to_get_it(
    tmp_path: Path, bootstrap_reachable_by_anyone: Path
) -> None:
    require_root("switching to an unprivileged user")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}

    result = run_bootstrap(env, user="nobody", bootstrap=bootstrap_reachable_by_anyone)

    assert result.returncode == 1
    assert "docker group" in result.stderr
    assert "Traceback" not in result.stderr


def test_test_host_image_named_by_the_environment_but_missing_is_refused_by_name(
    tmp_path: Path,
) -> None:
    """A name bootstrap cannot build (not the recipe's own tag) and docker does not have is
    an error naming the variable, not a later pull from a registry this machine cannot reach."""
    env = {**os.environ, "HOME": str(tmp_path),
           "MESOS_TESTHOST_IMAGE_BOOKWORM": "example.invalid/missing-testhost:1"}
    command = [str(BOOTSTRAP), "--images-only"]

    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                            check=False)

    assert result.returncode == 1
    assert "example.invalid/missing-testhost:1" in result.stderr
    assert "is not on this machine" in result.stderr
    assert "unset MESOS_TESTHOST_IMAGE_BOOKWORM" in result.stderr
