"""Shared helpers for tests that start containers of the project's test-host image.

The run options are the ones systemd needs as PID 1 on these machines (``--privileged``
fails here); bin/lib.sh, playbooks/local-cluster.yml and molecule use the same ones.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

SYSTEMD_RUN_OPTIONS = [
    "--cap-add", "SYS_ADMIN",
    "--cgroupns=host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run",
    "--tmpfs", "/run/lock",
    "--stop-signal", "SIGRTMIN+3",
]


def lab_image(release: str = "") -> str:
    """The image tag bin/lib.sh computes for ``release`` (default: the first release), or
    the MESOS_TESTHOST_IMAGE[_<RELEASE>] that overrides it."""
    override = f"MESOS_TESTHOST_IMAGE_{release.upper()}" if release else "MESOS_TESTHOST_IMAGE"
    if image := os.environ.get(override):
        return image
    result = subprocess.run(
        ["bash", "-c", f"source '{REPO_ROOT}/bin/lib.sh' && testhost_image {release}"],
        check=True, capture_output=True, text=True,
    )
    return result.stdout.strip()


def lab_network() -> str:
    return os.environ.get("MESOS_LAB_NETWORK", "mesos-lab")


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def system_state(container: str) -> str:
    return docker("exec", container, "systemctl", "is-system-running", check=False).stdout.strip()


def wait_for_boot(container: str, timeout: float = 90) -> str:
    """Wait until systemd in ``container`` has finished booting; return its final state."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = system_state(container)
        if state in {"running", "degraded"}:
            return state
        time.sleep(1)
    return state


@contextmanager
def lab_host(prefix: str = "bedtest") -> Iterator[str]:
    """Run one test-host container on the lab network; remove it afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    docker(
        "run", "-d", "--name", name, "--hostname", name, "--network", lab_network(),
        *SYSTEMD_RUN_OPTIONS, lab_image(),
    )
    try:
        yield name
    finally:
        docker("rm", "-f", name, check=False)
