#!/usr/bin/env python3
"""bin/test's summary: every step's wall time and result, every suite's counts, every skip with
its reason, and one closing line `total: N passed, N failed, N skipped` (CI parses it).

    summarize_junit.py STEPS_TSV [EXTRA_REPORT.xml ...]

STEPS_TSV has one line per step bin/test ran: name, wall seconds, status (passed, failed or
unselected: pytest found no test matching bin/test's -k), and the JUnit report the step wrote
(empty for a lint step). A step without a report is one result. A step with a report counts
each test case in it; when the step failed and its report shows no failure (a crash, a missing
or unreadable report), the step itself counts as one failure, so a failure can never vanish
from the total. The extra reports are the testinfra checks molecule's verifier ran inside the
`molecule` step, counted as suites of their own.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    skip_reasons: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def line(self) -> str:
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def read_report(report: Path) -> Counts | None:
    """The counts of one JUnit report, or None when it is missing or unreadable."""
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError):
        return None
    counts = Counts()
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            counts.failed += 1
        elif (skipped := case.find("skipped")) is not None:
            counts.skipped += 1
            counts.skip_reasons.append(f"{name}: {skipped.get('message', 'no reason given')}")
        else:
            counts.passed += 1
    return counts


@dataclass
class Step:
    name: str
    seconds: float
    status: str
    report: str


def read_steps(steps_file: Path) -> list[Step]:
    steps = []
    for line in steps_file.read_text().splitlines():
        if line.strip():
            name, seconds, status, report = [*line.split("\t"), ""][:4]
            steps.append(Step(name, float(seconds), status, report))
    return steps


def step_counts(step: Step) -> Counts:
    if not step.report:
        return Counts(passed=int(step.status == "passed"), failed=int(step.status == "failed"))
    counts = read_report(Path(step.report)) or Counts()
    if step.status == "failed" and not counts.failed:
        counts.failed += 1
    return counts


def summarize(steps: list[Step], extra_reports: list[Path]) -> tuple[list[str], Counts]:
    rows: list[tuple[str, str, Counts]] = []
    for step in steps:
        status = "" if step.status in ("passed", "failed") else f" ({step.status})"
        rows.append((step.name + status, f"{step.seconds:.0f} s", step_counts(step)))
    for report in extra_reports:
        counts = read_report(report)
        if counts is None:
            counts = Counts(failed=1)
        # The testinfra checks run inside `pytest: molecule NAME`, whose wall time includes them.
        rows.append((f"  {report.stem} (in pytest: molecule)", "", counts))
    total = Counts()
    lines = [f"{'step':<44} {'wall':>7}  results"]
    for name, wall, counts in rows:
        lines.append(f"{name:<44} {wall:>7}  {counts.line()}")
        total.add(counts)
        label = name.strip().removesuffix(" (in pytest: molecule)")
        total.skip_reasons += [f"{label}: {reason}" for reason in counts.skip_reasons]
    if not steps:
        total.failed += 1
        lines.append("no step ran")
    if total.skip_reasons:
        lines.append("skipped:")
        lines += [f"  {reason}" for reason in total.skip_reasons]
    lines.append(f"total: {total.line()}")
    return lines, total


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    steps_file = Path(argv[0])
    steps = read_steps(steps_file) if steps_file.exists() else []
    lines, total = summarize(steps, [Path(name) for name in argv[1:]])
    print("\n".join(lines))
    return 1 if total.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
