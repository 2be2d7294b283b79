"""The Scheduler: one task per agent, retried on the same agent, results collected; it
stops the driver itself once every agent is finished.

pymesos calls these callbacks on its I/O thread; the Driver's main loop calls `tick` and
reads `snapshot`. One lock guards the run's state; driver calls are made while holding it,
and the driver never calls back into us while holding its own lock, so there is one order.
Offers are answered by `offer_handling`, status updates recorded by `status_bookkeeping`;
what the run does next (launch, revive, kill a stranger, stop) is decided here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from pymesos import Scheduler

from mesos_probe.scheduler_host.driver_calls import SchedulerDriverLike, call_driver
from mesos_probe.scheduler_host.offer_handling import OfferHandling, OfferStats
from mesos_probe.scheduler_host.placement import RunPlacement, SlotPhase, StatusOutcome
from mesos_probe.scheduler_host.plan import RunPlan
from mesos_probe.scheduler_host.progress import Progress
from mesos_probe.scheduler_host.reconciliation import Reconciliation
from mesos_probe.scheduler_host.run_context import RunContext
from mesos_probe.scheduler_host.status_bookkeeping import StatusBookkeeping
from mesos_probe.scheduler_host.task_info import TaskBuilder
from mesos_probe.scheduler_host.task_states import ACTIVE_STATES
from mesos_probe.task_spec import decode_result_message

logger = logging.getLogger(__name__)

# How long a run that is otherwise complete waits for results that a reconciliation answer
# could not carry: the agent resends its unacknowledged TASK_FINISHED (with the result)
# after 10 s, then 20 s (Mesos's status update retry interval).
RESULT_WAIT_SECONDS = 30.0


class ProbeScheduler(Scheduler):
    def __init__(
        self,
        plan: RunPlan,
        placement: RunPlacement,
        executor: dict[str, Any],
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """`executor` is the Driver's ExecutorInfo; each task gets a copy with its own
        executor_id and the executor's resources carved from the task's offer."""
        self.plan = plan
        self.placement = placement
        self.clock = clock
        self.on_change = on_change
        self.lock = threading.RLock()
        self.framework_id: str | None = None
        self.connected = False
        self.stopping = False  # set when we stop the driver: the disconnect is ours
        self.registrations = 0
        self.fatal_error: str | None = None
        self._results_awaited_since: float | None = None
        self.reconciliation = Reconciliation(clock, plan.reconcile_backoff_max)
        context = RunContext(plan, placement, self.reconciliation, clock, wall_clock)
        self.statuses = StatusBookkeeping(context)
        self.offer_handling = OfferHandling(
            context, TaskBuilder(plan, placement.run_id, executor), self.statuses
        )

    # -- what the report reads ---------------------------------------------------------------
    @property
    def offers(self) -> OfferStats:
        return self.offer_handling.stats

    @property
    def unfit_agents(self) -> dict[str, str]:
        """Agents whose offers were too small, with the reason."""
        return self.offer_handling.unfit_agents

    @property
    def lost_agents(self) -> set[str]:
        return self.statuses.lost_agents

    # -- pymesos callbacks -------------------------------------------------------------------
    def registered(self, driver: SchedulerDriverLike, frameworkId: Any, masterInfo: Any) -> None:
        with self.lock:
            self.framework_id = str(frameworkId["value"])
            logger.info(
                "registered with master %s as framework %s",
                _master_address(masterInfo),
                self.framework_id,
            )
            self._on_subscribed(driver)

    def reregistered(self, driver: SchedulerDriverLike, masterInfo: Any) -> None:
        with self.lock:
            # pymesos calls this (not `registered`) for a first SUBSCRIBE that carries a
            # framework id, i.e. when a run resumes from its state file.
            self.framework_id = getattr(driver, "framework_id", None) or self.framework_id
            logger.info(
                "re-registered with master %s as framework %s",
                _master_address(masterInfo),
                self.framework_id,
            )
            self._on_subscribed(driver)

    def disconnected(self, driver: SchedulerDriverLike) -> None:
        with self.lock:
            if self.connected and not self.stopping:
                logger.warning("disconnected from the master; pymesos reconnects")
            self.connected = False

    def resourceOffers(self, driver: SchedulerDriverLike, offers: list[Any]) -> None:
        with self.lock:
            self.offer_handling.handle(driver, offers)
            self._update_suppression(driver)
            self._changed()

    def offerRescinded(self, driver: SchedulerDriverLike, offerId: Any) -> None:
        with self.lock:
            self.offer_handling.rescinded(offerId)

    def inverseOffers(self, driver: SchedulerDriverLike, offers: list[Any]) -> None:
        # Maintenance on an agent's machine. A probe run is short and runs where it was placed:
        # it does not move work off a draining machine, and tells the master so (operators see
        # the answer in GET_MAINTENANCE_STATUS) rather than leaving the inverse offer open.
        logger.info(
            "declining %d inverse offers (maintenance on agents %s)",
            len(offers),
            ", ".join(str(o.get("agent_id", {}).get("value")) for o in offers),
        )
        driver.declineInverseOffer([o["id"] for o in offers])

    def inverseOfferRescinded(self, driver: SchedulerDriverLike, offerId: Any) -> None:
        logger.debug("inverse offer %s rescinded", offerId.get("value"))

    def statusUpdate(self, driver: SchedulerDriverLike, status: Any) -> None:
        with self.lock:
            try:
                self._handle_status(driver, status)
            finally:
                if status.get("uuid"):
                    call_driver(driver.acknowledgeStatusUpdate, status, what="acknowledge")
            self._changed()

    def frameworkMessage(
        self, driver: SchedulerDriverLike, executorId: Any, slaveId: Any, message: Any
    ) -> None:
        with self.lock:
            try:
                task_id, result = decode_result_message(str(message))
            except ValueError as error:
                logger.warning(
                    "ignoring a framework message from agent %s: %s", slaveId.get("value"), error
                )
                return
            if self.placement.record_result(task_id, result):
                logger.debug("result of task %s arrived as a framework message", task_id)
                self._check_complete(driver)
                self._changed()

    def slaveLost(self, driver: SchedulerDriverLike, slaveId: Any) -> None:
        with self.lock:
            agent_id = str(slaveId.get("value"))
            self.statuses.agent_lost(agent_id, self.hostname_of(agent_id))

    def executorLost(
        self, driver: SchedulerDriverLike, executorId: Any, slaveId: Any, status: Any
    ) -> None:
        with self.lock:
            self.statuses.executor_lost(
                str(executorId.get("value")), str(slaveId.get("value")), status
            )

    def error(self, driver: SchedulerDriverLike, message: Any) -> None:
        with self.lock:
            self.fatal_error = str(message)
            logger.error("the master reported an error: %s", message)
            self.stop(driver)

    # -- driven by the CLI's main loop ------------------------------------------------------
    def tick(self, driver: SchedulerDriverLike) -> None:
        """Time-based work: reconciliation retries and re-checks of doubtful tasks."""
        with self.lock:
            if not self.connected:
                return
            now = self.clock()
            self.statuses.recheck_doubtful(now)
            if self.statuses.give_up_on_vanished_agents(now):
                self._changed()
            self._check_complete(driver)
            if self.reconciliation.due(now):
                self._send_reconcile(driver, explicit_only=True)

    def stop(self, driver: SchedulerDriverLike, failover: bool = False) -> None:
        """Stop the driver (the first call only). `failover` keeps the framework registered
        with the master, for a run to be resumed."""
        with self.lock:
            if self.stopping:
                return
            self.stopping = True
            call_driver(driver.stop, failover, what="stop the scheduler driver")

    def snapshot(self) -> Progress:
        with self.lock:
            placement = self.placement
            return Progress(
                expected=placement.expected_agents,
                placed=len(placement.slots),
                running=placement.count(SlotPhase.ACTIVE),
                finished=placement.count(SlotPhase.FINISHED),
                failed_agents=placement.count(SlotPhase.FAILED),
                failed_attempts=placement.failed_attempt_count(),
                connected=self.connected,
                registrations=self.registrations,
            )

    def hostname_of(self, agent_id: str) -> str:
        with self.lock:
            return self.offer_handling.hostnames.get(agent_id, "")

    # -- internals -------------------------------------------------------------------------
    def _on_subscribed(self, driver: SchedulerDriverLike) -> None:
        self.connected = True
        self.registrations += 1
        # A new subscription starts unsuppressed; suppress again below if nothing is needed.
        self.offer_handling.suppressed = False
        for slot, attempt in self.placement.unresolved_tasks():
            self.reconciliation.ask(attempt.task_id, slot.agent_id)
        self.reconciliation.restart_backoff()
        self._send_reconcile(driver, explicit_only=False)
        self._update_suppression(driver)
        self._check_complete(driver)
        self._changed()

    def _send_reconcile(self, driver: SchedulerDriverLike, explicit_only: bool) -> None:
        self.reconciliation.send(
            lambda tasks: call_driver(driver.reconcileTasks, tasks, what="reconcile"),
            explicit_only,
        )

    def _handle_status(self, driver: SchedulerDriverLike, status: Any) -> None:
        applied = self.statuses.apply(status)
        if applied.outcome is StatusOutcome.UNKNOWN_TASK:
            if str(status.get("state", "")) in ACTIVE_STATES:
                # A task of this framework we have no record of (an earlier incarnation):
                # it must not keep an agent busy or count as ours.
                task_id = str(status["task_id"]["value"])
                agent_id = str(status.get("agent_id", {}).get("value", ""))
                logger.warning(
                    "killing task %s on agent %s: not part of this run", task_id, agent_id
                )
                call_driver(driver.killTask, {"value": task_id}, what="kill")
            return
        if applied.outcome is StatusOutcome.IGNORED:
            self._check_complete(driver)  # it may have brought an awaited result
            return
        newly_needs_launch = applied.previous_phase is not SlotPhase.NEEDS_LAUNCH
        if applied.phase is SlotPhase.NEEDS_LAUNCH and newly_needs_launch:
            self.offer_handling.revive(driver)
        self._update_suppression(driver)
        self._check_complete(driver)

    def _update_suppression(self, driver: SchedulerDriverLike) -> None:
        if self.connected:
            self.offer_handling.update_suppression(driver)

    def _check_complete(self, driver: SchedulerDriverLike) -> None:
        if self.stopping or not self.placement.is_complete():
            return
        awaited = self.placement.results_awaited()
        if awaited:
            now = self.clock()
            if self._results_awaited_since is None:
                self._results_awaited_since = now
                logger.info(
                    "every agent is finished; waiting up to %gs for the result of %s (the "
                    "master's reconciliation answer carries none, the agent's update does)",
                    RESULT_WAIT_SECONDS,
                    ", ".join(attempt.task_id for attempt in awaited),
                )
            if now - self._results_awaited_since < RESULT_WAIT_SECONDS:
                return
        logger.info("every agent is finished; stopping the scheduler driver")
        self.stop(driver)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


def _master_address(master_info: Any) -> str:
    if not isinstance(master_info, dict):
        return "?"
    return f"{master_info.get('hostname', '?')}:{master_info.get('port', '?')}"
