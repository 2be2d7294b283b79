"""The Driver: builds FrameworkInfo and ExecutorInfo, runs pymesos' scheduler driver with
the Scheduler until the Scheduler stops it, and keeps the state file.

One `Driver(plan).run()` is one `mesos-probe submit`: find the leading master and its
agents, start the driver, wait. The Scheduler calls `driver.stop()` itself once every agent
is finished (or the master ended the framework); the Driver stops it only when the run
times out or is interrupted. Either way the state file records the end before pymesos
tears the framework down.
"""

from __future__ import annotations

import logging
import shlex
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pymesos import MesosSchedulerDriver

from mesos_probe.scheduler_host import outcome, state_file
from mesos_probe.scheduler_host.interrupts import Interrupts
from mesos_probe.scheduler_host.leader_lookup import (
    AuthenticationError,
    AuthorizationError,
    MasterError,
    active_agents,
    check_scheduler_credentials,
    current_leader,
    find_leader,
    master_state,
)
from mesos_probe.scheduler_host.leader_watch import LeaderWatch
from mesos_probe.scheduler_host.placement import RunPlacement
from mesos_probe.scheduler_host.plan import RunPlan
from mesos_probe.scheduler_host.progress import ProgressDisplay
from mesos_probe.scheduler_host.report import RunReport
from mesos_probe.scheduler_host.resources import scalar
from mesos_probe.scheduler_host.scheduler import ProbeScheduler

logger = logging.getLogger(__name__)

# Small fixed share for the executor process itself, on top of the task's --cpus/--mem.
EXECUTOR_CPUS = 0.05
EXECUTOR_MEM = 32.0
CAPABILITIES = ("MULTI_ROLE", "PARTITION_AWARE", "TASK_KILLING_STATE")
# What the agent runs: the module `mesos_probe.agent_host.executor`.
EXECUTOR_MODULE = "mesos_probe.agent_host.executor"

TICK_SECONDS = 0.2
STATE_SAVE_SECONDS = 0.5
STOP_JOIN_SECONDS = 5.0


class SubmitError(Exception):
    """The run could not start: master unreachable, nothing to probe, bad state file."""


# -- what the Driver tells Mesos -----------------------------------------------------------
def framework_info(plan: RunPlan, framework_id: str | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": plan.name,
        "user": plan.user,
        "hostname": plan.hostname,
        "failover_timeout": plan.failover_timeout,
        "checkpoint": True,
        "roles": list(plan.roles),
        "capabilities": [{"type": name} for name in (*CAPABILITIES, *plan.extra_capabilities)],
    }
    if plan.principal:
        info["principal"] = plan.principal
    if framework_id:
        info["id"] = {"value": framework_id}
    return info


def executor_info(plan: RunPlan) -> dict[str, Any]:
    """The ExecutorInfo every task carries; the Scheduler gives each task its own
    executor_id and carves `resources` out of the offer it launches on."""
    return {
        "name": f"{plan.name} executor",
        "source": plan.name,
        "command": {
            "value": f"{shlex.quote(plan.executor_python)} -m {EXECUTOR_MODULE}",
            "shell": True,
        },
        "resources": [scalar("cpus", EXECUTOR_CPUS), scalar("mem", EXECUTOR_MEM)],
    }


