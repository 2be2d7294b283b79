"""One `submit`: find the master, build the plan, run the driver, collect the report."""

from __future__ import annotations

import logging
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pymesos.process

from mesos_probe import state_file
from mesos_probe.framework_info import RunPlan, framework_info
from mesos_probe.leader_watch import LeaderWatch
from mesos_probe.master import (
    AuthenticationError,
    AuthorizationError,
    MasterError,
    MasterSpec,
    active_agents,
    authentication_failed,
    check_scheduler_credentials,
    current_leader,
    find_leader,
    master_state,
)
from mesos_probe.placement import RunPlacement
from mesos_probe.progress import ProgressDisplay
from mesos_probe.report import (
    EXIT_AUTHENTICATION,
    EXIT_AUTHORIZATION,
    RunReport,
    agent_result,
    missing_agent,
)
from mesos_probe.scheduler import ProbeScheduler
from mesos_probe.scheduler_driver import ProbeSchedulerDriver

logger = logging.getLogger(__name__)

# pymesos' only report of a refused SUBSCRIBE: RuntimeError("Failed with HTTP <code>: <body>").
REFUSED_SUBSCRIBE = re.compile(r"Failed with HTTP (\d{3})")

TICK_SECONDS = 0.2
STATE_SAVE_SECONDS = 0.5
STOP_JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class SubmitOptions:
    master: MasterSpec
    timeout: float
    expect_agents: int | None = None
    cpus: float = 0.1
    mem: float = 32.0
    command: str | None = None
    command_timeout: float | None = None
    hold: float = 0.0
    name: str = "mesos-probe"
    role: str = "*"
    user: str = "nobody"
    principal: str | None = None
    secret: str | None = None
    max_attempts: int = 3
    executor_python: str = "python3"
    state_file: Path | None = None
    failover_timeout: float = 600.0
    lost_agent_timeout: float = 60.0


class SubmitError(Exception):
    """The run could not start: master unreachable, nothing to probe, bad state file."""


