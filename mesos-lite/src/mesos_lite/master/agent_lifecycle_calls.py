"""The operator calls that act on agents (Mesos's Master::Http markAgentGone, drainAgent,
deactivateAgent, reactivateAgent): authorization, the checks and answers Mesos makes, then
master/agent_lifecycle.py. Bodies were checked by the schema (validation.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity
from mesos_lite.httpd import CallError
from mesos_lite.master.master import Master
from mesos_lite.protocol import value_of

Handler = Callable[[web.Request, dict[str, Any]], Awaitable[web.Response]]


class AgentLifecycleCalls:
    def __init__(self, master: Master, security: HttpSecurity) -> None:
        self.master = master
        self.security = security
        self.lifecycle = master.agent_lifecycle

    def actions(self) -> dict[str, Handler]:
        return {
            "MARK_AGENT_GONE": self.mark_agent_gone,
            "DRAIN_AGENT": self.drain_agent,
            "DEACTIVATE_AGENT": self.deactivate_agent,
            "REACTIVATE_AGENT": self.reactivate_agent,
        }

    async def _stored(self) -> web.Response:
        """200 once the registry holds the change, as Mesos answers after its registrar."""
        await self.master.registry.persist_now()
        return web.Response(status=200)

    def _authorize(self, request: web.Request, action: str) -> None:
        if not self.security.approved(request, action, None):
            raise CallError(403, "")

    @staticmethod
    def _agent_id(body: dict[str, Any], field: str) -> str:
        return value_of(body[field], "agent_id") or ""

    async def mark_agent_gone(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        self._authorize(request, "mark_agents_gone")
        agent_id = self._agent_id(body, "mark_agent_gone")
        if agent_id in self.master.state.gone_agents:
            return web.Response(status=200)
        if not self.lifecycle.is_known(agent_id):
            raise CallError(404, f"Agent '{agent_id}' not found")
        self.lifecycle.mark_gone(agent_id)
        return await self._stored()

    async def drain_agent(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        call = body["drain_agent"]
        agent_id = self._agent_id(body, "drain_agent")
        agent = self.master.state.agents.get(agent_id)
        if agent is not None and "AGENT_DRAINING" not in agent.capabilities:
            raise CallError(400, f"Agent {agent_id} is not capable of draining")
        mark_gone = bool(call.get("mark_gone", False))
        self._authorize(request, "drain_agents")
        if mark_gone:
            self._authorize(request, "mark_agents_gone")
        if not self.lifecycle.is_known(agent_id):
            raise CallError(400, "Unknown agent")
        self.lifecycle.drain(agent_id, call.get("max_grace_period"), mark_gone)
        return await self._stored()

    async def deactivate_agent(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        self._authorize(request, "deactivate_agents")
        agent_id = self._agent_id(body, "deactivate_agent")
        if not self.lifecycle.is_known(agent_id):
            raise CallError(400, "Unknown agent")
        self.lifecycle.deactivate(agent_id)
        return await self._stored()

    async def reactivate_agent(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        self._authorize(request, "reactivate_agents")
        agent_id = self._agent_id(body, "reactivate_agent")
        if not self.lifecycle.is_deactivated(agent_id):
            raise CallError(400, "Agent is not deactivated")
        drain = self.lifecycle.drain_info(agent_id)
        if drain is not None and drain.get("state") == "DRAINING":
            raise CallError(400, "Agent is still in the DRAINING state")
        registered = self.lifecycle.reactivate(agent_id)
        await self.master.registry.persist_now()
        if not registered:
            raise CallError(409, "Agent removed while processing the call")
        return web.Response(status=200)
