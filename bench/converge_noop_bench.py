"""Time a no-op converge of a converged cluster: what an operator pays for every site.yml run.

Runs `ansible-playbook site.yml -i INVENTORY` with the profile_tasks callback, once to
converge (unless --no-warmup) and then --runs times on the converged cluster, and prints for
the measured runs: the wall time, the number of task headers, the PLAY RECAP's changed count
and the ten slowest tasks of the fastest run. Exit 1 when a measured run changed something
or failed: a no-op run that is not a no-op is a bug, not a figure.

The default inventory is the local cluster (1 ZooKeeper, 1 master, 3 agents as containers).
Create it first and run this under the docker lock, as everything that uses containers:

    source bin/lib.sh && activate_venv
    flock /tmp/molecule.lock ansible-playbook playbooks/local-cluster.yml
    flock /tmp/molecule.lock python bench/converge_noop_bench.py [--runs 3] [--no-warmup]
    flock /tmp/molecule.lock bin/demo destroy

--project DIR measures another checkout's site.yml and roles (e.g. an export of main, to
compare before and after on the same machine and cluster).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# profile_tasks prints one line per task: "<play/role : task name> ---- 1.23s".
PROFILE_LINE = re.compile(r"^(?P<task>.+?) -{3,} (?P<seconds>\d+\.\d+)s\s*$")
RECAP_LINE = re.compile(
    r"^(?P<host>\S+)\s+: ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)"
)
TASK_HEADER = re.compile(r"^(TASK|RUNNING HANDLER) \[")

log = logging.getLogger("converge_noop_bench")


@dataclass(frozen=True)
class Run:
    seconds: float
    task_headers: int
    changed: int
    failed: int
    slowest: list[tuple[str, float]]


def converge(project: Path, inventory: str) -> tuple[float, str, int]:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(project / "ansible.cfg"),
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all",
        "PROFILE_TASKS_SORT_ORDER": "descending",
        "ANSIBLE_NOCOLOR": "1",
    }
    started = time.monotonic()
    completed = subprocess.run(
        ["ansible-playbook", "site.yml", "-i", inventory],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.monotonic() - started, completed.stdout + completed.stderr, completed.returncode


def parse(seconds: float, output: str, returncode: int) -> Run:
    lines = output.splitlines()
    recap = [match for line in lines if (match := RECAP_LINE.match(line))]
    # The profile summary follows the PLAY RECAP; task lines before it are progress output.
    summary_start = next(
        (i for i, line in enumerate(lines) if line.startswith("PLAY RECAP")), len(lines)
    )
    timings = [
        (match["task"].strip(), float(match["seconds"]))
        for line in lines[summary_start:]
        if (match := PROFILE_LINE.match(line))
    ]
    timings.sort(key=lambda timing: timing[1], reverse=True)
    failed = sum(int(m["failed"]) + int(m["unreachable"]) for m in recap) + (returncode != 0)
    return Run(
        seconds=seconds,
        task_headers=sum(1 for line in lines if TASK_HEADER.match(line)),
        changed=sum(int(m["changed"]) for m in recap),
        failed=failed,
        slowest=timings[:10],
    )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--inventory", default="inventory/local", help="inventory (default inventory/local)"
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=REPO_ROOT,
        help="checkout whose site.yml runs (default: this one)",
    )
    parser.add_argument("--runs", type=int, default=3, help="measured no-op runs (default 3)")
    parser.add_argument(
        "--no-warmup", action="store_true", help="the cluster is converged already: measure at once"
    )
    parser.add_argument("--log", type=Path, help="write each run's full output here (suffixed .N)")
    return parser.parse_args()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_arguments()
    project = args.project.resolve()
    if not args.no_warmup:
        seconds, output, returncode = converge(project, args.inventory)
        log.info("warm-up converge: %.1f s, rc %d", seconds, returncode)
        if returncode != 0:
            log.error("the warm-up converge failed:\n%s", output[-4000:])
            return 1
    runs = []
    for number in range(1, args.runs + 1):
        seconds, output, returncode = converge(project, args.inventory)
        if args.log:
            args.log.with_suffix(f".{number}").write_text(output)
        run = parse(seconds, output, returncode)
        runs.append(run)
        log.info(
            "no-op run %d: %.1f s, %d task headers, changed=%d, failed=%d",
            number,
            run.seconds,
            run.task_headers,
            run.changed,
            run.failed,
        )
        if run.failed:
            log.error("the run failed:\n%s", output[-4000:])
    best = min(runs, key=lambda run: run.seconds)
    times = sorted(run.seconds for run in runs)
    log.info(
        "\nno-op site.yml on %s (%s): fastest %.1f s, median %.1f s, slowest %.1f s;"
        " %d task headers",
        args.inventory,
        project,
        times[0],
        times[len(times) // 2],
        times[-1],
        best.task_headers,
    )
    log.info("ten slowest tasks of the fastest run:")
    for task, seconds in best.slowest:
        log.info("  %6.2f s  %s", seconds, task)
    not_noop = [run for run in runs if run.changed or run.failed]
    if not_noop:
        log.error(
            "%d of %d runs changed something or failed: not a no-op", len(not_noop), len(runs)
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
