#!/usr/bin/env python3
"""Add up pytest JUnit XML reports and print one closing line: 'N passed, N failed, N skipped'.

bin/test runs several pytest suites; this gives the whole run one summary. A missing or
unreadable report counts as a failure, so a suite that crashed before writing one is not
silently dropped. Tests run once per Debian release of the test hosts (ids ending in
"-<release>]", e.g. the default molecule scenario's "default-trixie") are also counted per
release, one line each before the total (releases from MESOS_TESTHOST_RELEASES).
"""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count(report: Path) -> tuple[int, int, int]:
    """Return (passed, failed, skipped) for one report."""
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError):
        return 0, 1, 0
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = failures = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failures - skipped, failures, skipped


def count_by_release(reports: list[Path], releases: list[str]) -> dict[str, list[int]]:
    """Return {release: [passed, failed, skipped]} over the test cases whose id ends in it."""
    totals = {release: [0, 0, 0] for release in releases}
    for report in reports:
        try:
            cases = ET.parse(report).getroot().iter("testcase")
        except (OSError, ET.ParseError):
            continue
        for case in cases:
            name = case.get("name", "")
            release = next((r for r in releases if name.endswith(f"-{r}]")), None)
            if release is None:
                continue
            outcome = 1 if case.find("failure") is not None or case.find("error") is not None \
                else 2 if case.find("skipped") is not None else 0
            totals[release][outcome] += 1
    return totals


def main(paths: list[str]) -> int:
    releases = os.environ.get("MESOS_TESTHOST_RELEASES", "").split()
    for release, (p, f, s) in count_by_release([Path(n) for n in paths], releases).items():
        print(f"tests on the {release} test hosts: {p} passed, {f} failed, {s} skipped")
    passed = failed = skipped = 0
    for name in paths:
        p, f, s = count(Path(name))
        passed, failed, skipped = passed + p, failed + f, skipped + s
    if not paths:
        failed = 1
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
