"""The Scheduler: one task per agent, retried on the same agent, results collected; it
stops the driver itself once every agent is finished.

pymesos calls these callbacks on its I/O thread; the Driver's main loop calls `tick` and
reads `snapshot`. One lock guards the run's state; driver calls are made while holding it,
and the driver never calls back into us while holding its own lock, so there is one order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pymesos import Scheduler, decode_data

from mesos_probe.scheduler_host.placement import (
    AppliedStatus,
    RunPlacement,
    SlotPhase,
    StatusOutcome,
)
from mesos_probe.scheduler_host.plan import RunPlan
from mesos_probe.scheduler_host.progress import Progress
from mesos_probe.scheduler_host.reconciliation import Reconciliation
from mesos_probe.scheduler_host.task_info import TaskBuilder
from mesos_probe.scheduler_host.task_states import (
    ACTIVE_STATES,
    DOUBTFUL_STATES,
    FINISHED,
    TERMINAL_STATES,
)
from mesos_probe.task_spec import decode_result_message

logger = logging.getLogger(__name__)


class SchedulerDriverLike(Protocol):
    """The part of pymesos' MesosSchedulerDriver the scheduler uses (fakes implement it)."""

    def launchTasks(self, offer_ids: Any, tasks: Any, filters: Any = None) -> Any: ...
    def declineOffer(self, offer_ids: Any, filters: Any = None) -> Any: ...
    def declineInverseOffer(self, offer_ids: Any, filters: Any = None) -> Any: ...
    def suppressOffers(self, roles: Any = ()) -> Any: ...
    def reviveOffers(self, roles: Any = ()) -> Any: ...
    def killTask(self, task_id: Any) -> Any: ...
    def acknowledgeStatusUpdate(self, status: Any) -> Any: ...
    def reconcileTasks(self, tasks: Any) -> Any: ...
    def stop(self, failover: bool = False) -> Any: ...


