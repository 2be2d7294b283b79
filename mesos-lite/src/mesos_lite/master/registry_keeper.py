"""Keeps the registry (agents admitted, unreachable, gone) in step with the master: recovers
it on election, hands every change to the Registrar (registrar.py), forgets long-removed
agents (registry GC), and times out agents that do not re-register after a failover."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, Protocol

from mesos_lite.master.context import MasterContext, MasterPart
from mesos_lite.master.model import Agent
from mesos_lite.master.registrar import Registrar
from mesos_lite.master.registry import (
    RegistryCorruptError,
    RegistryState,
    encode_admitted,
    encode_registry,
)
from mesos_lite.protocol import now, wrap

logger = logging.getLogger(__name__)


class RegistryPart(Protocol):
    """A part of the master that keeps sections of the registry (registry.OTHER_SECTIONS)."""

    def registry_sections(self) -> dict[str, Any]: ...

    def recover_sections(self, sections: dict[str, Any]) -> None: ...


class RegistryKeeper(MasterPart):
    def __init__(self, context: MasterContext) -> None:
        super().__init__(context)
        self.registrar: Registrar | None = None
        self.parts: list[RegistryPart] = []

    def persist(self) -> None:
        """Asks the registrar to write the registry (only the leader writes it). Changes made
        until the write starts share it (see Registrar)."""
        if self.registrar is not None and self.leadership.elected:
            self.registrar.save(self._document)

    async def persist_now(self) -> None:
        """persist(), and wait until the registry holds the change (Mesos answers an operator
        call that changes the registry once the registrar applied it)."""
        self.persist()
        if self.registrar is not None and self.leadership.elected:
            await self.registrar.written()

    def _document(self) -> bytes:
        # Pruning is O(removed agents): once per write, not once per change.
        self._prune_removed_agents()
        return encode_registry(
            self._admitted_entries(),
            self.state.unreachable_agents,
            self.state.gone_agents,
            self.leadership.master_info(),
            self._other_sections(),
            self.state.operator_marks,
        )

    def _other_sections(self) -> dict[str, Any]:
        sections: dict[str, Any] = {}
        for part in self.parts:
            sections.update(part.registry_sections())
        return sections

    def _admitted_entries(self) -> list[bytes]:
        """Every admitted agent's registry entry (recovered ones first). A registered agent's
        entry is encoded again only when its AgentInfo changed: re-encoding every agent for
        every write made registering N agents cost O(N^2)."""
        marks = self.state.operator_marks
        entries = {
            agent_id: encode_admitted(info, marks.get(agent_id))
            for agent_id, info in self.state.recovered_agents.items()
        }
        for agent in self.state.agents.values():
            if agent.id in marks:  # a few agents at most: not worth remembering
                entries[agent.id] = encode_admitted(agent.info_json(), marks[agent.id])
                continue
            entries[agent.id] = agent.remembered(
                "registry_entry",
                (agent.hostname, agent.port, agent.total, agent.attributes),
                partial(_encoded_info, agent),
            )
        return list(entries.values())

    def _prune_removed_agents(self) -> None:
        """Mesos's registry GC: unreachable and gone agents are forgotten once older than
        --registry_max_agent_age, and beyond --registry_max_agent_count (oldest first)."""
        oldest_kept = now() - self.config.registry_max_agent_age
        for removed in (self.state.unreachable_agents, self.state.gone_agents):
            expired = [agent_id for agent_id, since in removed.items() if since < oldest_kept]
            by_age = sorted(removed, key=removed.__getitem__)
            expired += by_age[: max(0, len(by_age) - self.config.registry_max_agent_count)]
            for agent_id in set(expired):
                logger.info("Forgetting agent %s removed from the cluster long ago", agent_id)
                del removed[agent_id]

    def recover(self, recovered: RegistryState) -> None:
        """On election: agents the previous leader admitted must re-register within
        --agent_reregister_timeout; until then they are `recovered`. The other parts recover
        their sections (RegistryCorruptError if one cannot)."""
        state = self.state
        state.recovered_agents = {
            agent_id: info
            for agent_id, info in recovered.admitted.items()
            if agent_id not in state.agents
        }
        state.unreachable_agents.update(recovered.unreachable)
        state.gone_agents.update(recovered.gone)
        state.operator_marks.update(recovered.operator_marks)
        for part in self.parts:
            try:
                part.recover_sections(recovered.sections)
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                raise RegistryCorruptError(f"malformed registry section: {error!r}") from None
        if state.recovered_agents:
            timeout = self.config.agent_reregister_timeout
            logger.info(
                "Waiting %gs (--agent_reregister_timeout) for %d agents recovered from the "
                "registry to re-register",
                timeout,
                len(state.recovered_agents),
            )
            self.timers.set("recovered-agents", timeout, self._recovered_agents_timeout)

    def _recovered_agents_timeout(self) -> None:
        """Agents recovered from the registry that did not re-register become unreachable.
        The master knows none of their tasks (only re-registering agents report them), so
        frameworks learn it from FAILURE and from reconciliation, as with Mesos."""
        state = self.state
        if not state.recovered_agents:
            return
        timestamp = now()
        for agent_id, info in list(state.recovered_agents.items()):
            logger.warning(
                "Agent %s (%s) did not re-register within %gs after master failover; "
                "marking it unreachable",
                agent_id,
                info.get("hostname", ""),
                self.config.agent_reregister_timeout,
            )
            del state.recovered_agents[agent_id]
            state.unreachable_agents[agent_id] = timestamp
            state.recovery_agent_removals += 1
            state.emit("agent_removed", agent_id)
            for framework in state.frameworks.values():
                framework.send({"type": "FAILURE", "failure": {"agent_id": wrap(agent_id)}})
        self.persist()


def _encoded_info(agent: Agent) -> bytes:
    return encode_admitted(agent.info_json())
