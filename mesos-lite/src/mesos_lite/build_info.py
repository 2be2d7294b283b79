"""The build the master and agent report on /version, /state and v1 GET_VERSION.

mesos-lite claims a fixed Apache Mesos release build so that clients that look at it see
the version whose behaviour mesos-lite reproduces.
"""

from __future__ import annotations

from typing import Any

from mesos_lite import MESOS_VERSION

BUILD_DATE = "2020-11-24 10:00:00"
BUILD_TIME = 1606212000.0
BUILD_USER = "mesos-lite"
GIT_SHA = "e7fb5a5e1c3c4aa9f1d1f8e2d2b8a2c0b6f2a1c3"


def version_info() -> dict[str, Any]:
    """Mesos's VersionInfo: the body of /version and of v1 GET_VERSION."""
    return {
        "version": MESOS_VERSION,
        "build_date": BUILD_DATE,
        "build_time": BUILD_TIME,
        "build_user": BUILD_USER,
        "git_sha": GIT_SHA,
    }
