"""The allocator: offers of unused agent resources to frameworks, fairly (DRF) across them,
with refusal filters, SUPPRESS/REVIVE, --min_allocatable_resources and --offer_timeout
(Mesos's HierarchicalDRF allocator and the master's offer bookkeeping). Quota (quota.py)
bounds each round through a QuotaRound; maintenance (inverse_offers.py) runs after each round
and marks the offers of agents under maintenance with their unavailability."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

from mesos_lite.ids import IdSequence
from mesos_lite.master.context import MasterContext, MasterPart
from mesos_lite.master.model import Agent, Framework, Offer
from mesos_lite.protocol import framework_roles, has_capability, now, wrap
from mesos_lite.resources import (
    ENDPOINT,
    POST_RESERVATION_REFINEMENT,
    PRE_RESERVATION_REFINEMENT,
    Resources,
)

logger = logging.getLogger(__name__)

DEFAULT_REFUSE_SECONDS = 5.0
# Mesos does not offer an agent's leftovers below these (--min_allocatable_resources).
MIN_ALLOCATABLE_CPUS = 0.01
MIN_ALLOCATABLE_MEM = 32.0


class QuotaRound(Protocol):
    """Quota's say in one allocation round (quota.py)."""

    def rank(self, framework: Framework) -> int:
        """Frameworks of lower rank are offered first (roles short of their guarantees)."""
        ...

    def fit(self, role: str, resources: Resources) -> Resources:
        """What of `resources` `role` may be offered now (its limits, others' guarantees)."""
        ...

    def book(self, role: str, resources: Resources) -> None: ...


class QuotaPolicy(Protocol):
    def start_round(self) -> QuotaRound | None: ...