# -- pymesos' driver, as the Driver runs it ------------------------------------------------
class ProbeSchedulerDriver(MesosSchedulerDriver):
    """pymesos' scheduler driver with two changes.

    Reconciliation names each task's agent: pymesos 0.3.15 sends task ids only, and Mesos
    answers best when the agent id is given too (it can then say TASK_GONE for a task its
    registered agent no longer has, rather than answering from a partial view).

    `stop()` runs `before_stop(failover)` first, whoever calls it (the Scheduler on its
    I/O-thread callbacks, or the Driver), so the state file records the end before the
    framework is torn down; `stopped` tells the Driver's wait loop.
    """

    def __init__(self, *args: Any, before_stop: Callable[[bool], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopped = threading.Event()
        self._before_stop = before_stop
        self._stop_lock = threading.Lock()

    def stop(self, failover: bool = False) -> None:
        with self._stop_lock:
            if self.stopped.is_set():
                return
            self._before_stop(failover)
            self.stopped.set()
        super().stop(failover)

    def reconcileTasks(self, tasks: list[dict[str, Any]]) -> None:  # noqa: N802 (pymesos API)
        if not self.connected:
            return
        framework_id = self.framework_id
        if not framework_id:
            return
        entries = []
        for task in tasks:
            entry = {"task_id": task["task_id"]}
            if task.get("agent_id"):
                entry["agent_id"] = task["agent_id"]
            entries.append(entry)
        self._send(
            {
                "type": "RECONCILE",
                "framework_id": {"value": framework_id},
                "reconcile": {"tasks": entries},
            }
        )


class StateKeeper:
    """--state-file while the run goes on: saved when the run changed (at most every
    STATE_SAVE_SECONDS) and once at the end; nothing is written after the end."""

    def __init__(self, path: Path | None, scheduler: ProbeScheduler) -> None:
        self.path = path
        self.scheduler = scheduler
        self.dirty = threading.Event()
        self._lock = threading.Lock()
        self._closed = False
        self._last_saved = 0.0

    def save_if_due(self, now: float) -> None:
        if (
            self.path is None
            or not self.dirty.is_set()
            or now - self._last_saved <= STATE_SAVE_SECONDS
        ):
            return
        self.dirty.clear()
        self._last_saved = now
        self._write(finished=False, final=False)

    def close(self, finished: bool) -> None:
        if self.path is not None:
            self._write(finished=finished, final=True)

    def _write(self, finished: bool, final: bool) -> None:
        assert self.path is not None
        scheduler = self.scheduler
        # The snapshot is taken before our own lock: the Scheduler may call stop() (and so
        # close()) while holding its lock, so ours is only ever taken after the Scheduler's.
        with scheduler.lock:
            saved = state_file.SavedRun(
                run_id=scheduler.placement.run_id,
                framework_id=scheduler.framework_id,
                expected_agents=scheduler.placement.expected_agents,
                finished=finished,
                slots=[slot.to_dict() for slot in scheduler.placement.slots.values()],
            )
        with self._lock:
            if self._closed:
                return
            self._closed = final
            try:
                state_file.save(self.path, saved)
            except state_file.StateFileError as error:
                logger.warning("%s", error)


def new_run_id() -> str:
    return f"probe-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


# -- the Driver ----------------------------------------------------------------------------
class Driver:
    def __init__(
        self,
        plan: RunPlan,
        display: ProgressDisplay | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.display = display
        self.clock = clock
        self._refusal: tuple[int, str] | None = None
        self._refusal_known = False
        self._refusal_lock = threading.Lock()

    def run(self) -> RunReport:
        plan, clock = self.plan, self.clock
        started = clock()
        deadline = started + plan.timeout
        saved = _load_saved(plan.state_file)
        leader, known_agents = self._survey_master(deadline, saved)
        placement = self._placement(saved, leader, known_agents)

        scheduler = ProbeScheduler(plan, placement, executor_info(plan))
        state = StateKeeper(plan.state_file, scheduler)
        scheduler.on_change = state.dirty.set
        scheduler.framework_id = saved.framework_id if saved else None
        interrupts = Interrupts()

        def before_stop(failover: bool) -> None:
            # A refused run stays resumable once the credentials or ACLs are fixed, and so
            # does an interrupted one whose framework stays registered (failover).
            refused = self._refusal_once(driver.master or leader, interrupts, scheduler)
            state.close(finished=not failover and refused is None)

        driver = ProbeSchedulerDriver(
            scheduler,
            framework_info(plan, scheduler.framework_id),
            plan.master.driver_uri(leader),
            before_stop=before_stop,
            use_addict=False,
            implicit_acknowledgements=False,
            principal=plan.principal,
            secret=plan.secret,
            failover=False,
            timeout=max(1.0, deadline - clock()),
        )
        logger.info(
            "run %s: one task on each of %d agent(s) via %s",
            placement.run_id,
            placement.expected_agents,
            leader,
        )
        # pymesos can get stuck retrying a dead former leader (see leader_watch).
        watch = LeaderWatch(
            driver,
            lambda: scheduler.connected,
            lambda timeout: current_leader(plan.master, timeout, plan.principal, plan.secret),
        )
        with interrupts:
            driver.start()
            watch.start()
            try:
                timed_out = self._wait(driver, scheduler, state, interrupts, started, deadline)
            finally:
                watch.stop()
                if self.display is not None:
                    self.display.update(scheduler.snapshot(), clock() - started)
                    self.display.close()
                # Interrupted with a state file: leave the framework registered (until its
                # failover_timeout) so the same command can resume the run.
                keep_framework = interrupts.user_interrupt and plan.state_file is not None
                self._refusal_once(driver.master or leader, interrupts, scheduler)
                scheduler.stop(driver, failover=keep_framework)
                _join(driver)

        report = outcome.build_report(
            scheduler,
            leader,
            known_agents,
            clock() - started,
            timed_out,
            outcome.run_error(plan, leader, interrupts.driver_failure, scheduler, self._refusal),
            interrupts.user_interrupt,
        )
        report.failure_exit = self._refusal[0] if self._refusal else None
        if keep_framework:
            logger.warning(
                "interrupted; framework %s stays registered for %gs: run the same command with "
                "--state-file %s to resume",
                scheduler.framework_id,
                plan.failover_timeout,
                plan.state_file,
            )
        return report

    def _wait(
        self,
        driver: ProbeSchedulerDriver,
        scheduler: ProbeScheduler,
        state: StateKeeper,
        interrupts: Interrupts,
        started: float,
        deadline: float,
    ) -> bool:
        """Until the Scheduler stops the driver, an interrupt, or the deadline (True)."""
        while not driver.stopped.wait(TICK_SECONDS):
            now = self.clock()
            if interrupts.stop.is_set():
                return False
            scheduler.tick(driver)
            if self.display is not None:
                self.display.update(scheduler.snapshot(), now - started)
            state.save_if_due(now)
            if now >= deadline:
                return True
        return False

    def _placement(
        self, saved: state_file.SavedRun | None, leader: str, known_agents: dict[str, str]
    ) -> RunPlacement:
        """A new run's placement, or the saved run's to resume."""
        if saved is not None:
            run_id, expected = saved.run_id, saved.expected_agents
            logger.info(
                "resuming run %s (framework %s) from %s",
                run_id,
                saved.framework_id,
                self.plan.state_file,
            )
        else:
            run_id = new_run_id()
            expected = self.plan.expect_agents or len(known_agents)
        if expected < 1:
            raise SubmitError(
                f"the master at {leader} reports no active agents, so there is nothing to probe "
                "(start agents, or pass --expect-agents N to wait for them)"
            )
        placement = RunPlacement(run_id, expected, self.plan.max_attempts)
        for slot in saved.slots if saved is not None else []:
            placement.restore_slot(slot)
        return placement

    def _survey_master(
        self, deadline: float, saved: state_file.SavedRun | None
    ) -> tuple[str, dict[str, str]]:
        """(leading master, {agent id: hostname} of its active agents)."""
        plan, clock = self.plan, self.clock
        leader = find_leader(plan.master, deadline, plan.principal, plan.secret)
        logger.info("leading master: %s", leader)
        check_scheduler_credentials(
            leader, max(0.5, min(5.0, deadline - clock())), plan.principal, plan.secret
        )
        known_agents: dict[str, str] = {}
        try:
            state = master_state(
                leader, max(0.5, min(10.0, deadline - clock())), plan.principal, plan.secret
            )
            known_agents = {
                str(agent.get("id")): str(agent.get("hostname", ""))
                for agent in active_agents(state)
            }
        except (AuthenticationError, AuthorizationError):
            raise
        except MasterError as problem:
            if plan.expect_agents is None and saved is None:
                raise
            logger.warning("cannot list the master's agents (%s); going on", problem)
        return leader, known_agents

    def _refusal_once(
        self, master: str, interrupts: Interrupts, scheduler: ProbeScheduler
    ) -> tuple[int, str] | None:
        """Whether the master refused us, decided once (it may ask the master again)."""
        with self._refusal_lock:
            if not self._refusal_known:
                self._refusal = outcome.refusal(
                    self.plan, master, interrupts.driver_failure, scheduler
                )
                self._refusal_known = True
            return self._refusal


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


def _join(driver: ProbeSchedulerDriver) -> None:
    # The I/O thread may sit in a reconnect back-off sleep; it is a daemon thread, so a
    # bounded join is enough and exiting does not wait for it.
    thread = getattr(driver, "_io_thread", None)
    if thread is not None and thread is not threading.current_thread():
        thread.join(STOP_JOIN_SECONDS)
