"""mesos-lite benchmarks (printed figures, not timed tests).

1. SUBSCRIBE -> first OFFERS latency with 3 agents registered (median of --runs).
2. LAUNCH -> TASK_RUNNING and LAUNCH -> TASK_FINISHED of the command task `true` run by the
   command executor (medians of --runs).
3. For each of --agents N1,N2,...: a master with N simulated agents (mesos-lite's own agent
   protocol, spoken by --agent-processes processes of their own, so that they do not starve
   the master they measure): time until all registered (total and per agent), time from
   SUBSCRIBE until offers covered every agent, /master/state response time (median of 10) and
   size, the master's peak RSS, one ACCEPT launching 10,000 tasks (until its 202, and until
   the agent received every RUN_TASK), and SIGTERM -> exit with every stream open.
   --profile DIR writes cProfile data of the master and of one agent process.

Apache Mesos 1.11 on these machines: first OFFERS 5 ms, LAUNCH -> TASK_RUNNING 112 ms,
LAUNCH -> TASK_FINISHED 207 ms (medians).

    python bench/mesos_lite_bench.py [--runs 20] [--agents 1000,3000,10000] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import multiprocessing
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from mesos_lite.testing import (
    free_port,
    resolve_command,
    start_agent,
    start_master,
    wait_for_agents,
    wait_http_ok,
)

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


async def records(response: aiohttp.ClientResponse) -> Any:
    """RecordIO events; linear in the bytes read (an OFFERS event to 10,000 agents is MiBs)."""
    buffer = bytearray()
    async for chunk in response.content.iter_any():
        buffer += chunk
        start = 0
        while True:
            newline = buffer.find(b"\n", start)
            if newline < 0:
                break
            length = int(buffer[start:newline])
            if len(buffer) - newline - 1 < length:
                break
            yield json.loads(buffer[newline + 1 : newline + 1 + length])
            start = newline + 1 + length
        del buffer[:start]


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


def proc_status_mib(pid: int, field: str = "VmRSS") -> float:
    """A /proc/<pid>/status memory figure (VmRSS now, VmHWM the peak) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ----- simulated agents, in processes of their own (so they do not starve the master) -----

# Registrations each agent process keeps in flight: agents boot in waves, not as one SYN flood
# that overflows the master's listen backlog (that measures the kernel's SYN retry back-off).
REGISTRATIONS_IN_FLIGHT = 250
# Connections each agent process sends its agents' PONGs on.
PONG_CONNECTIONS = 8
# The simulated agent that takes the 10,000-task ACCEPT: big enough for all of them.
BIG_AGENT_INDEX = 0
ACCEPT_TASKS = 10_000
TASK_RESOURCES = [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.01}},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 1}},
]


def simulated_agent_info(index: int) -> dict[str, Any]:
    big = index == BIG_AGENT_INDEX
    return {
        "hostname": f"sim-{index}",
        "port": 40000 + index % 20000,
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 128 if big else 4}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 16384 if big else 8192}},
            {
                "name": "ports",
                "type": "RANGES",
                "ranges": {"range": [{"begin": 31000, "end": 32000}]},
            },
        ],
        "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": f"r{index % 10}"}}],
    }


class AgentProcessState:
    """What one agent process reports to the bench (through a multiprocessing queue)."""

    def __init__(self) -> None:
        self.registered = 0
        self.last_registered_at = 0.0
        self.run_tasks = 0
        self.last_run_task_at = 0.0
        self.retries = 0

    def count(self, event: dict[str, Any]) -> str:
        kind = str(event["type"])
        if kind == "REGISTERED":
            self.registered += 1
            self.last_registered_at = time.monotonic()
        elif kind == "RUN_TASK":
            self.run_tasks += 1
            self.last_run_task_at = time.monotonic()
        return kind

    def report(self) -> tuple[int, int, float, int, float]:
        return (
            os.getpid(),
            self.registered,
            self.last_registered_at,
            self.run_tasks,
            self.last_run_task_at,
        )


