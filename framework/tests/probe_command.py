"""`mesos-probe` run as a separate process, as users run it, and the words it ends with."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# How much longer than its own --timeout a run may take before the test gives up on it.
GRACE = 30.0


def module_argv(module: str, *args: str) -> list[str]:
    """`python -m module args` with this interpreter (the one mesos-probe is installed in)."""
    return [sys.executable, "-m", module, *args]


def submit_argv(master: str, *flags: str, timeout: float | None = None) -> list[str]:
    """`mesos-probe submit --master MASTER [--timeout T] FLAGS`."""
    limit = [] if timeout is None else ["--timeout", f"{timeout:g}"]
    return module_argv("mesos_probe", "submit", "--master", master, *limit, *flags)


def run_argv(
    argv: list[str], timeout: float = GRACE, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to its end; its exit code and output as text."""
    return subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_probe(*args: str) -> subprocess.CompletedProcess[str]:
    """`mesos-probe ARGS` for a command expected to end quickly (usage errors)."""
    return run_argv(module_argv("mesos_probe", *args))


def run_submit(master: str, *flags: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """`mesos-probe submit --master MASTER --timeout TIMEOUT FLAGS` to its end."""
    return run_argv(submit_argv(master, *flags, timeout=timeout), timeout=timeout + GRACE)


def write_secret_file(path: Path, secret: str) -> Path:
    """A --secret-file as an operator writes it: one line, readable by its owner only."""
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return path


def error_line(stderr: str) -> str:
    """The last line mesos-probe wrote to stderr: the one that explains why it stopped."""
    return stderr.strip().splitlines()[-1]


def authentication_failed(principal: str, master: str) -> str:
    """The error line of a run whose credentials the master refused."""
    return (
        f"mesos-probe: error: authentication failed for principal '{principal}' at master "
        f"{master}: check --principal/--secret-file"
    )


def registration_refused(master: str, principal: str) -> str:
    """How the error line of a run whose registration an ACL refused begins."""
    return (
        f"mesos-probe: error: the master at {master} refused to register framework "
        f"'mesos-probe' (principal '{principal}', role '*'): "
    )
