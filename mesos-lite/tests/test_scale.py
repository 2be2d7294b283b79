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
from mesos_lite.json_text import dumps
from mesos_lite.master import state_json
from mesos_lite.master.master import Master
from mesos_lite.master.offer_acceptance import OfferAcceptance
from mesos_lite.master.registrar import Registrar
from mesos_lite.master.registry_store import FileStore
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


def test_state_text_is_the_state_json_encoded_and_follows_changes(tmp_path: Path) -> None:
    """/master/state's text, assembled from the agents' and offers' texts kept between
    requests, is byte for byte the encoding of its JSON body, also after an agent's resources
    change (a launched task), its offers are taken and others made, and an agent leaves."""

    async def scenario() -> None:
        master, registrar = leading_master(tmp_path)
        streams = [RecordingStream() for _ in range(5)]
        agents = [
            master.agent_registration.register(
                {
                    **agent_info(i),
                    "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": f"r{i}"}}],
                },
                "127.0.0.1",
                "1.11.0",
                cast(EventStream, stream),
                {},
            )
            for i, stream in enumerate(streams)
        ]
        framework = master.framework_lifecycle.subscribe(
            {"user": "root", "name": "f", "labels": {"labels": [{"key": "k", "value": "v"}]}},
            cast(EventStream, RecordingStream()),
        )
        master.allocator.allocate()
        assert len(framework.offers) == len(agents)

        def same() -> str:
            text = state_json.state_text(master)
            assert text == dumps(state_json.state_json(master))
            assert state_json.slaves_text(master) == dumps(
                {
                    "slaves": [state_json.agent_json(a) for a in master.state.agents.values()],
                    "recovered_slaves": [],
                }
            )
            return text

        before = same()
        offer = next(o for o in framework.offers.values() if o.agent_id == agents[2].id)
        task = {
            "name": "t",
            "task_id": {"value": "t1"},
            "agent_id": {"value": agents[2].id},
            "command": {"value": "true"},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.5}}],
        }
        OfferAcceptance(master, None).accept(
            framework,
            {
                "accept": {
                    "offer_ids": [{"value": offer.id}],
                    "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}],
                    "filters": {"refuse_seconds": 0},
                }
            },
        )
        master.allocator.allocate()
        after = same()
        assert after != before
        body = json.loads(after)
        used = {a["id"]: a["used_resources"]["cpus"] for a in body["slaves"]}
        assert used[agents[2].id] == 1.5
        assert body["frameworks"][0]["used_resources"]["cpus"] == 1.5
        assert len(body["frameworks"][0]["offers"]) == len(agents)
        launched = framework.tasks["t1"]
        finished = {"task_id": {"value": "t1"}, "state": "TASK_FINISHED"}
        master.task_lifecycle.apply_status(framework, launched, finished, "TASK_FINISHED")
        body = json.loads(same())
        assert {a["id"]: a["used_resources"]["cpus"] for a in body["slaves"]}[agents[2].id] == 0
        master.agent_health.mark_unreachable(agents[4].id)
        assert len(json.loads(same())["slaves"]) == len(agents) - 1
        await registrar.flush()

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