class _Interrupts:
    """SIGINT/SIGTERM and pymesos' I/O-thread failures, turned into flags for the main loop.

    pymesos reports a dead I/O thread by interrupting the main thread and re-raising the
    thread's exception from its SIGINT handler; taking that handler over lets the run stop
    cleanly and name the cause instead of unwinding from an arbitrary line.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.user_interrupt = False
        self.driver_failure: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        failure = getattr(pymesos.process, "_exc_info", None)
        if signum == signal.SIGINT and failure is not None:
            pymesos.process._exc_info = None
            self.driver_failure = str(failure[1]) or type(failure[1]).__name__
        else:
            self.user_interrupt = True
        self.stop.set()


def new_run_id() -> str:
    return f"probe-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def run_submission(
    options: SubmitOptions,
    display: ProgressDisplay | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RunReport:
    started = clock()
    deadline = started + options.timeout
    saved = _load_saved(options.state_file)

    leader = find_leader(options.master, deadline, options.principal, options.secret)
    logger.info("leading master: %s", leader)
    check_scheduler_credentials(
        leader, max(0.5, min(5.0, deadline - clock())), options.principal, options.secret
    )
    known_agents: dict[str, str] = {}
    try:
        state = master_state(
            leader, max(0.5, min(10.0, deadline - clock())), options.principal, options.secret
        )
        known_agents = {
            str(agent.get("id")): str(agent.get("hostname", "")) for agent in active_agents(state)
        }
    except (AuthenticationError, AuthorizationError):
        raise
    except MasterError as problem:
        if options.expect_agents is None and saved is None:
            raise
        logger.warning("cannot list the master's agents (%s); going on", problem)

    if saved is not None:
        run_id, expected = saved.run_id, saved.expected_agents
        logger.info(
            "resuming run %s (framework %s) from %s", run_id, saved.framework_id, options.state_file
        )
    else:
        run_id = new_run_id()
        expected = options.expect_agents or len(known_agents)
    if expected < 1:
        raise SubmitError(
            f"the master at {leader} reports no active agents, so there is nothing to probe "
            "(start agents, or pass --expect-agents N to wait for them)"
        )

    plan = RunPlan(
        run_id=run_id,
        expected_agents=expected,
        framework_name=options.name,
        user=options.user,
        hostname=socket.gethostname(),
        roles=(options.role,),
        principal=options.principal,
        failover_timeout=options.failover_timeout,
        lost_agent_timeout=options.lost_agent_timeout,
        cpus=options.cpus,
        mem=options.mem,
        command=options.command,
        command_timeout=options.command_timeout,
        hold=options.hold,
        executor_python=options.executor_python,
        max_attempts=options.max_attempts,
    )
    placement = RunPlacement(run_id, expected, options.max_attempts)
    if saved is not None:
        for slot in saved.slots:
            placement.restore_slot(slot)

    dirty = threading.Event()
    scheduler = ProbeScheduler(plan, placement, on_change=dirty.set)
    framework_id = saved.framework_id if saved else None
    scheduler.framework_id = framework_id
    driver = ProbeSchedulerDriver(
        scheduler,
        framework_info(plan, framework_id),
        options.master.driver_uri(leader),
        use_addict=False,
        implicit_acknowledgements=False,
        principal=options.principal,
        secret=options.secret,
        failover=False,
        timeout=max(1.0, deadline - clock()),
    )
    logger.info("run %s: one task on each of %d agent(s) via %s", run_id, expected, leader)

    timed_out = False
    keep_framework = False
    error: str | None = None
    failure_exit: int | None = None
    # pymesos can get stuck retrying a dead former leader (see leader_watch).
    watch = LeaderWatch(
        driver,
        lambda: scheduler.connected,
        lambda timeout: current_leader(options.master, timeout, options.principal, options.secret),
    )
    with _Interrupts() as interrupts:
        driver.start()
        watch.start()
        last_saved = 0.0
        try:
            while not scheduler.done.wait(TICK_SECONDS):
                now = clock()
                if interrupts.stop.is_set():
                    break
                scheduler.tick(driver)
                if display is not None:
                    display.update(scheduler.snapshot(), now - started)
                if options.state_file and dirty.is_set() and now - last_saved > STATE_SAVE_SECONDS:
                    dirty.clear()
                    last_saved = now
                    _save(options.state_file, scheduler, finished=False)
                if now >= deadline:
                    timed_out = True
                    break
        finally:
            watch.stop()
            if display is not None:
                display.update(scheduler.snapshot(), clock() - started)
                display.close()
            refusal = _refusal(options, plan, driver.master or leader, interrupts, scheduler)
            if refusal is not None:
                failure_exit, error = refusal
            elif interrupts.driver_failure:
                error = f"the scheduler driver stopped: {interrupts.driver_failure}"
            elif scheduler.fatal_error:
                error = f"the master ended the framework: {scheduler.fatal_error}"
            elif scheduler.registrations == 0:
                error = (
                    f"could not register with the master at {leader} within {options.timeout:g}s"
                )
            # Interrupted with a state file: leave the framework registered (until its
            # failover_timeout) so the same command can resume the run.
            keep_framework = interrupts.user_interrupt and options.state_file is not None
            if options.state_file:
                # A refused run stays resumable once the credentials or ACLs are fixed.
                finished = not keep_framework and failure_exit is None
                _save(options.state_file, scheduler, finished=finished)
            with scheduler.lock:
                scheduler.stopping = True
            _stop(driver, keep_framework)

    report = build_report(
        scheduler,
        leader,
        known_agents,
        clock() - started,
        timed_out,
        error,
        interrupts.user_interrupt,
    )
    report.failure_exit = failure_exit
    if keep_framework:
        logger.warning(
            "interrupted; framework %s stays registered for %gs: run the same command with "
            "--state-file %s to resume",
            scheduler.framework_id,
            options.failover_timeout,
            options.state_file,
        )
    return report


def _refusal(
    options: SubmitOptions,
    plan: RunPlan,
    master: str,
    interrupts: _Interrupts,
    scheduler: ProbeScheduler,
) -> tuple[int, str] | None:
    """(exit code, message) when the master refused who we are or what we asked."""
    refused = REFUSED_SUBSCRIBE.search(interrupts.driver_failure or "")
    if refused and refused.group(1) == "401":
        return EXIT_AUTHENTICATION, str(authentication_failed(options.principal, master))
    if interrupts.driver_failure and not refused and scheduler.registrations == 0:
        # pymesos 0.3.15 can fail while formatting a refused SUBSCRIBE (a TypeError instead
        # of "Failed with HTTP 401"), so ask the master again ourselves.
        try:
            check_scheduler_credentials(master, 3.0, options.principal, options.secret)
        except AuthenticationError as error:
            return EXIT_AUTHENTICATION, str(error)
    who = f"principal '{options.principal}'" if options.principal else "no principal"
    if refused and refused.group(1) == "403":
        return EXIT_AUTHORIZATION, (
            f"the master at {master} refused to register framework '{plan.framework_name}' "
            f"({who}, role '{','.join(plan.roles)}'): HTTP 403 Forbidden"
        )
    if scheduler.fatal_error is not None and scheduler.registrations == 0:
        # Mesos refuses a subscription it may not authorize with an ERROR event.
        return EXIT_AUTHORIZATION, (
            f"the master at {master} refused to register framework '{plan.framework_name}' "
            f"({who}, role '{','.join(plan.roles)}'): {scheduler.fatal_error}"
        )
    return None


def build_report(
    scheduler: ProbeScheduler,
    master: str,
    known_agents: dict[str, str],
    elapsed: float,
    timed_out: bool,
    error: str | None,
    interrupted: bool,
) -> RunReport:
    with scheduler.lock:
        slots = sorted(
            scheduler.placement.slots.values(), key=lambda slot: (slot.hostname, slot.agent_id)
        )
        rows = [agent_result(slot, timed_out) for slot in slots]
        room = scheduler.placement.expected_agents - len(rows)
        unplaced = [agent for agent in known_agents if agent not in scheduler.placement.slots]
        for agent_id in sorted(unplaced, key=lambda a: (known_agents[a], a))[: max(0, room)]:
            why = scheduler.unfit_agents.get(agent_id) or (
                "agent lost before a task was placed"
                if agent_id in scheduler.lost_agents
                else "no usable offer from this agent before the run ended"
            )
            rows.append(missing_agent(agent_id, known_agents[agent_id], why))
        offers = scheduler.offers
        return RunReport(
            run_id=scheduler.plan.run_id,
            master=master,
            expected=scheduler.placement.expected_agents,
            agents=rows,
            framework_id=scheduler.framework_id,
            elapsed_seconds=elapsed,
            timed_out=timed_out,
            error=error,
            interrupted=interrupted,
            offers={
                "received": offers.received,
                "launched": offers.launched,
                "declined": offers.declined,
                "duplicates": offers.duplicates,
                "rescinded": offers.rescinded,
            },
        )


def _load_saved(path: Path | None) -> state_file.SavedRun | None:
    if path is None:
        return None
    try:
        saved = state_file.load(path)
    except state_file.StateFileError as error:
        raise SubmitError(str(error)) from error
    if saved is None or saved.finished:
        return None
    return saved


def _save(path: Path, scheduler: ProbeScheduler, finished: bool) -> None:
    with scheduler.lock:
        saved = state_file.SavedRun(
            run_id=scheduler.plan.run_id,
            framework_id=scheduler.framework_id,
            expected_agents=scheduler.placement.expected_agents,
            finished=finished,
            slots=[slot.to_dict() for slot in scheduler.placement.slots.values()],
        )
    try:
        state_file.save(path, saved)
    except state_file.StateFileError as error:
        logger.warning("%s", error)


def _stop(driver: ProbeSchedulerDriver, keep_framework: bool) -> None:
    try:
        driver.stop(failover=keep_framework)
    except Exception as error:  # stopping must never hide the report
        logger.warning("stopping the scheduler driver: %s", error)
    # The I/O thread may sit in a reconnect back-off sleep; it is a daemon thread, so a
    # bounded join is enough and exiting does not wait for it.
    thread = getattr(driver, "_io_thread", None)
    if thread is not None:
        thread.join(STOP_JOIN_SECONDS)