async def simulate_agents(master_url: str, indices: range, progress: Any, stop: Any) -> None:
    """Registers one REGISTER stream per index, answers PINGs, counts RUN_TASKs; reports
    progress (monotonic clock, shared by the processes of one machine) until `stop` is set."""
    state = AgentProcessState()
    changed = asyncio.Event()
    gate = asyncio.Semaphore(REGISTRATIONS_IN_FLIGHT)
    url = f"{master_url}/mesos-lite/agent"
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    background: set[asyncio.Task[None]] = set()

    # PONGs share a few connections: one per PONG would take thousands of the master's file
    # descriptors (10,000 streams already hold half of a 20,000 limit).
    calls_connector = aiohttp.TCPConnector(limit=PONG_CONNECTIONS)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        aiohttp.ClientSession(connector=calls_connector) as calls,
    ):

        async def pong(agent_id: dict[str, Any]) -> None:
            body = {"type": "PONG", "agent_id": agent_id}
            with contextlib.suppress(aiohttp.ClientError):
                async with calls.post(url, json=body, headers=JSON):
                    pass

        async def agent(index: int) -> None:
            body = {
                "type": "REGISTER",
                "ip": "127.0.0.1",
                "version": "1.11.0",
                "executors": [],
                "tasks": [],
                "agent_info": simulated_agent_info(index),
            }
            agent_id: dict[str, Any] = {}
            await gate.acquire()
            waiting = True
            try:
                # Like an agent, retry a registration the master did not take (connection
                # refused or reset under a burst of connections).
                while waiting:
                    with contextlib.suppress(aiohttp.ClientError):
                        async with session.post(url, json=body, headers=JSON) as response:
                            async for event in records(response):
                                kind = state.count(event)
                                if kind == "REGISTERED":
                                    agent_id = event["agent_id"]
                                    gate.release()
                                    waiting = False
                                elif kind == "PING":
                                    task = asyncio.get_running_loop().create_task(pong(agent_id))
                                    background.add(task)
                                    task.add_done_callback(background.discard)
                                changed.set()
                    if waiting:
                        state.retries += 1
                        await asyncio.sleep(0.5)
            finally:
                if waiting:
                    gate.release()

        agents = [asyncio.get_running_loop().create_task(agent(i)) for i in indices]
        while not stop.is_set():
            if changed.is_set():
                changed.clear()
                progress.put(state.report())
            await asyncio.sleep(0.05)
        for task in agents:
            task.cancel()
        await asyncio.gather(*agents, return_exceptions=True)


def agent_process_main(
    master_url: str, indices: range, progress: Any, go: Any, stop: Any, *, profile: str | None
) -> None:
    progress.put(("ready", os.getpid()))
    go.wait()
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    try:
        asyncio.run(simulate_agents(master_url, indices, progress, stop))
    finally:
        if profiler is not None and profile:
            profiler.disable()
            profiler.dump_stats(profile)