class Allocator(MasterPart):
    def __init__(self, context: MasterContext) -> None:
        super().__init__(context)
        # Mesos derives offer ids from the master's id ("<id>-O1").
        self._offer_ids = IdSequence(self.leadership.id, "O", start=1)
        self._allocation_pending = False
        # agent id -> its outstanding offers (an agent that leaves has its offers rescinded
        # without a walk through every framework's offers).
        self._offers_by_agent: dict[str, dict[str, Offer]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        # Called after every allocation round (inverse offers).
        self.round_hooks: list[Callable[[], None]] = []
        # agent id -> the Unavailability its offers carry (agents on a DRAINING machine).
        self.unavailability: dict[str, dict[str, Any]] = {}
        self.quota: QuotaPolicy | None = None
        # role -> weight (weights.py); a framework's share counts divided by its role's.
        self.weights: dict[str, float] = {}

    def next_offer_id(self) -> str:
        """Offers and inverse offers share Mesos's offer id sequence."""
        return self._offer_ids.next()

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._allocation_loop())

    def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()

    def request_allocation(self) -> None:
        """Allocate soon (Mesos allocates as a framework or agent is added, then periodically)."""
        if self._allocation_pending:
            return
        self._allocation_pending = True
        asyncio.get_running_loop().call_soon(self._allocate_now)

    def _allocate_now(self) -> None:
        self._allocation_pending = False
        try:
            self.allocate()
        except Exception:
            logger.exception("Allocation failed")

    async def _allocation_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.allocation_interval)
            try:
                self.allocate()
            except Exception:
                logger.exception("Allocation failed")

    # ----- one allocation round -----
    def allocate(self) -> None:
        if not self.leadership.elected:
            return
        try:
            self._allocate_offers()
        finally:
            for hook in self.round_hooks:
                hook()

    def _allocate_offers(self) -> None:
        candidates = [
            f
            for f in self.state.frameworks.values()
            if f.connected and f.active and not set(framework_roles(f.info)) <= f.suppressed_roles
        ]
        if not candidates:
            return
        # DRF orders the frameworks; one framework needs no cluster totals (an O(agents) sum).
        totals = self._cluster_totals() if len(candidates) > 1 else {}
        quota = self.quota.start_round() if self.quota is not None else None
        clock = time.monotonic()
        new_offers: dict[str, list[Offer]] = {}
        agents = [a for a in self.state.agents.values() if a.active and a.connected]
        random.shuffle(agents)
        # With one framework, DRF has nothing to order: what it is offered is added to its
        # allocation once, after the round, rather than one new bag per agent.
        drf = len(candidates) > 1
        for agent in agents:
            available = agent.available()
            if not available:
                continue
            for framework in sorted(
                candidates,
                key=lambda f: (quota.rank(f) if quota else 0, self._weighted_share(f, totals)),
            ):
                offer = self._offer_for(framework, agent, available, clock, quota)
                if offer is None:
                    continue
                if drf:
                    framework.allocated = framework.allocated + offer.resources
                new_offers.setdefault(framework.id, []).append(offer)
                available = available - offer.resources
                if not available:
                    break
        for framework_id, offers in new_offers.items():
            framework = self.state.frameworks[framework_id]
            if not drf:
                # One bag, summed in the order one addition per offer would.
                framework.allocated = Resources(
                    item
                    for bag in (framework.allocated, *(o.resources for o in offers))
                    for item in bag
                )
            sent = [self.offer_json(o, framework.info) for o in offers]
            framework.send({"type": "OFFERS", "offers": {"offers": sent}})

    def _weighted_share(self, framework: Framework, totals: dict[str, float]) -> float:
        share = _dominant_share(framework, totals)
        if not self.weights:
            return share
        return share / self.weights.get(framework_roles(framework.info)[0], 1.0)

    def _cluster_totals(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for agent in self.state.agents.values():
            for name in ("cpus", "mem", "disk"):
                totals[name] = totals.get(name, 0.0) + agent.total.scalar(name)
        return totals

    def _offer_for(
        self,
        framework: Framework,
        agent: Agent,
        available: Resources,
        clock: float,
        quota: QuotaRound | None,
    ) -> Offer | None:
        for role in framework_roles(framework.info):
            if role in framework.suppressed_roles:
                continue
            usable = available.for_roles([role])
            if quota is not None:
                usable = quota.fit(role, usable)
            if not usable or (
                usable.scalar("cpus") < MIN_ALLOCATABLE_CPUS
                and usable.scalar("mem") < MIN_ALLOCATABLE_MEM
            ):
                continue
            refused = framework.filters.get(agent.id)
            if refused is not None:
                resources, expiry = refused
                if clock < expiry and resources.contains(usable):
                    continue
                if clock >= expiry:
                    framework.filters.pop(agent.id, None)
            offer = Offer(
                id=self._offer_ids.next(),
                framework_id=framework.id,
                agent_id=agent.id,
                resources=usable,
                role=role,
                created=now(),
            )
            if quota is not None:
                quota.book(role, usable)
            framework.offers[offer.id] = offer
            self._offers_by_agent.setdefault(agent.id, {})[offer.id] = offer
            agent.offered = agent.offered + usable
            if self.config.offer_timeout:
                self.timers.set(
                    f"offer:{offer.id}",
                    self.config.offer_timeout,
                    self._offer_expired,
                    framework.id,
                    offer.id,
                )
            return offer
        return None

    def offer_json(
        self, offer: Offer, receiver: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The offer as the endpoints show it or, given the FrameworkInfo of the framework it
        is sent to, as Master::offer sends it: without allocation_info (on the offer and its
        resources) unless the framework is MULTI_ROLE, its resources in the format of its
        RESERVATION_REFINEMENT capability. The parts that stay the same from one offer of the
        agent to the next (its URL, its resources' JSON) are made once and shared: the event
        is encoded as it is sent, and nothing changes them."""
        agent = self.state.agents[offer.agent_id]
        role: str | None = offer.role
        resource_format = ENDPOINT
        if receiver is not None:
            if not has_capability(receiver, "MULTI_ROLE"):
                role = None
            resource_format = (
                POST_RESERVATION_REFINEMENT
                if has_capability(receiver, "RESERVATION_REFINEMENT")
                else PRE_RESERVATION_REFINEMENT
            )
        executor_ids = [wrap(e) for (f, e) in agent.executors if f == offer.framework_id]
        url = agent.remembered(
            "offer_url",
            (agent.hostname, agent.ip, agent.port),
            lambda: {
                "scheme": "http",
                "address": {"hostname": agent.hostname, "ip": agent.ip, "port": agent.port},
                "path": "/slave(1)",
            },
        )
        body: dict[str, Any] = {
            "id": wrap(offer.id),
            "framework_id": wrap(offer.framework_id),
            "agent_id": wrap(offer.agent_id),
            "hostname": agent.hostname,
            "url": url,
            "resources": offer.resources.shared_json(role, resource_format),
            "attributes": agent.attributes,
            "executor_ids": executor_ids,
        }
        if role is not None:
            body["allocation_info"] = {"role": role}
        unavailability = self.unavailability.get(offer.agent_id)
        if unavailability is not None:
            body["unavailability"] = unavailability
        return body

    # ----- outstanding offers -----
    def _offer_expired(self, framework_id: str, offer_id: str) -> None:
        framework = self.state.frameworks.get(framework_id)
        if framework is not None and offer_id in framework.offers:
            logger.info(
                "Offer %s of framework %s expired (--offer_timeout)", offer_id, framework_id
            )
            self.rescind_offer(framework.offers[offer_id])

    def take_offer(self, framework: Framework, offer_id: str) -> Offer | None:
        """Withdraws an outstanding offer (accepted, declined or rescinded)."""
        offer = framework.offers.pop(offer_id, None)
        if offer is None:
            return None
        self.timers.cancel(f"offer:{offer_id}")
        on_agent = self._offers_by_agent.get(offer.agent_id)
        if on_agent is not None:
            on_agent.pop(offer_id, None)
            if not on_agent:
                del self._offers_by_agent[offer.agent_id]
        agent = self.state.agents.get(offer.agent_id)
        if agent is not None:
            agent.offered = agent.offered - offer.resources
        framework.allocated = framework.allocated - offer.resources
        return offer

    def rescind_offer(self, offer: Offer, notify: bool = True) -> None:
        framework = self.state.frameworks.get(offer.framework_id)
        if framework is None or self.take_offer(framework, offer.id) is None:
            return
        if notify:
            framework.send({"type": "RESCIND", "rescind": {"offer_id": wrap(offer.id)}})
        self.request_allocation()

    def rescind_framework_offers(self, framework: Framework, notify: bool) -> None:
        for offer in list(framework.offers.values()):
            self.rescind_offer(offer, notify=notify)

    def rescind_agent_offers(self, agent_id: str) -> None:
        for offer in list(self._offers_by_agent.pop(agent_id, {}).values()):
            self.rescind_offer(offer)

    # ----- filters, SUPPRESS and REVIVE -----
    def add_filter(
        self, framework: Framework, agent_id: str, resources: Resources, refuse_seconds: float
    ) -> None:
        if refuse_seconds <= 0 or not resources:
            return
        expiry = time.monotonic() + refuse_seconds
        previous = framework.filters.get(agent_id)
        if previous is not None and previous[1] > time.monotonic():
            resources = previous[0] + resources
            expiry = max(expiry, previous[1])
        framework.filters[agent_id] = (resources, expiry)

    def revive(self, framework: Framework, roles: list[str]) -> None:
        framework.filters.clear()
        if roles:
            framework.suppressed_roles -= set(roles)
        else:
            framework.suppressed_roles.clear()
        self.request_allocation()

    def suppress(self, framework: Framework, roles: list[str]) -> None:
        framework.suppressed_roles |= set(roles or framework_roles(framework.info))


def _dominant_share(framework: Framework, totals: dict[str, float]) -> float:
    """DRF: a framework's largest share of any resource; the smallest is offered first."""
    return max(
        (framework.allocated.scalar(name) / total for name, total in totals.items() if total),
        default=0.0,
    )
