"""Inverse offers: the allocator's and master's half of maintenance (Mesos's
HierarchicalAllocatorProcess::generateInverseOffers/updateInverseOffer and the master's
inverse offer bookkeeping).

An agent on a DRAINING machine has an unavailability. Every allocation round, each active
framework that has resources offered or in use on such an agent, and no inverse offer for it
outstanding, gets one (INVERSE_OFFERS, empty resources: the whole agent). The framework answers
with ACCEPT_INVERSE_OFFERS or DECLINE_INVERSE_OFFERS; the answer is kept as that framework's
InverseOfferStatus for the agent (GET_MAINTENANCE_STATUS shows it) and, like a declined offer,
filters the next inverse offer for `refuse_seconds` (default 5). A new unavailability starts
over: outstanding inverse offers are rescinded (RESCIND_INVERSE_OFFER) and statuses forgotten.
As in Mesos, statuses live in memory only: a master failover clears them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from mesos_lite.master.allocator import DEFAULT_REFUSE_SECONDS, Allocator
from mesos_lite.master.model import Framework
from mesos_lite.master.state import MasterState
from mesos_lite.protocol import now, wrap

logger = logging.getLogger(__name__)

# Mesos caps an inverse offer filter at 365 days.
MAX_REFUSE_SECONDS = 365 * 24 * 3600.0


@dataclass
class InverseOffer:
    id: str
    framework_id: str
    agent_id: str
    unavailability: dict[str, Any]


@dataclass
class _AgentMaintenance:
    unavailability: dict[str, Any]
    # framework id -> id of its outstanding inverse offer for this agent
    outstanding: dict[str, str] = field(default_factory=dict)
    # framework id -> its last answer (an InverseOfferStatus)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    # framework id -> monotonic time until which it gets no inverse offer for this agent
    filters: dict[str, float] = field(default_factory=dict)


class InverseOffers:
    def __init__(self, state: MasterState, allocator: Allocator) -> None:
        self.state = state
        self.allocator = allocator
        self._agents: dict[str, _AgentMaintenance] = {}
        self._offers: dict[str, InverseOffer] = {}
        allocator.round_hooks.append(self.generate)
        state.listeners.add(self._on_change)

    def unavailability_of(self, agent_id: str) -> dict[str, Any] | None:
        maintenance = self._agents.get(agent_id)
        return maintenance.unavailability if maintenance is not None else None

    def statuses_of(self, agent_id: str) -> list[dict[str, Any]]:
        maintenance = self._agents.get(agent_id)
        return list(maintenance.statuses.values()) if maintenance is not None else []

    def set_unavailability(self, agent_id: str, unavailability: dict[str, Any] | None) -> None:
        """Master::updateUnavailability: the agent's offers are rescinded (new ones carry the
        new unavailability), its inverse offers rescinded, and its maintenance starts over."""
        if unavailability is None:
            logger.info("Removing unavailability of agent %s", agent_id)
        else:
            logger.info("Updating unavailability of agent %s to %s", agent_id, unavailability)
        self.allocator.rescind_agent_offers(agent_id)
        self._rescind_agent(agent_id)
        if unavailability is None:
            self._agents.pop(agent_id, None)
            self.allocator.unavailability.pop(agent_id, None)
        else:
            self._agents[agent_id] = _AgentMaintenance(unavailability)
            self.allocator.unavailability[agent_id] = unavailability
        self.allocator.request_allocation()

    # ----- one round (after the allocator's) -----
    def generate(self) -> None:
        if not self._agents:
            return
        clock = time.monotonic()
        batches: dict[str, list[dict[str, Any]]] = {}
        for agent_id, framework_id in self._users():
            maintenance = self._agents[agent_id]
            framework = self.state.frameworks.get(framework_id)
            if framework is None or not framework.active or not framework.connected:
                continue
            if framework_id in maintenance.outstanding:
                continue
            if maintenance.filters.get(framework_id, 0.0) > clock:
                continue
            maintenance.filters.pop(framework_id, None)
            offer = InverseOffer(
                self.allocator.next_offer_id(), framework_id, agent_id, maintenance.unavailability
            )
            self._offers[offer.id] = offer
            maintenance.outstanding[framework_id] = offer.id
            batches.setdefault(framework_id, []).append(self._json(offer))
        for framework_id, offers in batches.items():
            logger.info("Sending %d inverse offers to framework %s", len(offers), framework_id)
            self.state.frameworks[framework_id].send(
                {"type": "INVERSE_OFFERS", "inverse_offers": {"inverse_offers": offers}}
            )

    def _users(self) -> set[tuple[str, str]]:
        """(agent id, framework id) for every framework with resources offered or in use on
        an active agent under maintenance."""
        users: set[tuple[str, str]] = set()
        active = {
            agent_id
            for agent_id in self._agents
            if (agent := self.state.agents.get(agent_id)) is not None and agent.active
        }
        for framework in self.state.frameworks.values():
            for offer in framework.offers.values():
                if offer.agent_id in active:
                    users.add((offer.agent_id, framework.id))
            for task in framework.tasks.values():
                if task.agent_id in active and not task.resources_recovered:
                    users.add((task.agent_id, framework.id))
        return users

    def _json(self, offer: InverseOffer) -> dict[str, Any]:
        agent = self.state.agents[offer.agent_id]
        return {
            "id": wrap(offer.id),
            "url": {
                "scheme": "http",
                "address": {"hostname": agent.hostname, "ip": agent.ip, "port": agent.port},
                "path": "/slave(1)",
            },
            "framework_id": wrap(offer.framework_id),
            "agent_id": wrap(offer.agent_id),
            "unavailability": offer.unavailability,
        }

    # ----- the framework's answer -----
    def respond(
        self, framework: Framework, offer_ids: list[str], answer: str, filters: dict[str, Any]
    ) -> None:
        """ACCEPT_INVERSE_OFFERS (answer ACCEPT) or DECLINE_INVERSE_OFFERS (DECLINE)."""
        call = f"{answer}_INVERSE_OFFERS"
        if not offer_ids:
            logger.warning("%s call of framework %s names no inverse offers", call, framework.id)
            return
        refuse = float(filters.get("refuse_seconds", DEFAULT_REFUSE_SECONDS))
        if refuse < 0:
            refuse = DEFAULT_REFUSE_SECONDS
        refuse = min(refuse, MAX_REFUSE_SECONDS)
        for offer_id in offer_ids:
            offer = self._offers.get(offer_id)
            if offer is None or offer.framework_id != framework.id:
                logger.warning(
                    "Ignoring %s of inverse offer %s since it is no longer valid",
                    answer.lower(),
                    offer_id,
                )
                continue
            del self._offers[offer_id]
            maintenance = self._agents.get(offer.agent_id)
            if maintenance is None:
                continue
            maintenance.outstanding.pop(framework.id, None)
            maintenance.statuses[framework.id] = {
                "status": answer,
                "framework_id": wrap(framework.id),
                "timestamp": {"nanoseconds": int(now() * 1e9)},
            }
            maintenance.filters[framework.id] = time.monotonic() + refuse
            logger.info(
                "Framework %s answered inverse offer %s for agent %s: %s",
                framework.id,
                offer_id,
                offer.agent_id,
                answer,
            )

    # ----- agents and frameworks going away -----
    def _rescind_agent(self, agent_id: str) -> None:
        maintenance = self._agents.get(agent_id)
        if maintenance is None:
            return
        for framework_id, offer_id in list(maintenance.outstanding.items()):
            self._offers.pop(offer_id, None)
            framework = self.state.frameworks.get(framework_id)
            if framework is not None:
                framework.send(
                    {
                        "type": "RESCIND_INVERSE_OFFER",
                        "rescind_inverse_offer": {"inverse_offer_id": wrap(offer_id)},
                    }
                )
        maintenance.outstanding.clear()

    def _on_change(self, kind: str, payload: Any) -> None:
        if kind == "agent_removed":
            self._rescind_agent(str(payload))
            self._agents.pop(str(payload), None)
            self.allocator.unavailability.pop(str(payload), None)
        elif kind in ("framework_removed", "framework_updated"):
            # A framework that subscribes again gets its inverse offers anew (Mesos drops a
            # deactivated framework's inverse offers); a removed one is forgotten.
            framework_id = str(payload.id)
            for offer_id in [i for i, o in self._offers.items() if o.framework_id == framework_id]:
                del self._offers[offer_id]
            for maintenance in self._agents.values():
                maintenance.outstanding.pop(framework_id, None)
                if kind == "framework_removed":
                    maintenance.filters.pop(framework_id, None)
                    maintenance.statuses.pop(framework_id, None)
