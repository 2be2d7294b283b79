import sys
from pathlib import Path

import pytest

# The test doubles live next to the tests.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the recovery times the fault tests measured (test_faults.py)."""
    from probe_run import TIMINGS

    if not TIMINGS:
        return
    terminalreporter.section("fault recovery times")
    for scenario, what, seconds in TIMINGS:
        terminalreporter.write_line(f"{scenario:<20} {what:<38} {seconds:6.2f}s")