@dataclass
class OfferStats:
    received: int = 0
    launched: int = 0
    declined: int = 0
    duplicates: int = 0
    rescinded: int = 0


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
        self.tasks = TaskBuilder(plan, placement.run_id, executor)
        self.clock = clock
        self.wall_clock = wall_clock
        self.on_change = on_change
        self.lock = threading.RLock()
        self.framework_id: str | None = None
        self.connected = False
        self.stopping = False  # set when we stop the driver: the disconnect is ours
        self.registrations = 0
        self.suppressed = False
        self.fatal_error: str | None = None
        self.offers = OfferStats()
        self.lost_agents: set[str] = set()
        # Agents whose offers were too small, with the reason, for the final report.
        self.unfit_agents: dict[str, str] = {}
        self._seen_offers: set[str] = set()
        self._hostnames: dict[str, str] = {}
        self.reconciliation = Reconciliation(clock, plan.reconcile_backoff_max)
        self._doubtful_since: dict[str, float] = {}  # agent_id -> when its wait began

    # -- pymesos callbacks -------------------------------------------------------------
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
            self._handle_offers(driver, offers)

    def offerRescinded(self, driver: SchedulerDriverLike, offerId: Any) -> None:
        # Offers are answered as soon as they arrive, so a rescind never takes back something
        # we still hold; a launch that raced it comes back as TASK_DROPPED/TASK_LOST.
        with self.lock:
            self.offers.rescinded += 1
            logger.debug("offer %s rescinded", offerId.get("value"))

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
                    self._call(driver.acknowledgeStatusUpdate, status, what="acknowledge")
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
                self._changed()

    def slaveLost(self, driver: SchedulerDriverLike, slaveId: Any) -> None:
        with self.lock:
            agent_id = str(slaveId.get("value"))
            self.lost_agents.add(agent_id)
            logger.warning("agent %s (%s) lost", agent_id, self._hostnames.get(agent_id, "?"))
            slot = self.placement.slots.get(agent_id)
            if slot is not None:
                for attempt in slot.unresolved_attempts():
                    self.reconciliation.ask_now(attempt.task_id, agent_id)

    def executorLost(
        self, driver: SchedulerDriverLike, executorId: Any, slaveId: Any, status: Any
    ) -> None:
        with self.lock:
            task_id = str(executorId.get("value"))
            logger.info(
                "executor %s on agent %s exited with status %s",
                task_id,
                slaveId.get("value"),
                status,
            )
            found = self.placement.find_task(task_id)
            if found is not None and found[1].state in ACTIVE_STATES:
                # The agent also sends the task's final state; reconcile in case it is delayed.
                self.reconciliation.ask_now(task_id, str(slaveId.get("value")))

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
            if self.reconciliation.doubt_check_due(now):
                for slot, attempt in self.placement.unresolved_tasks():
                    if attempt.state in DOUBTFUL_STATES:
                        self.reconciliation.recheck(attempt.task_id, slot.agent_id, now)
            self._give_up_on_vanished_agents(driver, now)
            if self.reconciliation.due(now):
                self._send_reconcile(driver, explicit_only=True)

    def stop(self, driver: SchedulerDriverLike, failover: bool = False) -> None:
        """Stop the driver (the first call only). `failover` keeps the framework registered
        with the master, for a run to be resumed."""
        with self.lock:
            if self.stopping:
                return
            self.stopping = True
            self._call(driver.stop, failover, what="stop the scheduler driver")

    def _give_up_on_vanished_agents(self, driver: SchedulerDriverLike, now: float) -> None:
        waiting = self.placement.agents_in(SlotPhase.AWAITING_RESOLUTION)
        for agent_id in set(self._doubtful_since) - waiting:
            del self._doubtful_since[agent_id]
        for agent_id in sorted(waiting):
            since = self._doubtful_since.setdefault(agent_id, now)
            if now - since < self.plan.lost_agent_timeout:
                continue
            slot = self.placement.slots[agent_id]
            latest = slot.latest
            assert latest is not None
            removed = " (removed by the master)" if agent_id in self.lost_agents else ""
            why = (
                f"agent lost{removed}: task {latest.state}"
                f" (reason {latest.reason or '-'}: {latest.message or 'no message'});"
                f" the agent did not come back within {self.plan.lost_agent_timeout:g}s"
            )
            logger.warning("giving up on agent %s (%s): %s", agent_id, slot.hostname, why)
            self.placement.give_up(agent_id, why)
            del self._doubtful_since[agent_id]
            self._check_complete(driver)
            self._changed()

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
            return self._hostnames.get(agent_id, "")

    # -- internals -------------------------------------------------------------------------
    def _on_subscribed(self, driver: SchedulerDriverLike) -> None:
        self.connected = True
        self.registrations += 1
        # A new subscription starts unsuppressed; suppress again below if nothing is needed.
        self.suppressed = False
        for slot, attempt in self.placement.unresolved_tasks():
            self.reconciliation.ask(attempt.task_id, slot.agent_id)
        self.reconciliation.restart_backoff()
        self._send_reconcile(driver, explicit_only=False)
        self._update_suppression(driver)
        self._check_complete(driver)
        self._changed()

    def _send_reconcile(self, driver: SchedulerDriverLike, explicit_only: bool) -> None:
        self.reconciliation.send(
            lambda tasks: self._call(driver.reconcileTasks, tasks, what="reconcile"),
            explicit_only,
        )

    def _handle_offers(self, driver: SchedulerDriverLike, offers: list[Any]) -> None:
        decline_long: list[Any] = []
        decline_short: list[Any] = []
        for offer in offers:
            self.offers.received += 1
            offer_id = str(offer["id"]["value"])
            if offer_id in self._seen_offers:
                self.offers.duplicates += 1
                logger.debug("offer %s seen before; ignoring the duplicate", offer_id)
                continue
            self._seen_offers.add(offer_id)
            agent_id = str(offer["agent_id"]["value"])
            hostname = str(offer.get("hostname", ""))
            self._hostnames.setdefault(agent_id, hostname)
            verdict = self._consider_offer(driver, offer, agent_id, hostname)
            if verdict == "long":
                decline_long.append(offer["id"])
            elif verdict == "short":
                decline_short.append(offer["id"])
        if decline_long:
            self._decline(driver, decline_long, self.plan.refuse_seconds)
        if decline_short:
            self._decline(driver, decline_short, self.plan.retry_refuse_seconds)
        self._update_suppression(driver)
        self._changed()

    def _consider_offer(
        self, driver: SchedulerDriverLike, offer: Any, agent_id: str, hostname: str
    ) -> str:
        """Launch on the offer, or say how long to decline it for: "long" or "short"."""
        placement = self.placement
        phase = placement.phase_of(agent_id)
        if phase is None:
            if not placement.has_room():
                return "long"
        elif phase is SlotPhase.AWAITING_RESOLUTION:
            # The agent is back while its old task is lost/unreachable: find out what became
            # of that task before anything new goes there (and keep waiting for the answer).
            self._doubtful_since[agent_id] = self.clock()
            self.lost_agents.discard(agent_id)
            for attempt in placement.slots[agent_id].unresolved_attempts():
                self.reconciliation.ask_now(attempt.task_id, agent_id)
            return "short"
        elif phase is not SlotPhase.NEEDS_LAUNCH:
            return "long"

        offered = list(offer.get("resources", []))
        task_id, attempt_number = placement.next_task_id(agent_id)
        task = self.tasks.build(task_id, attempt_number, agent_id, offered)
        if task is None:
            reason = self.tasks.shortfall(offered)
            if self.unfit_agents.get(agent_id) != reason:
                logger.info("agent %s (%s) cannot take the task: %s", agent_id, hostname, reason)
            self.unfit_agents[agent_id] = reason
            return "short"

        if phase is None:
            placement.add_slot(agent_id, hostname)
        self.unfit_agents.pop(agent_id, None)
        attempt = placement.new_attempt(agent_id, self.wall_clock())
        assert attempt.task_id == task_id
        logger.info(
            "launching %s on agent %s (%s), attempt %d of %d",
            attempt.task_id,
            agent_id,
            hostname,
            attempt.number,
            self.plan.max_attempts,
        )
        self.offers.launched += 1
        sent = self._call(
            driver.launchTasks,
            offer["id"],
            [task],
            {"refuse_seconds": self.plan.refuse_seconds},
            what="launch",
        )
        if not sent:
            # Whether the master got it is unknown: the slot stays taken and reconciliation
            # tells us (an unknown task comes back as GONE/LOST and is then retried).
            self.reconciliation.ask_now(attempt.task_id, agent_id)
        return "launched"

    def _handle_status(self, driver: SchedulerDriverLike, status: Any) -> None:
        task_id = str(status["task_id"]["value"])
        state = str(status.get("state", ""))
        agent_id = str(status.get("agent_id", {}).get("value", ""))
        reason = status.get("reason")
        message = status.get("message")
        result = _decode_result(status.get("data")) if state in TERMINAL_STATES else None
        self.reconciliation.answered(task_id)
        applied = self.placement.apply_status(
            task_id,
            state,
            self.wall_clock(),
            reason=reason,
            message=message,
            source=status.get("source"),
            result=result,
        )
        if applied.outcome is StatusOutcome.UNKNOWN_TASK:
            if state in ACTIVE_STATES:
                # A task of this framework we have no record of (an earlier incarnation):
                # it must not keep an agent busy or count as ours.
                logger.warning(
                    "killing task %s on agent %s: not part of this run", task_id, agent_id
                )
                self._call(driver.killTask, {"value": task_id}, what="kill")
            return
        if applied.outcome is StatusOutcome.IGNORED:
            logger.debug("ignoring %s for task %s: it already ended", state, task_id)
            return
        self._log_status(applied, state, reason, message)
        newly_needs_launch = applied.previous_phase is not SlotPhase.NEEDS_LAUNCH
        if applied.phase is SlotPhase.NEEDS_LAUNCH and newly_needs_launch:
            self._revive(driver)
        self._update_suppression(driver)
        self._check_complete(driver)

    def _log_status(
        self, applied: AppliedStatus, state: str, reason: str | None, message: str | None
    ) -> None:
        slot, attempt = applied.slot, applied.attempt
        assert slot is not None and attempt is not None
        where = f"agent {slot.agent_id} ({slot.hostname})"
        if state == FINISHED:
            logger.info(
                "%s finished on %s after %d attempt(s)", attempt.task_id, where, attempt.number
            )
        elif state in ACTIVE_STATES:
            logger.debug("%s is %s on %s", attempt.task_id, state, where)
        else:
            logger.warning(
                "%s %s on %s: reason %s, %s (attempt %d of %d, agent now %s)",
                attempt.task_id,
                state,
                where,
                reason or "-",
                message or "no message",
                attempt.number,
                self.plan.max_attempts,
                applied.phase.value if applied.phase else "?",
            )

    def _update_suppression(self, driver: SchedulerDriverLike) -> None:
        if not self.connected:
            return
        if (
            self.placement.all_placed()
            and not self.suppressed
            and self._call(driver.suppressOffers, list(self.plan.roles), what="suppress")
        ):
            self.suppressed = True
            logger.debug("all agents placed; offers suppressed")

    def _revive(self, driver: SchedulerDriverLike) -> None:
        # REVIVE also clears the refuse filters, so the agent to retry on is offered at once.
        if self._call(driver.reviveOffers, list(self.plan.roles), what="revive"):
            self.suppressed = False

    def _decline(self, driver: SchedulerDriverLike, offer_ids: list[Any], seconds: float) -> None:
        self.offers.declined += len(offer_ids)
        self._call(driver.declineOffer, offer_ids, {"refuse_seconds": seconds}, what="decline")

    def _check_complete(self, driver: SchedulerDriverLike) -> None:
        if self.placement.is_complete():
            logger.info("every agent is finished; stopping the scheduler driver")
            self.stop(driver)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _call(self, method: Callable[..., Any], *args: Any, what: str) -> bool:
        """Call the driver; a lost connection is logged, and recovery happens on re-register."""
        try:
            method(*args)
        except Exception as error:  # pymesos raises bare RuntimeError/socket errors
            logger.warning("could not %s: %s", what, error)
            return False
        return True


def _decode_result(data: Any) -> str | None:
    if not data:
        return None
    try:
        return str(decode_data(data).decode("utf-8", errors="replace"))
    except (ValueError, TypeError):
        return None


def _master_address(master_info: Any) -> str:
    if not isinstance(master_info, dict):
        return "?"
    return f"{master_info.get('hostname', '?')}:{master_info.get('port', '?')}"
