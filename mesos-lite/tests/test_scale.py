"""The master with many agents: registry batching keeps every admitted agent, and SIGTERM with
many agent streams open ends them all and exits (bench/mesos_lite_bench.py has the timings)."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest

from mesos_lite.agent_protocol import AGENT_PATH, AgentToMaster, MasterToAgent
from mesos_lite.httpd import EventStream
from mesos_lite.master.master import Master
from mesos_lite.master.registry import FileStore, Registrar
from mesos_lite.recordio import Decoder
from mesos_lite.testing import master_config, start_master

AGENTS = 300


class RecordingStream:
    """Stands in for an agent's REGISTER stream."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, event: dict[str, Any]) -> None:
        self.sent.append(event)

    def close(self) -> None:
        pass


def agent_info(index: int, cpus: float = 4) -> dict[str, Any]:
    return {
        "hostname": f"sim-{index}",
        "port": 40000 + index,
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024}},
        ],
    }


def leading_master(work_dir: Path) -> tuple[Master, Registrar]:
    config = master_config("--hostname=leader", f"--work_dir={work_dir}")
    master = Master(config)
    registrar = Registrar(FileStore(str(work_dir)), on_failure=pytest.fail)
    master.registry.registrar = registrar
    master.leadership.become_leader()
    return master, registrar


def test_registry_batches_keep_every_admitted_agent_and_every_change(tmp_path: Path) -> None:
    """Admissions made while a registry write is pending share one write, and that write
    records every one of them; an agent re-registering with other resources is recorded anew
    (its encoded entry is not reused)."""

    async def scenario() -> None:
        master, registrar = leading_master(tmp_path)
        streams = [RecordingStream() for _ in range(AGENTS)]
        agents = [
            master.agent_registration.register(
                agent_info(i), "127.0.0.1", "1.11.0", cast(EventStream, stream), {}
            )
            for i, stream in enumerate(streams)
        ]
        assert all(s.sent[0]["type"] == MasterToAgent.REGISTERED for s in streams)
        await registrar.flush()
        assert registrar.writes == 1
        stored = registrar.store.fetch().admitted
        assert set(stored) == {agent.id for agent in agents}
        assert stored[agents[7].id]["hostname"] == "sim-7"

        changed = {**agent_info(7, cpus=16), "id": {"value": agents[7].id}}
        master.agent_registration.register(
            changed, "127.0.0.1", "1.11.0", cast(EventStream, RecordingStream()), {}
        )
        await registrar.flush()
        cpus = [
            r["scalar"]["value"]
            for r in registrar.store.fetch().admitted[agents[7].id]["resources"]
            if r["name"] == "cpus"
        ]
        assert cpus == [16]
        assert len(registrar.store.fetch().admitted) == AGENTS

    asyncio.run(scenario())


@pytest.mark.slow
def test_sigterm_with_many_agent_streams_ends_them_and_exits(tmp_path: Path) -> None:
    """SIGTERM with hundreds of agent streams open: every stream ends, the master exits 0 and
    the registry lists every agent it admitted."""
    master, port = start_master(tmp_path)
    url = f"http://127.0.0.1:{port}{AGENT_PATH}"

    async def scenario() -> int:
        registered: list[asyncio.Event] = [asyncio.Event() for _ in range(AGENTS)]
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def agent(index: int) -> bool:
                body = {
                    "type": AgentToMaster.REGISTER,
                    "ip": "127.0.0.1",
                    "version": "1.11.0",
                    "agent_info": agent_info(index),
                }
                decoder = Decoder()
                async with session.post(url, json=body) as response:
                    assert response.status == 200
                    async for chunk in response.content.iter_any():
                        for record in decoder.feed(chunk):
                            if json.loads(record)["type"] == MasterToAgent.REGISTERED:
                                registered[index].set()
                return True

            streams = [asyncio.create_task(agent(i)) for i in range(AGENTS)]
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in registered)), 60)
            code = await asyncio.to_thread(master.stop, signal.SIGTERM, 30.0)
            ended = await asyncio.wait_for(asyncio.gather(*streams, return_exceptions=True), 30)
            assert all(r is True or isinstance(r, aiohttp.ClientError) for r in ended), ended
            return code

    assert asyncio.run(scenario()) == 0
    registry = json.loads((tmp_path / "master" / "registry").read_text())
    assert len(registry["slaves"]["slaves"]) == AGENTS