class SimulatedAgents:
    """`count` simulated agents spread over `processes` processes."""

    def __init__(
        self, master_url: str, count: int, processes: int, profile_dir: Path | None
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.count = count
        self.progress = context.Queue()
        self.go = context.Event()
        self.stop_event = context.Event()
        self.reports: dict[int, tuple[int, int, float, int, float]] = {}
        self.workers = [
            context.Process(
                target=agent_process_main,
                args=(
                    master_url,
                    range(i, count, processes),
                    self.progress,
                    self.go,
                    self.stop_event,
                ),
                kwargs={
                    "profile": str(profile_dir / "agents-0.prof") if profile_dir and not i else None
                },
                daemon=True,
            )
            for i in range(processes)
        ]

    async def start(self) -> float:
        """Starts the processes; once all are up, lets them register; returns that time."""
        for worker in self.workers:
            worker.start()
        ready = 0
        while ready < len(self.workers):
            message = await asyncio.to_thread(self.progress.get, True, 30)
            ready += message[0] == "ready"
        started = time.monotonic()
        self.go.set()
        return started

    @property
    def registered(self) -> int:
        return sum(r[1] for r in self.reports.values())

    @property
    def last_registered_at(self) -> float:
        return max((r[2] for r in self.reports.values()), default=0.0)

    @property
    def run_tasks(self) -> int:
        return sum(r[3] for r in self.reports.values())

    @property
    def last_run_task_at(self) -> float:
        return max((r[4] for r in self.reports.values()), default=0.0)

    async def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                return False
            try:
                report = await asyncio.to_thread(self.progress.get, True, 0.2)
            except queue.Empty:
                continue
            self.reports[report[0]] = report
        return True

    def stop(self) -> None:
        self.stop_event.set()
        for worker in self.workers:
            worker.join(10)
            if worker.is_alive():
                worker.terminate()
                worker.join(5)


def launch_many(offer: dict[str, Any], count: int) -> dict[str, Any]:
    """One ACCEPT: `count` command tasks on the agent of `offer`."""
    prefix = uuid.uuid4().hex[:6]
    task_infos = [
        {
            "name": f"t{i}",
            "task_id": {"value": f"{prefix}-{i}"},
            "agent_id": offer["agent_id"],
            "command": {"value": "true"},
            "resources": TASK_RESOURCES,
        }
        for i in range(count)
    ]
    return {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": task_infos}}],
    }


def master_command(port: int, profile_dir: Path | None) -> list[str]:
    flags = [
        "--ip=127.0.0.1",
        f"--port={port}",
        "--hostname=127.0.0.1",
        "--registry=in_memory",
        f"--logging_level={os.environ.get('MESOS_LITE_BENCH_LOGGING_LEVEL', 'WARNING')}",
    ]
    if profile_dir is None:
        return [*resolve_command(["mesos-lite-master"]), *flags]
    return [sys.executable, "-c", PROFILED_MASTER, str(profile_dir / "master.prof"), *flags]


# The master under cProfile; the master leaves with os._exit, so the profile is written then.
PROFILED_MASTER = """
import cProfile, os, sys
from mesos_lite.master import main
path, exit_now, profile = sys.argv.pop(1), os._exit, cProfile.Profile()
def dump_then_exit(code):
    profile.disable()
    profile.dump_stats(path)
    exit_now(code)
os._exit = dump_then_exit
profile.enable()
main.main(sys.argv[1:])
"""


async def bench_many_agents(
    count: int,
    directory: Path,
    processes: int,
    register_timeout: float,
    profile_dir: Path | None,
) -> dict[str, float]:
    """The figures of one master with `count` simulated agents; registration that does not
    complete within `register_timeout` leaves the later figures out (NaN)."""
    port = free_port()
    master = subprocess.Popen(
        master_command(port, profile_dir),
        stdout=(directory / f"master-{count}.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    master_url = f"http://127.0.0.1:{port}"
    nan = float("nan")
    results: dict[str, float] = dict.fromkeys(
        [
            "register_all_s",
            "offers_to_all_agents_s",
            "state_response_ms",
            "state_bytes",
            "accept_ms",
            "accept_delivered_ms",
            "master_rss_mib",
            "sigterm_to_exit_s",
        ],
        nan,
    )
    agents = SimulatedAgents(master_url, count, processes, profile_dir)
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.to_thread(wait_http_ok, port, "/health", 20.0)
            results["master_rss_baseline_mib"] = proc_status_mib(master.pid)
            started = await agents.start()
            finished = await agents.wait_until(lambda: agents.registered >= count, register_timeout)
            results["registered"] = agents.registered
            if finished:
                results["register_all_s"] = agents.last_registered_at - started
                await measure_framework(session, master_url, count, agents, results)
            results["master_rss_mib"] = proc_status_mib(master.pid, "VmHWM")
            signalled = time.monotonic()
            master.send_signal(signal.SIGTERM)
            await asyncio.to_thread(master.wait, 120)
            results["sigterm_to_exit_s"] = time.monotonic() - signalled
    finally:
        agents.stop()
        if master.poll() is None:
            master.kill()
            master.wait(10)
    return results


async def measure_framework(
    session: aiohttp.ClientSession,
    master_url: str,
    count: int,
    agents: SimulatedAgents,
    results: dict[str, float],
) -> None:
    """Offers to every agent, /master/state, and one ACCEPT of ACCEPT_TASKS tasks."""
    framework = Framework(session, master_url)
    sent = await framework.subscribe()
    offers: dict[str, dict[str, Any]] = {}
    while len(offers) < count:
        event = await framework.next("OFFERS", timeout=60)
        offers.update((o["hostname"], o) for o in event["offers"]["offers"])
    results["offers_to_all_agents_s"] = event["_at"] - sent
    timings = []
    for _ in range(10):
        begin = time.monotonic()
        async with session.get(f"{master_url}/master/state") as response:
            state = await response.read()
        timings.append((time.monotonic() - begin) * 1000)
    results["state_response_ms"] = statistics.median(timings)
    results["state_bytes"] = float(len(state))
    body = launch_many(offers[f"sim-{BIG_AGENT_INDEX}"], ACCEPT_TASKS)
    payload = json.dumps(
        {"type": "ACCEPT", "framework_id": {"value": framework.framework_id}, "accept": body}
    )
    begin = time.monotonic()
    async with session.post(
        f"{master_url}/api/v1/scheduler",
        data=payload,
        headers={**JSON, "Mesos-Stream-Id": framework.stream_id},
    ) as response:
        assert response.status == 202, await response.text()
    results["accept_ms"] = (time.monotonic() - begin) * 1000
    if await agents.wait_until(lambda: agents.run_tasks >= ACCEPT_TASKS, 60):
        results["accept_delivered_ms"] = (agents.last_run_task_at - begin) * 1000


def print_many_agents(rows: dict[int, dict[str, float]], allocation_interval: float) -> None:
    print(
        f"Simulated agents (one master; ACCEPT = one call launching {ACCEPT_TASKS} tasks, "
        "202 / RUN_TASKs all delivered):"
    )
    print(
        f"{'agents':>7} {'registered':>11} {'per agent':>10} {'offers->all':>12} "
        f"{'/master/state':>19} {'RSS peak':>9} {'ACCEPT 10k':>15} {'SIGTERM->exit':>14}"
    )
    for count, r in rows.items():
        registered = (
            f"{r['register_all_s']:9.2f} s"
            if r["register_all_s"] == r["register_all_s"]
            else f"{int(r['registered'])} only"
        )
        print(
            f"{count:>7} {registered:>11} {r['register_all_s'] / count * 1000:7.2f} ms "
            f"{r['offers_to_all_agents_s']:5.2f} s "
            f"({r['offers_to_all_agents_s'] / allocation_interval:.1f}i)"
            f" {r['state_response_ms']:7.0f} ms {r['state_bytes'] / 2**20:5.1f} MiB"
            f" {r['master_rss_mib']:5.0f} MiB"
            f" {r['accept_ms']:5.0f} / {r['accept_delivered_ms']:5.0f} ms"
            f" {r['sigterm_to_exit_s']:10.2f} s"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="3-agent runs (0: skip them)")
    parser.add_argument(
        "--agents",
        default="1000",
        help="comma-separated simulated agent counts, e.g. 1000,3000,10000",
    )
    parser.add_argument("--agent-processes", type=int, default=4)
    parser.add_argument("--register-timeout", type=float, default=120.0)
    parser.add_argument("--log-dir", type=Path, help="keep the daemons' logs here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="write cProfile data of the master (master.prof) and of one agent process "
        "(agents-0.prof) for the simulated-agent runs into this directory",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.agents.split(",") if n.strip()]
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mesos-lite-bench-") as temporary:
        directory = args.log_dir or Path(temporary)
        directory.mkdir(parents=True, exist_ok=True)
        if args.runs > 0:
            cluster = await bench_cluster(args.runs, directory)
            print(f"3 agents, {args.runs} runs (medians; Apache Mesos: 5 / 112 / 207 ms):")
            print(f"  SUBSCRIBE -> first OFFERS      {cluster['subscribe_to_offers_ms']:8.1f} ms")
            print(f"  LAUNCH -> TASK_RUNNING (true)  {cluster['launch_to_running_ms']:8.1f} ms")
            print(f"  LAUNCH -> TASK_FINISHED (true) {cluster['launch_to_finished_ms']:8.1f} ms")
        rows = {}
        for count in counts:
            profile = args.profile / str(count) if args.profile is not None else None
            if profile is not None:
                profile.mkdir(exist_ok=True)
            rows[count] = await bench_many_agents(
                count, directory, args.agent_processes, args.register_timeout, profile
            )
            print_many_agents({count: rows[count]}, 1.0)
        if len(rows) > 1:
            print_many_agents(rows, 1.0)


if __name__ == "__main__":
    if os.environ.get("MESOS_MASTER_URL"):
        print("note: the benchmark always starts its own mesos-lite daemons", file=sys.stderr)
    asyncio.run(main())
