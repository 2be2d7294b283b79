"""What the machine must provide for a loopback cluster, and what happens when it does not.

On a developer's machine a missing piece (ZooKeeper, a master URL that points the suite at
somebody else's cluster, root) skips the tests that need it, saying why. Where a run must
prove everything (`CI` set, as CI services do, or `MESOS_PROBE_REQUIRE_CLUSTER=1`, as
`bin/test` does) the same condition fails the test and names what is missing: a skip
there would turn a broken environment into a green run.
"""

from __future__ import annotations

import os

# Environment variables that demand a complete run; the first one set wins.
REQUIRE_VARIABLES = ("MESOS_PROBE_REQUIRE_CLUSTER", "CI")
# What a developer sets to point the suites at an existing cluster instead of a loopback one.
MASTER_URL_VARIABLE = "MESOS_MASTER_URL"
_FALSE = {"", "0", "false", "no", "off"}


def required_by() -> str | None:
    """`NAME=value` of the variable that demands a complete run, or None."""
    for name in REQUIRE_VARIABLES:
        value = os.environ.get(name, "")
        if value.strip().lower() not in _FALSE:
            return f"{name}={value}"
    return None


def skip_or_fail(reason: str) -> None:
    """Skip the test (or the whole module, at import time) because `reason`; fail instead,
    naming `reason`, when the run must be complete (see `required_by`)."""
    import pytest  # noqa: PLC0415 - only tests call this; the daemons never import pytest

    demanded = required_by()
    if demanded:
        pytest.fail(f"{demanded} requires this test to run, but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def external_master_url() -> str | None:
    """The master of an existing cluster the suites should drive, from MESOS_MASTER_URL."""
    url = os.environ.get(MASTER_URL_VARIABLE, "").strip()
    return url.rstrip("/") or None


def require_loopback(what: str = "starts or kills daemons itself") -> None:
    """Skip (or fail, see `skip_or_fail`) a test that needs a cluster of its own when
    MESOS_MASTER_URL points the suite at an external one."""
    url = external_master_url()
    if url:
        skip_or_fail(
            f"the test {what}, and {MASTER_URL_VARIABLE}={url} points at an external cluster"
        )


def require_root(what: str) -> None:
    """Skip (or fail, see `skip_or_fail`) a test that needs root for `what`."""
    if os.geteuid() != 0:
        skip_or_fail(f"{what} needs root and this runs as uid {os.geteuid()}")
