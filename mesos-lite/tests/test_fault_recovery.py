"""Faults injected where mesos-lite must recover as Mesos does: ZooKeeper failing while a
master contends again, a registry write applied by ZooKeeper whose answer was lost, an
unexpected error in the agent's link to its master."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from kazoo.client import KazooState
from kazoo.exceptions import BadVersionError, ConnectionLoss, NoNodeError, SessionExpiredError

from mesos_lite import recordio, zookeeper
from mesos_lite.agent.master_link import MasterLink
from mesos_lite.agent_protocol import AGENT_PATH, MasterToAgent
from mesos_lite.master.registrar import Registrar
from mesos_lite.master.registry_store import ZooKeeperStore
from mesos_lite.zookeeper import MasterContender, ZooKeeperUrl

URL = ZooKeeperUrl("127.0.0.1:1", "/mesos")


class FakeZooKeeper:
    """The few znode operations the contender and the registry use, with versions and
    ephemeral owners as ZooKeeper keeps them, and faults to inject: `failures` holds the
    exceptions the next calls raise; `lose_answer_of_next_set` applies a set and then
    reports the connection lost."""

    def __init__(self) -> None:
        self.nodes: dict[str, tuple[bytes, int, int]] = {}  # path -> (data, version, owner)
        self.sequence = 0
        self.client_id = (42, b"")
        self.failures: list[Exception] = []
        self.lose_answer_of_next_set = False
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)

    def ensure_path(self, path: str) -> None:
        self._maybe_fail()

    def create(
        self,
        path: str,
        data: bytes,
        ephemeral: bool = False,
        sequence: bool = False,
        acl: Any = None,
        makepath: bool = False,
    ) -> str:
        self._maybe_fail()
        if sequence:
            path = f"{path}{self.sequence:010d}"
            self.sequence += 1
        self.nodes[path] = (data, 0, self.client_id[0] if ephemeral else 0)
        return path

    def exists(self, path: str) -> Any:
        self._maybe_fail()
        if path not in self.nodes:
            return None
        _, version, owner = self.nodes[path]
        return SimpleNamespace(version=version, ephemeralOwner=owner)

    def get(self, path: str) -> tuple[bytes, Any]:
        self._maybe_fail()
        if path not in self.nodes:
            raise NoNodeError()
        data, version, _ = self.nodes[path]
        return data, SimpleNamespace(version=version)

    def set(self, path: str, data: bytes, version: int = -1) -> Any:
        self._maybe_fail()
        _, current, owner = self.nodes[path]
        if version != current:
            raise BadVersionError()
        self.nodes[path] = (data, current + 1, owner)
        if self.lose_answer_of_next_set:
            self.lose_answer_of_next_set = False
            raise ConnectionLoss()
        return SimpleNamespace(version=current + 1)

    def get_children(self, path: str) -> list[str]:
        self._maybe_fail()
        prefix = path.rstrip("/") + "/"
        return [
            p[len(prefix) :]
            for p in self.nodes
            if p.startswith(prefix) and "/" not in p[len(prefix) :]
        ]


# ----- (a) contending again after ZooKeeper came back -----
async def until_reported(contender: MasterContender, leads: list[bool]) -> None:
    """Waits (up to 4s) for the contender to report itself elected, then stops it."""
    for _ in range(200):
        if leads and leads[-1]:
            break
        await asyncio.sleep(0.02)
    contender._stopping = True


def test_master_contends_again_when_zookeeper_fails_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zookeeper, "RECONTEND_BACKOFF_MIN", 0.01)
    leads: list[bool] = []
    lost: list[str] = []

    async def main() -> FakeZooKeeper:
        contender = MasterContender(
            URL, 10.0, lambda elected, _: leads.append(elected), lost.append
        )
        fake = FakeZooKeeper()
        contender._client = fake
        contender._data = b'{"id": "me"}'
        contender._contend()
        contender._on_state(KazooState.LOST)  # the session expired: its node is gone
        fake.nodes.clear()
        assert lost == ["ZooKeeper session expired"]
        # ZooKeeper is back, but fails the first attempts to publish again.
        fake.failures = [ConnectionLoss(), SessionExpiredError(), ConnectionLoss()]
        contender._on_state(KazooState.CONNECTED)
        await until_reported(contender, leads)
        return fake

    fake = asyncio.run(main())
    assert leads == [True], "the master never contended again"
    assert not fake.failures
    assert len(fake.get_children("/mesos")) == 1


def test_a_node_created_before_the_connection_dropped_is_adopted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The create reached ZooKeeper but its answer did not: no second candidate is left."""
    monkeypatch.setattr(zookeeper, "RECONTEND_BACKOFF_MIN", 0.01)
    leads: list[bool] = []

    async def main() -> FakeZooKeeper:
        contender = MasterContender(
            URL, 10.0, lambda elected, _: leads.append(elected), lambda reason: None
        )
        fake = FakeZooKeeper()
        contender._client = fake
        contender._node = "json.info_0000000099"  # of the expired session
        original_create = fake.create

        def create_then_lose(*args: Any, **kwargs: Any) -> str:
            original_create(*args, **kwargs)
            fake.create = original_create  # type: ignore[method-assign]
            raise ConnectionLoss()

        fake.create = create_then_lose  # type: ignore[method-assign]
        contender._candidacy_lost = True
        contender._on_state(KazooState.CONNECTED)
        await until_reported(contender, leads)
        return fake

    fake = asyncio.run(main())
    assert leads == [True]
    assert fake.get_children("/mesos") == ["json.info_0000000000"]


