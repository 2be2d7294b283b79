"""mesos-lite benchmarks (printed figures, not timed tests).

1. SUBSCRIBE -> first OFFERS latency with 3 agents registered (median of --runs).
2. LAUNCH -> TASK_RUNNING and LAUNCH -> TASK_FINISHED of the command task `true` run by the
   command executor (medians of --runs).
3. A master with --agents simulated agents (mesos-lite's own agent protocol, spoken by this
   process): master memory, time from SUBSCRIBE until offers covered every agent, and
   /master/state response time (median of 10).

Apache Mesos 1.11 on these machines: first OFFERS 5 ms, LAUNCH -> TASK_RUNNING 112 ms,
LAUNCH -> TASK_FINISHED 207 ms (medians).

    python bench/mesos_lite_bench.py [--runs 20] [--agents 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from mesos_lite.testing import start_agent, start_master, wait_for_agents

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


async def records(response: aiohttp.ClientResponse) -> Any:
    buffer = b""
    async for chunk in response.content.iter_any():
        buffer += chunk
        while b"\n" in buffer:
            prefix, rest = buffer.split(b"\n", 1)
            length = int(prefix)
            if len(rest) < length:
                break
            yield json.loads(rest[:length])
            buffer = rest[length:]


class Framework:
    """A minimal v1 scheduler client on aiohttp."""

    def __init__(self, session: aiohttp.ClientSession, master: str) -> None:
        self.session = session
        self.master = master
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.framework_id = ""
        self.stream_id = ""
        self._reader: asyncio.Task[None] | None = None
        self._response: aiohttp.ClientResponse | None = None

    async def subscribe(self) -> float:
        """Subscribes; returns the monotonic time the request was sent."""
        body = {
            "type": "SUBSCRIBE",
            "subscribe": {
                "framework_info": {"user": "root", "name": f"bench-{uuid.uuid4().hex[:6]}"}
            },
        }
        sent = time.monotonic()
        response = await self.session.post(
            f"{self.master}/api/v1/scheduler", json=body, headers=JSON
        )
        assert response.status == 200, await response.text()
        self.stream_id = response.headers["Mesos-Stream-Id"]
        self._response = response
        self._reader = asyncio.get_running_loop().create_task(self._read(response))
        subscribed = await self.next("SUBSCRIBED")
        self.framework_id = subscribed["subscribed"]["framework_id"]["value"]
        return sent

    async def _read(self, response: aiohttp.ClientResponse) -> None:
        async for event in records(response):
            event["_at"] = time.monotonic()
            await self.events.put(event)

    async def next(self, kind: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            event = await asyncio.wait_for(self.events.get(), deadline - time.monotonic())
            if event["type"] == kind:
                return event

    async def call(self, kind: str, body: dict[str, Any] | None = None) -> None:
        payload: dict[str, Any] = {"type": kind, "framework_id": {"value": self.framework_id}}
        if body is not None:
            payload[kind.lower()] = body
        async with self.session.post(
            f"{self.master}/api/v1/scheduler",
            json=payload,
            headers={**JSON, "Mesos-Stream-Id": self.stream_id},
        ) as r:
            assert r.status in (200, 202), await r.text()

    async def close(self) -> None:
        await self.call("TEARDOWN")
        if self._reader is not None:
            self._reader.cancel()
        if self._response is not None:
            self._response.close()


async def accept_many(framework: Framework, offer: dict[str, Any], count: int) -> float:
    """Milliseconds until the master answers an ACCEPT of `count` tasks (each asking more
    than the offer holds, so the master parses, validates and refuses every one with
    TASK_ERROR and nothing is launched)."""
    tasks = [
        {
            "name": f"big-{index}",
            "task_id": {"value": f"big-{index}-{uuid.uuid4().hex[:8]}"},
            "agent_id": offer["agent_id"],
            "command": {
                "value": "true",
                "environment": {"variables": [{"name": "A", "value": "1"}]},
            },
            "labels": {"labels": [{"key": "k", "value": "v"}]},
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1000}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
            ],
        }
        for index in range(count)
    ]
    body = {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
        "filters": {"refuse_seconds": 0},
    }
    sent = time.monotonic()
    await framework.call("ACCEPT", body)
    return (time.monotonic() - sent) * 1000


async def bench_cluster(runs: int, directory: Path) -> dict[str, float]:
    master, master_port = start_master(directory, "--registry=in_memory")
    agents = [
        start_agent(directory, f"127.0.0.1:{master_port}", "--resources=cpus:2;mem:2048")[0]
        for _ in range(3)
    ]
    master_url = f"http://127.0.0.1:{master_port}"
    offers_ms, running_ms, finished_ms, accept_100_ms = [], [], [], []
    try:
        wait_for_agents(master_url, 3)
        async with aiohttp.ClientSession() as session:
            for _ in range(runs):
                framework = Framework(session, master_url)
                sent = await framework.subscribe()
                offers = await framework.next("OFFERS")
                offers_ms.append((offers["_at"] - sent) * 1000)
                offer = offers["offers"]["offers"][0]
                if len(offers["offers"]["offers"]) > 1:
                    accept_100_ms.append(
                        await accept_many(framework, offers["offers"]["offers"][1], 100)
                    )
                task_id = f"true-{uuid.uuid4().hex[:8]}"
                launch = {
                    "offer_ids": [offer["id"]],
                    "operations": [
                        {
                            "type": "LAUNCH",
                            "launch": {
                                "task_infos": [
                                    {
                                        "name": task_id,
                                        "task_id": {"value": task_id},
                                        "agent_id": offer["agent_id"],
                                        "command": {"value": "true"},
                                        "resources": [
                                            {
                                                "name": "cpus",
                                                "type": "SCALAR",
                                                "scalar": {"value": 0.1},
                                            },
                                            {
                                                "name": "mem",
                                                "type": "SCALAR",
                                                "scalar": {"value": 32},
                                            },
                                        ],
                                    }
                                ]
                            },
                        }
                    ],
                }
                launched = time.monotonic()
                await framework.call("ACCEPT", launch)
                while True:
                    update = await framework.next("UPDATE")
                    status = update["update"]["status"]
                    if status["task_id"]["value"] != task_id:
                        continue  # a TASK_ERROR of accept_many's tasks (no uuid)
                    if "uuid" in status:
                        await framework.call(
                            "ACKNOWLEDGE",
                            {
                                "agent_id": status["agent_id"],
                                "task_id": status["task_id"],
                                "uuid": status["uuid"],
                            },
                        )
                    if status["state"] == "TASK_RUNNING":
                        running_ms.append((update["_at"] - launched) * 1000)
                    if status["state"] in (
                        "TASK_FINISHED",
                        "TASK_FAILED",
                        "TASK_ERROR",
                        "TASK_LOST",
                    ):
                        assert status["state"] == "TASK_FINISHED", status
                        finished_ms.append((update["_at"] - launched) * 1000)
                        break
                await framework.close()
    finally:
        for daemon in [*agents, master]:
            daemon.stop(timeout=20)
    return {
        "subscribe_to_offers_ms": statistics.median(offers_ms),
        "launch_to_running_ms": statistics.median(running_ms),
        "launch_to_finished_ms": statistics.median(finished_ms),
        "accept_100_tasks_ms": statistics.median(accept_100_ms),
    }


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def simulated_agent(
    session: aiohttp.ClientSession,
    master_url: str,
    index: int,
    *,
    registered: asyncio.Event,
    counter: list[int],
    total: int,
) -> None:
    body = {
        "type": "REGISTER",
        "ip": "127.0.0.1",
        "version": "1.11.0",
        "executors": [],
        "tasks": [],
        "agent_info": {
            "hostname": f"sim-{index}",
            "port": 40000 + index,
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 8192}},
                {
                    "name": "ports",
                    "type": "RANGES",
                    "ranges": {"range": [{"begin": 31000, "end": 32000}]},
                },
            ],
            "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": f"r{index % 10}"}}],
        },
    }
    async with session.post(f"{master_url}/mesos-lite/agent", json=body, headers=JSON) as resp:
        async for event in records(resp):
            if event["type"] == "REGISTERED":
                counter[0] += 1
                if counter[0] == total:
                    registered.set()


async def bench_many_agents(count: int, directory: Path) -> dict[str, float]:
    master, port = start_master(
        directory, "--registry=in_memory", "--logging_level=WARNING", name="master-many"
    )
    master_url = f"http://127.0.0.1:{port}"
    results: dict[str, float] = {}
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            baseline = rss_mib(master.pid)
            registered, counter = asyncio.Event(), [0]
            started = time.monotonic()
            agents = [
                asyncio.get_running_loop().create_task(
                    simulated_agent(
                        session, master_url, i, registered=registered, counter=counter, total=count
                    )
                )
                for i in range(count)
            ]
            await asyncio.wait_for(registered.wait(), 120)
            results["register_all_s"] = time.monotonic() - started
            framework = Framework(session, master_url)
            sent = await framework.subscribe()
            covered: set[str] = set()
            while len(covered) < count:
                event = await framework.next("OFFERS", timeout=60)
                covered |= {o["agent_id"]["value"] for o in event["offers"]["offers"]}
            results["offers_to_all_agents_s"] = time.monotonic() - sent
            results["master_rss_mib"] = rss_mib(master.pid)
            results["master_rss_baseline_mib"] = baseline
            timings = []
            for _ in range(10):
                begin = time.monotonic()
                async with session.get(f"{master_url}/master/state") as response:
                    state = await response.read()
                timings.append((time.monotonic() - begin) * 1000)
            results["state_response_ms"] = statistics.median(timings)
            results["state_bytes"] = float(len(state))
            await framework.close()
            for agent in agents:
                agent.cancel()
    finally:
        master.stop(timeout=30)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--agents", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mesos-lite-bench-") as temporary:
        directory = Path(temporary)
        cluster = await bench_cluster(args.runs, directory)
        print(f"3 agents, {args.runs} runs (medians; Apache Mesos: 5 / 112 / 207 ms):")
        print(f"  SUBSCRIBE -> first OFFERS      {cluster['subscribe_to_offers_ms']:8.1f} ms")
        print(f"  LAUNCH -> TASK_RUNNING (true)  {cluster['launch_to_running_ms']:8.1f} ms")
        print(f"  LAUNCH -> TASK_FINISHED (true) {cluster['launch_to_finished_ms']:8.1f} ms")
        print(f"  ACCEPT of 100 tasks -> 202     {cluster['accept_100_tasks_ms']:8.1f} ms")
        many = await bench_many_agents(args.agents, directory)
        print(f"{args.agents} simulated agents:")
        print(f"  all registered in              {many['register_all_s']:8.2f} s")
        print(f"  SUBSCRIBE -> offers to all     {many['offers_to_all_agents_s']:8.2f} s")
        print(
            f"  master RSS                     {many['master_rss_mib']:8.1f} MiB "
            f"(idle {many['master_rss_baseline_mib']:.1f} MiB)"
        )
        print(
            f"  /master/state                  {many['state_response_ms']:8.1f} ms "
            f"({many['state_bytes'] / 1024:.0f} KiB)"
        )


if __name__ == "__main__":
    if os.environ.get("MESOS_MASTER_URL"):
        print("note: the benchmark always starts its own mesos-lite daemons", file=sys.stderr)
    asyncio.run(main())
