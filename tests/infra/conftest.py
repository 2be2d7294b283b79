"""Collect only the checks this molecule scenario has something for, and on a failed check show
what an operator would look at next: the services' journal on the host under test and the
leading master's state.

A check marked `@pytest.mark.scenarios("ha", ...)` (or a module with that pytestmark) is
collected only when molecule runs one of those scenarios (MOLECULE_SCENARIO_NAME): the default
scenario has no secrets to look for and no second master to fail over to, so those checks are
not run there, rather than passing with nothing checked. The choice is by scenario name, never
by what the hosts show, so a scenario whose security broke still runs its security checks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from typing import Any

import pytest
from mesos_facts import (
    AGENT_SERVICE,
    MASTER_SERVICE,
    ZOOKEEPER_SERVICE,
    leading_master_state,
)

JOURNAL_LINES = 40


def _journal(host: Any) -> str:
    units = " ".join(f"-u {unit}" for unit in (ZOOKEEPER_SERVICE, MASTER_SERVICE, AGENT_SERVICE))
    result = host.run(f"journalctl --no-pager -n {JOURNAL_LINES} {units}")
    return str(result.stdout or result.stderr)


def _master_summary() -> str:
    try:
        state = leading_master_state()
    except AssertionError as error:
        return str(error)
    summary = {
        "leader": state.get("leader"),
        "activated_slaves": state.get("activated_slaves"),
        "slaves": [(s.get("hostname"), s.get("active")) for s in state.get("slaves", [])],
        "frameworks": [
            {"id": f.get("id"), "name": f.get("name"),
             "tasks": [(t.get("slave_id"), t.get("state")) for t in f.get("tasks", [])]}
            for f in state.get("frameworks", []) + state.get("completed_frameworks", [])
        ],
    }
    return json.dumps(summary, indent=1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    host = getattr(item, "funcargs", {}).get("host")
    sections = []
    if host is not None:
        sections.append(f"journal of {host.backend.get_hostname()}:\n{_journal(host)}")
    sections.append(f"leading master:\n{_master_summary()}")
    report.sections.append(("cluster diagnostics", "\n\n".join(sections)))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scenarios(*names): collected only in these molecule scenarios")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scenario = os.environ.get("MOLECULE_SCENARIO_NAME")
    if not scenario:
        raise pytest.UsageError("tests/infra runs under molecule's verifier: "
                                "MOLECULE_SCENARIO_NAME is not set")
    elsewhere = [item for item in items if (marker := item.get_closest_marker("scenarios"))
                 and scenario not in marker.args]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if item not in elsewhere]