def test_a_session_lost_again_while_contending_means_contending_once_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The session expires again right after the node was created: that node dies with it,
    so the master publishes once more, and a later loss still reaches on_candidacy_lost."""
    monkeypatch.setattr(zookeeper, "RECONTEND_BACKOFF_MIN", 0.01)
    leads: list[bool] = []
    lost: list[str] = []

    async def main() -> FakeZooKeeper:
        contender = MasterContender(
            URL, 10.0, lambda elected, _: leads.append(elected), lost.append
        )
        fake = FakeZooKeeper()
        contender._client = fake
        original_create = fake.create

        def create_then_expire(*args: Any, **kwargs: Any) -> str:
            created = original_create(*args, **kwargs)
            fake.create = original_create  # type: ignore[method-assign]
            del fake.nodes[created]  # the session (and its ephemeral node) is gone
            contender._state_changed(KazooState.LOST)
            time.sleep(0.2)  # the loop takes the LOST in before this attempt ends
            return created

        fake.create = create_then_expire  # type: ignore[method-assign]
        contender._candidacy_lost = True
        contender._on_state(KazooState.CONNECTED)
        await until_reported(contender, leads)
        contender._stopping = False
        contender._on_state(KazooState.LOST)
        contender._stopping = True
        return fake

    fake = asyncio.run(main())
    assert leads[-1] is True
    assert len(fake.get_children("/mesos")) == 1
    assert lost == ["ZooKeeper session expired", "ZooKeeper session expired"]


# ----- (b) a registry write applied, its answer lost -----
def registry_store(fake: FakeZooKeeper) -> ZooKeeperStore:
    store = ZooKeeperStore(URL, 10.0)
    store._client = fake
    store._started = True
    fake.create("/mesos/json.info_", b"{}", ephemeral=True, sequence=True)  # the quorum
    return store


def write_in_turn(
    store: ZooKeeperStore, documents: list[bytes], before: dict[int, Callable[[], None]]
) -> list[str]:
    """Has a Registrar write `documents` one after the other, `before[i]` run before the
    i-th; returns the failures it reported (each would make the leader exit)."""
    failures: list[str] = []

    async def main() -> None:
        registrar = Registrar(store, failures.append, store_timeout=5.0)
        for index, document in enumerate(documents):
            if index in before:
                before[index]()
            registrar.save(lambda document=document: document)  # type: ignore[misc]
            await registrar.flush()

    asyncio.run(main())
    return failures


def document(n: int, master: str = "me") -> bytes:
    return json.dumps({"master": {"info": {"id": master}}, "n": n}).encode()


def test_a_registry_write_applied_before_the_connection_dropped_is_not_a_conflict() -> None:
    fake = FakeZooKeeper()
    store = registry_store(fake)

    def lose_the_answer() -> None:
        fake.lose_answer_of_next_set = True  # applied, then ConnectionLoss

    failures = write_in_turn(store, [document(1), document(2), document(3)], {1: lose_the_answer})
    assert failures == []
    data, version, _ = fake.nodes[store.path]
    assert json.loads(data)["n"] == 3 and version == 2


def test_a_registry_written_by_another_master_is_still_a_conflict() -> None:
    fake = FakeZooKeeper()
    store = registry_store(fake)

    def another_master_writes() -> None:
        fake.set(store.path, document(0, master="other"), version=0)

    failures = write_in_turn(store, [document(1), document(2)], {1: another_master_writes})
    assert len(failures) == 1 and "another master" in failures[0]


# ----- (c) an unexpected error in the agent's link to its master -----
class FlakyListener:
    def __init__(self) -> None:
        self.registered: list[str] = []
        self.events = 0

    def on_registered(self, agent_id: str, master_info: dict[str, Any] | None) -> None:
        self.registered.append(agent_id)

    def on_disconnected(self) -> None:
        pass

    def on_master_event(self, event: dict[str, Any]) -> None:
        self.events += 1
        if self.events == 1:
            raise KeyError("a bug in handling this event")

    def on_fatal_error(self, message: str) -> None:
        raise AssertionError(message)


def test_the_agent_link_survives_an_unexpected_error(caplog: pytest.LogCaptureFixture) -> None:
    registrations: list[int] = []
    done = asyncio.Event()

    async def register(request: web.Request) -> web.StreamResponse:
        registrations.append(1)
        response = web.StreamResponse()
        await response.prepare(request)
        for event in (
            {"type": MasterToAgent.REGISTERED, "agent_id": {"value": "S1"}},
            {"type": "RUN_TASK", "task": {}},
        ):
            await response.write(recordio.encode_json(event))
        await done.wait()
        return response

    async def main() -> FlakyListener:
        app = web.Application()
        app.router.add_post(AGENT_PATH, register)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        config = SimpleNamespace(
            registration_backoff_factor=0.05, credential=None, advertise_ip="127.0.0.1"
        )
        state = SimpleNamespace(
            config=config,
            stopping=False,
            frameworks={},
            id=None,
            agent_info=lambda: {"hostname": "h"},
            spawn=asyncio.ensure_future,
        )
        listener = FlakyListener()
        link = MasterLink(state, listener)  # type: ignore[arg-type]
        link.start()
        link.set_master(f"127.0.0.1:{port}")
        for _ in range(250):
            if len(registrations) >= 2 and len(listener.registered) >= 2:
                break
            await asyncio.sleep(0.02)
        state.stopping = True
        done.set()
        await link.stop()
        await runner.cleanup()
        return listener

    with caplog.at_level(logging.ERROR, logger="mesos_lite.agent.master_link"):
        listener = asyncio.run(main())
    assert len(registrations) >= 2, "the link never registered again"
    assert listener.registered[:2] == ["S1", "S1"]
    assert any("Unexpected error" in r.message and r.exc_info for r in caplog.records)
