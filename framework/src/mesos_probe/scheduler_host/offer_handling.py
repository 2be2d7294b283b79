"""Offers, answered as they arrive: a launch on an agent that needs its task, a decline
otherwise (long for agents with nothing to do, short for agents to try again soon), offers
suppressed once every agent is placed and revived when one needs a new attempt."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from mesos_probe.scheduler_host.driver_calls import SchedulerDriverLike, call_driver
from mesos_probe.scheduler_host.placement import SlotPhase
from mesos_probe.scheduler_host.run_context import RunContext, RunPart
from mesos_probe.scheduler_host.status_bookkeeping import StatusBookkeeping
from mesos_probe.scheduler_host.task_info import TaskBuilder

logger = logging.getLogger(__name__)


@dataclass
class OfferStats:
    received: int = 0
    launched: int = 0
    declined: int = 0
    duplicates: int = 0
    rescinded: int = 0


@dataclass
class _Declines:
    """Offers to decline, by how long: nothing to do on the agent, or try again soon."""

    long: list[Any] = field(default_factory=list)
    short: list[Any] = field(default_factory=list)


class OfferHandling(RunPart):
    def __init__(
        self, context: RunContext, tasks: TaskBuilder, statuses: StatusBookkeeping
    ) -> None:
        super().__init__(context)
        self.tasks = tasks
        self.statuses = statuses
        self.stats = OfferStats()
        self.suppressed = False
        # Agents whose offers were too small, with the reason, for the final report.
        self.unfit_agents: dict[str, str] = {}
        self.hostnames: dict[str, str] = {}
        self._seen_offers: set[str] = set()

    def handle(self, driver: SchedulerDriverLike, offers: list[Any]) -> None:
        declines = _Declines()
        for offer in offers:
            self.stats.received += 1
            offer_id = str(offer["id"]["value"])
            if offer_id in self._seen_offers:
                self.stats.duplicates += 1
                logger.debug("offer %s seen before; ignoring the duplicate", offer_id)
                continue
            self._seen_offers.add(offer_id)
            agent_id = str(offer["agent_id"]["value"])
            hostname = str(offer.get("hostname", ""))
            self.hostnames.setdefault(agent_id, hostname)
            verdict = self._consider(driver, offer, agent_id, hostname)
            if verdict == "long":
                declines.long.append(offer["id"])
            elif verdict == "short":
                declines.short.append(offer["id"])
        if declines.long:
            self._decline(driver, declines.long, self.plan.refuse_seconds)
        if declines.short:
            self._decline(driver, declines.short, self.plan.retry_refuse_seconds)

    def rescinded(self, offer_id: Any) -> None:
        # Offers are answered as soon as they arrive, so a rescind never takes back something
        # we still hold; a launch that raced it comes back as TASK_DROPPED/TASK_LOST.
        self.stats.rescinded += 1
        logger.debug("offer %s rescinded", offer_id.get("value"))

    def update_suppression(self, driver: SchedulerDriverLike) -> None:
        """Suppress offers once every agent is placed (a new subscription starts without)."""
        if (
            self.placement.all_placed()
            and not self.suppressed
            and call_driver(driver.suppressOffers, list(self.plan.roles), what="suppress")
        ):
            self.suppressed = True
            logger.debug("all agents placed; offers suppressed")

    def revive(self, driver: SchedulerDriverLike) -> None:
        # REVIVE also clears the refuse filters, so the agent to retry on is offered at once.
        if call_driver(driver.reviveOffers, list(self.plan.roles), what="revive"):
            self.suppressed = False

    def _consider(
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
            self.statuses.agent_back(agent_id)
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
        self.stats.launched += 1
        sent = call_driver(
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

    def _decline(self, driver: SchedulerDriverLike, offer_ids: list[Any], seconds: float) -> None:
        self.stats.declined += len(offer_ids)
        call_driver(driver.declineOffer, offer_ids, {"refuse_seconds": seconds}, what="decline")
