"""The master's end of mesos-lite's master<->agent link (see mesos_lite.agent_protocol):
an agent's REGISTER stream, and its other calls routed to the master's parts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from mesos_lite.agent_protocol import AGENT_PATH, AgentToMaster, MasterToAgent
from mesos_lite.authentication import basic_credentials, check_secret
from mesos_lite.httpd import CallError, EventStream, read_json_call
from mesos_lite.master.agent_lifecycle import GONE_MESSAGE
from mesos_lite.master.maintenance import REFUSED_MESSAGE
from mesos_lite.master.master import Master
from mesos_lite.master.model import Agent
from mesos_lite.protocol import value_of
from mesos_lite.resources import ResourceError, parse_resources_json
from mesos_lite.security_flags import MasterSecurity

logger = logging.getLogger(__name__)


class AgentLink:
    def __init__(self, master: Master, security: MasterSecurity | None = None) -> None:
        self.master = master
        self.security = security
        # agent id -> the authenticated principal that registered it.
        self._principals: dict[str, str] = {}

    def route(self) -> web.RouteDef:
        return web.route("*", AGENT_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.master.elected:
            raise await self.master.leadership.redirect_to_current_leader(request.path_qs)
        body = await read_json_call(request, "agent call")
        call_type = body.get("type")
        principal = self._authenticate(request, body)
        if call_type == AgentToMaster.REGISTER:
            return await self._register(request, body, principal)
        agent = self._agent_for(body)
        self._check_principal(agent, principal)
        if call_type == AgentToMaster.STATUS_UPDATE:
            update = body.get("update")
            if not isinstance(update, dict) or not isinstance(update.get("status"), dict):
                raise CallError(400, "STATUS_UPDATE needs update.status")
            framework_id = value_of(update, "framework_id") or ""
            if not self._task_is_on(agent, framework_id, update["status"]):
                return web.Response(status=202)
            latest = body.get("latest_state")
            self.master.task_lifecycle.status_update(
                agent,
                framework_id,
                {**update["status"], "agent_id": {"value": agent.id}},
                latest if isinstance(latest, str) else None,
            )
        elif call_type == AgentToMaster.EXECUTOR_EXITED:
            status = body.get("status")
            self.master.executors.exited(
                agent,
                value_of(body, "framework_id") or "",
                value_of(body, "executor_id") or "",
                status if isinstance(status, int) else None,
            )
        elif call_type == AgentToMaster.PONG:
            self.master.agent_health.pong(agent)
        elif call_type == AgentToMaster.MESSAGE:
            data = body.get("data")
            if not isinstance(data, str):
                raise CallError(400, "MESSAGE needs data")
            self.master.executors.message_to_framework(
                agent,
                value_of(body, "framework_id") or "",
                value_of(body, "executor_id") or "",
                data,
            )
        else:
            raise CallError(400, f"Unknown agent call type {call_type!r}")
        return web.Response(status=202)

    def _authenticate(self, request: web.Request, body: dict[str, Any]) -> str | None:
        """--authenticate_agents: every agent call carries the agent's --credential (HTTP
        Basic here; Mesos uses CRAM-MD5 over libprocess). register_agents ACLs apply too."""
        security = self.security
        if security is None:
            return None
        registering = body.get("type") == AgentToMaster.REGISTER
        pair = basic_credentials(request.headers.get("Authorization"))
        where = self._agent_address(request, body)
        principal: str | None = None
        if security.authenticate_agents:
            if pair is None:
                if registering:
                    logger.warning(
                        "Refusing registration of agent at %s because it is not authenticated",
                        where,
                    )
                raise CallError(401, "Agent is not authenticated")
            if not check_secret(security.credentials or {}, *pair):
                if registering:
                    logger.warning(
                        "Failed to authenticate agent at %s: authentication of principal "
                        "'%s' was unsuccessful: Invalid credentials",
                        where,
                        pair[0],
                    )
                raise CallError(401, "Agent authentication failed: Invalid credentials")
            principal = pair[0]
            if registering:
                logger.info("Successfully authenticated principal '%s' at %s", principal, where)
        authorizer = security.http.authorizer
        if (
            registering
            and authorizer is not None
            and not authorizer.approved("register_agents", principal, None)
        ):
            info = body.get("agent_info")
            resources = info.get("resources", []) if isinstance(info, dict) else []
            try:
                text = parse_resources_json(resources).text()
            except ResourceError:
                text = ""
            message = f"Not authorized to register agent providing resources {text}"
            logger.warning("Refusing registration of agent at %s: %s", where, message)
            raise CallError(403, message)
        return principal

    def _check_principal(self, agent: Agent, principal: str | None) -> None:
        """With --authenticate_agents, an agent's calls come from the principal that
        registered it (Mesos ties an agent to its authenticated libprocess peer)."""
        registered = self._principals.get(agent.id)
        if principal is not None and registered is not None and principal != registered:
            logger.warning(
                "Refusing a call for agent %s from principal '%s': it registered as '%s'",
                agent.id,
                principal,
                registered,
            )
            raise CallError(
                403, f"Principal '{principal}' is not the principal of agent {agent.id}"
            )

    def _task_is_on(self, agent: Agent, framework_id: str, status: dict[str, Any]) -> bool:
        """As Mesos's Master::statusUpdate: an update for a task the master knows on another
        agent is dropped (it would let one agent finish another agent's task)."""
        framework = self.master.state.frameworks.get(framework_id)
        task_id = value_of(status, "task_id") or ""
        task = framework.tasks.get(task_id) if framework is not None else None
        if task is None or task.agent_id == agent.id:
            return True
        logger.warning(
            "Dropping status update for task %s of framework %s from agent %s: the task "
            "runs on agent %s",
            task_id,
            framework_id,
            agent.id,
            task.agent_id,
        )
        return False

    @staticmethod
    def _agent_address(request: web.Request, body: dict[str, Any]) -> str:
        info = body.get("agent_info")
        port = info.get("port") if isinstance(info, dict) else None
        ip = body.get("ip") or request.remote or "?"
        return f"slave(1)@{ip}:{port}" if port else str(ip)

    def _refuse_takeover(self, agent_id: str | None, principal: str | None) -> None:
        """A REGISTER may not take the stream of an agent that is still connected (its
        restart re-registers once the old stream is gone), nor, with --authenticate_agents,
        an agent id another principal registered."""
        existing = self.master.state.agents.get(agent_id or "")
        if existing is None:
            return
        registered = self._principals.get(existing.id)
        if principal is not None and registered is not None and principal != registered:
            raise CallError(403, f"Agent {existing.id} is registered by another principal")
        stream = existing.stream
        if existing.connected and stream is not None and not stream.closed.is_set():
            transport = stream.request.transport
            if transport is not None and not transport.is_closing():
                logger.warning(
                    "Refusing registration of agent %s: it is still connected", existing.id
                )
                raise CallError(409, f"Agent {existing.id} is already registered and connected")

    @staticmethod
    async def _refuse_down_machine(
        request: web.Request, hostname: str, ip: str
    ) -> web.StreamResponse:
        """As Mesos: an agent on a DOWN machine is told to shut down."""
        logger.warning(
            "Refusing registration of agent at %s because the machine '%s (%s)' that it is "
            "running on is `DOWN`",
            ip,
            hostname,
            ip,
        )
        stream = EventStream(request)

        async def on_open() -> None:
            stream.send({"type": MasterToAgent.SHUTDOWN, "message": REFUSED_MESSAGE})
            stream.close()

        return await stream.serve(on_open)

    def _agent_for(self, body: dict[str, Any]) -> Agent:
        agent_id = value_of(body, "agent_id")
        agent = self.master.state.agents.get(agent_id or "")
        if agent is None:
            raise CallError(400, f"Agent {agent_id} is not registered")
        return agent

    async def _register(
        self, request: web.Request, body: dict[str, Any], principal: str | None
    ) -> web.StreamResponse:
        info = body.get("agent_info")
        if not isinstance(info, dict):
            raise CallError(400, "REGISTER needs agent_info")
        self._refuse_takeover(value_of(info, "id"), principal)
        try:
            parse_resources_json(info.get("resources", []))
        except ResourceError as error:
            raise CallError(400, f"Invalid agent resources: {error}") from None
        ip = str(body.get("ip") or request.remote or "127.0.0.1")
        hostname = str(info.get("hostname", ip))
        if self.master.maintenance.refuses(hostname, ip):
            return await self._refuse_down_machine(request, hostname, ip)
        version = str(body.get("version", ""))
        stream = EventStream(request)
        holder: dict[str, Agent] = {}
        ping_interval = self.master.config.agent_ping_timeout

        async def pinger() -> None:
            while True:
                await asyncio.sleep(ping_interval)
                agent = holder.get("agent")
                if agent is not None and not self.master.agent_health.ping_due(agent, stream):
                    return
                stream.send({"type": MasterToAgent.PING})

        async def on_open() -> None:
            agent_id = value_of(info, "id")
            if agent_id is not None and agent_id in self.master.state.gone_agents:
                logger.warning(
                    "Refusing re-registration of agent %s because it is already marked gone",
                    agent_id,
                )
                stream.send({"type": MasterToAgent.SHUTDOWN, "message": GONE_MESSAGE})
                stream.close()
                return
            holder["agent"] = self.master.agent_registration.register(
                info, ip, version, stream, body
            )
            if principal is not None:
                self._principals[holder["agent"].id] = principal

        ping_task = asyncio.get_running_loop().create_task(pinger())
        try:
            return await stream.serve(on_open)
        finally:
            ping_task.cancel()
            agent = holder.get("agent")
            if agent is not None:
                self.master.agent_health.disconnected(agent, stream)
