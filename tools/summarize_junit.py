#!/usr/bin/env python3
"""Add up pytest JUnit XML reports and print one closing line: 'N passed, N failed, N skipped'.

bin/test runs several pytest suites; this gives the whole run one summary. A missing or
unreadable report counts as a failure, so a suite that crashed before writing one is not
silently dropped.
"""

from __future__ import annotations

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


def main(paths: list[str]) -> int:
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
