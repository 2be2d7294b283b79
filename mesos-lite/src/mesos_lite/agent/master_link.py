"""The agent's link to the leading master (Mesos: the agent's registration with the master,
its ping/pong and the forwarding of status updates).

The agent POSTs REGISTER to `AGENT_PATH` and keeps the response open: the master's events
arrive on it (RecordIO). Every other call to the master is a separate POST. When the link
breaks, or another master is elected, the agent registers again after a random backoff of
up to --registration_backoff_factor.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any, Protocol

import aiohttp

from mesos_lite import MESOS_VERSION, recordio
from mesos_lite.agent.model import ExecutorRun
from mesos_lite.agent.state import AgentState
from mesos_lite.agent_protocol import AGENT_PATH, AgentToMaster, MasterToAgent
from mesos_lite.protocol import TERMINAL_STATES, value_of, wrap

logger = logging.getLogger(__name__)

# A failing link is warned about once per distinct error, then at most this often (seconds).
FAILURE_LOG_INTERVAL = 30
# The longest pause after repeated unexpected errors of the link (Mesos's agent backs off its
# registration to at most a minute).
UNEXPECTED_ERROR_BACKOFF_MAX = 60.0


class LinkListener(Protocol):
    """What the link tells the agent."""

    def on_registered(self, agent_id: str, master_info: dict[str, Any] | None) -> None: ...

    def on_disconnected(self) -> None: ...

    def on_master_event(self, event: dict[str, Any]) -> None: ...

    def on_fatal_error(self, message: str) -> None: ...

    def awaits_acknowledgement(self, framework_id: str, task_id: str) -> bool:
        """Whether an update of the task is still to be acknowledged by the framework."""
        ...


class MasterLink:
    def __init__(self, state: AgentState, listener: LinkListener) -> None:
        self._state = state
        self._listener = listener
        self.address: str | None = None
        self.registered = False
        self._session: aiohttp.ClientSession | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._current: asyncio.Task[None] | None = None
        self._address_changed = asyncio.Event()
        self._last_failure: tuple[str, float] | None = None

    def start(self) -> None:
        credential = self._state.config.credential
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
            auth=aiohttp.BasicAuth(credential.principal, credential.secret)
            if credential is not None
            else None,
        )
        self._loop_task = asyncio.get_running_loop().create_task(self._keep_registered())

    def set_master(self, address: str | None) -> None:
        if address == self.address:
            return
        logger.info("New master detected at %s", address)
        self.address = address
        self._address_changed.set()
        if self._current is not None:
            self._current.cancel()

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
        if self._session is not None:
            await self._session.close()

    async def _keep_registered(self) -> None:
        """Registers with the current master and again whenever the link ends, whatever
        ended it: an unexpected error is logged and followed by a growing backoff, never
        the end of the link (the agent would be left with no master and nobody noticing)."""
        unexpected = 0
        while not self._state.stopping:
            try:
                if await self._link_once():
                    unexpected = 0
                    await asyncio.sleep(self._registration_backoff())
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                unexpected += 1
                logger.exception(
                    "Unexpected error in the link to the master at %s; registering again",
                    self.address,
                )
            if unexpected:
                await asyncio.sleep(
                    min(self._registration_backoff() * 2**unexpected, UNEXPECTED_ERROR_BACKOFF_MAX)
                )

    def _registration_backoff(self) -> float:
        return random.uniform(0.1, max(self._state.config.registration_backoff_factor, 0.1))

    async def _link_once(self) -> bool:
        """One registration and the life of its event stream; False while no master is known."""
        address = self.address
        if address is None:
            self._address_changed.clear()
            await self._address_changed.wait()
            return False
        self._current = asyncio.get_running_loop().create_task(self._register_with(address))
        try:
            await self._current
        except asyncio.CancelledError:
            if self._state.stopping:
                raise
        except (aiohttp.ClientError, OSError, recordio.RecordIOError, ValueError) as error:
            self._log_failure(address, str(error))
        finally:
            self._current = None
            if self.registered:
                logger.warning("Lost the master at %s; re-registering", address)
            self.registered = False
            self._listener.on_disconnected()
        return True

    def _log_failure(self, address: str, error: str) -> None:
        """Warns about a failing master link once per distinct error and then every 30s,
        not on every retry."""
        clock = time.monotonic()
        last = self._last_failure
        if last is None or last[0] != error or clock - last[1] >= FAILURE_LOG_INTERVAL:
            logger.warning("Connection to master %s failed (retrying): %s", address, error)
            self._last_failure = (error, clock)

    async def _register_with(self, address: str) -> None:
        assert self._session is not None
        state = self._state
        body = {
            "type": AgentToMaster.REGISTER,
            "agent_info": state.agent_info(),
            "ip": state.config.advertise_ip,
            "version": MESOS_VERSION,
            **self._running_work(),
        }
        async with self._session.post(f"http://{address}{AGENT_PATH}", json=body) as response:
            if response.status == 401 and state.config.credential is not None:
                # Mesos: a refused authentication ends the agent (executors keep running).
                self._listener.on_fatal_error(f"Master {address} refused authentication")
                return
            if response.status != 200:
                text = await response.text()
                raise ValueError(f"master answered {response.status}: {text.strip()}")
            decoder = recordio.Decoder()
            async for chunk in response.content.iter_any():
                for record in decoder.feed(chunk):
                    self._on_event(json.loads(record))

    def _running_work(self) -> dict[str, Any]:
        """The frameworks, custom executors and tasks the agent has, told to the master on
        (re-)registration so that it can rebuild its view after a failover. As Mesos's agent
        does, a task that ended is listed (with its latest state) until its terminal update
        is acknowledged: a task that ended while no master led is then known to the next
        leader as ended, not taken for one the agent never had (TASK_GONE)."""
        executors, tasks = [], []
        for framework in self._state.frameworks.values():
            for run in framework.executors.values():
                if not run.is_command_executor:
                    executors.append({**run.info, "framework_id": wrap(framework.id)})
            for run in [*framework.executors.values(), *framework.completed_executors]:
                for task_id, task in self._unacknowledged_tasks(framework.id, run):
                    entry: dict[str, Any] = {
                        "framework_id": wrap(framework.id),
                        "task_info": task,
                        "state": run.task_states.get(task_id, "TASK_STAGING"),
                    }
                    if not run.is_command_executor:
                        entry["executor_id"] = wrap(run.executor_id)
                    tasks.append(entry)
        frameworks = [f.info for f in self._state.frameworks.values()]
        return {"executors": executors, "tasks": tasks, "frameworks": frameworks}

    def _unacknowledged_tasks(
        self, framework_id: str, run: ExecutorRun
    ) -> list[tuple[str, dict[str, Any]]]:
        """(id, TaskInfo) of the run's live tasks and of its ended tasks whose terminal
        update the framework has not acknowledged yet."""
        candidates = {
            **{value_of(task, "task_id") or "": task for task in run.completed_tasks},
            **run.queued_tasks,
            **run.launched_tasks,
        }
        return [
            (task_id, {key: value for key, value in task.items() if key != "state"})
            for task_id, task in candidates.items()
            if run.task_states.get(task_id) not in TERMINAL_STATES
            or self._listener.awaits_acknowledgement(framework_id, task_id)
        ]

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == MasterToAgent.PING:
            self._state.spawn(self.post({"type": AgentToMaster.PONG}))
        elif kind == MasterToAgent.REGISTERED:
            agent_id = value_of(event, "agent_id")
            if agent_id is None:
                return
            self.registered = True
            self._last_failure = None
            self._listener.on_registered(agent_id, event.get("master_info"))
        else:
            self._listener.on_master_event(event)

    async def post(self, body: dict[str, Any]) -> bool:
        """Sends one call to the master; False (logged) if it is not registered with one or
        the master does not accept the call."""
        state = self._state
        if self._session is None or self.address is None or not self.registered:
            return False
        try:
            async with self._session.post(
                f"http://{self.address}{AGENT_PATH}",
                json={**body, "agent_id": wrap(state.id or "")},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                if response.status != 202:
                    logger.warning(
                        "Master refused %s: %s %s",
                        body.get("type"),
                        response.status,
                        (await response.text()).strip(),
                    )
                    return False
                return True
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            logger.warning("Cannot send %s to the master: %s", body.get("type"), error)
            return False

    async def forward_update(
        self, framework_id: str, status: dict[str, Any], latest_state: str
    ) -> bool:
        """The status update manager's way to the master."""
        return await self.post(
            {
                "type": AgentToMaster.STATUS_UPDATE,
                "update": {"framework_id": wrap(framework_id), "status": status},
                "latest_state": latest_state,
            }
        )
