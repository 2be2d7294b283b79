"""Event streams (scheduler SUBSCRIBE, operator SUBSCRIBE, the master's stream to an agent)
whose client stops reading: the backlog is bounded and the subscriber is dropped, as Mesos
drops a stream it cannot write to."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from mesos_http import (
    SchedulerSession,
    framework_info,
    get_json,
    post_json,
    request,
    split_url,
)

from mesos_lite import httpd, recordio
from mesos_lite.httpd import EventStream

BACKLOG = 256 * 1024
FRAMEWORK_ID = re.compile(rb'"framework_id":\s*\{\s*"value":\s*"([^"]+)"')
EVENT = {"type": "UPDATE", "update": {"status": {"message": "x" * 1000}}}
ENCODED = len(recordio.encode_json(EVENT))


@dataclass
class Served:
    stream: EventStream
    sent: int  # events sent
    seconds: float  # from the first event until the stream ended (or the client read all)
    received: int  # bytes the client read


async def _serve_one(
    stall_seconds: float, reading: bool, burst: int = 0, limit: int = 200_000
) -> Served:
    """One event stream (backlog bound BACKLOG) to a client with a tiny receive buffer that
    reads (`reading`) or never does. With `burst`, that many events are sent in one turn of
    the loop (as the master sends 10,000 RUN_TASKs); else events are sent one per turn until
    the stream ends or `limit` were sent."""
    streams: list[EventStream] = []
    served = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        stream = EventStream(request, max_backlog_bytes=BACKLOG, stall_seconds=stall_seconds)
        streams.append(stream)
        try:
            return await stream.serve()
        finally:
            served.set()

    app = web.Application()
    app.router.add_get("/stream", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(client, ("127.0.0.1", port))
    await loop.sock_sendall(client, b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    received = 0

    async def read() -> None:
        nonlocal received
        while data := await loop.sock_recv(client, 65536):
            received += len(data)

    reader = loop.create_task(read()) if reading else None
    try:
        for _ in range(500):
            if streams:
                break
            await asyncio.sleep(0.01)
        assert streams, "the stream was never served"
        stream = streams[0]
        started = time.monotonic()
        sent = 0
        if burst:
            for _ in range(burst):
                stream.send(EVENT)
            sent = burst
            while received < burst * ENCODED:
                assert not stream.closed.is_set() and time.monotonic() - started < 30
                await asyncio.sleep(0.01)
            return Served(stream, sent, time.monotonic() - started, received)
        while not stream.closed.is_set() and sent < limit:
            stream.send(EVENT)
            sent += 1
            await asyncio.sleep(0)
        await asyncio.wait_for(served.wait(), 10)
        return Served(stream, sent, time.monotonic() - started, received)
    finally:
        if reader is not None:
            reader.cancel()
        client.close()
        await runner.cleanup()


def test_a_subscriber_that_stops_reading_is_dropped() -> None:
    observed: list[int] = []
    original = EventStream.send

    def spying(self: EventStream, event: dict[str, object]) -> None:
        original(self, event)
        observed.append(self._backlog)

    EventStream.send = spying  # type: ignore[method-assign]
    try:
        served = asyncio.run(_serve_one(stall_seconds=0, reading=False))
    finally:
        EventStream.send = original  # type: ignore[method-assign]
    stream = served.stream
    assert stream.dropped and stream.closed.is_set()
    # Dropped once the backlog (plus what the sockets hold) was full, long before 200 MB.
    assert served.sent < 20_000, served.sent
    assert max(observed) <= BACKLOG
    # Nothing is queued for it any more, and later events are not queued either.
    stream.send(EVENT)
    assert stream._backlog == 0 and not stream._pending


def test_a_subscriber_is_dropped_only_once_its_writes_stalled() -> None:
    served = asyncio.run(_serve_one(stall_seconds=0.5, reading=False))
    assert served.stream.dropped
    assert served.seconds >= 0.5


def test_a_burst_to_a_reading_subscriber_is_delivered_whole() -> None:
    """20 times the backlog bound in one turn, to a client that reads: nothing is dropped."""
    served = asyncio.run(_serve_one(stall_seconds=10, reading=True, burst=5000))
    assert not served.stream.dropped
    assert served.received >= 5000 * ENCODED


# ----- against the master: a scheduler that stops reading its SUBSCRIBE stream -----
def _subscribe_and_stall(master_url: str) -> tuple[socket.socket, str, str]:
    """SUBSCRIBEs on a raw socket with a tiny receive buffer, reads up to SUBSCRIBED, then
    never reads again. Returns (socket, framework id, stream id)."""
    host, port = split_url(master_url)
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect((host, port))
    info = framework_info("stalled-reader", failover_timeout=3600.0)
    body = json.dumps({"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}).encode()
    client.sendall(
        b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Accept: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    received = b""
    client.settimeout(10)
    found = None
    while found is None:
        data = client.recv(4096)
        assert data, received
        received += data
        found = FRAMEWORK_ID.search(received)
    head = received.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 200"), head
    stream_id = next(
        line.split(":", 1)[1].strip()
        for line in head.split("\r\n")
        if line.lower().startswith("mesos-stream-id:")
    )
    return client, found.group(1).decode(), stream_id


def test_master_drops_a_scheduler_that_stops_reading(master_url: str, local_only: None) -> None:
    """Each explicit RECONCILE of unknown tasks makes one UPDATE per task: a scheduler that
    reads none of them is dropped once its backlog is full, and is then a disconnected
    framework (its failover timeout runs), not a connection the master feeds forever."""
    client, framework_id, stream_id = _subscribe_and_stall(master_url)
    try:
        headers = {"Content-Type": "application/json", "Mesos-Stream-Id": stream_id}
        tasks = [{"task_id": {"value": f"never-launched-{n:06d}"}} for n in range(4000)]
        call = {
            "type": "RECONCILE",
            "framework_id": {"value": framework_id},
            "reconcile": {"tasks": tasks},
        }
        payload = json.dumps(call)

        def reconcile() -> int:
            return request(master_url, "POST", "/api/v1/scheduler", payload, headers)[0]

        def connected() -> bool:
            frameworks = get_json(master_url, "/master/frameworks")["frameworks"]
            return bool(next(f for f in frameworks if f["id"] == framework_id)["connected"])

        # 80,000 updates (~20 MB): more than the backlog bound and what the sockets hold.
        answers = [reconcile() for _ in range(20)]
        assert answers == [202] * 20
        # Still subscribed: its writes have not been stalled for STALL_SECONDS yet.
        assert connected()
        time.sleep(httpd.STALL_SECONDS + 0.5)
        for _ in range(20):  # the next events over the bound drop it
            answers.append(reconcile())
            if answers[-1] != 202 or not connected():
                break
        deadline = time.monotonic() + 20
        framework: dict[str, object] = {}
        while time.monotonic() < deadline:
            frameworks = get_json(master_url, "/master/frameworks")["frameworks"]
            framework = next(f for f in frameworks if f["id"] == framework_id)
            if not framework["connected"]:
                break
            time.sleep(0.2)
        assert framework.get("connected") is False, (answers, framework)
        assert framework["active"] is False
        # Kept for its failover timeout, as after any disconnection.
        assert framework_id in [
            f["id"] for f in get_json(master_url, "/master/frameworks")["frameworks"]
        ]
    finally:
        client.close()
        post_json(
            master_url,
            "/api/v1",
            {"type": "TEARDOWN", "teardown": {"framework_id": {"value": framework_id}}},
        )


# ----- against the master: an operator SUBSCRIBE stream that is not read -----
def _operator_subscribe_and_stall(master_url: str) -> socket.socket:
    host, port = split_url(master_url)
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect((host, port))
    body = b'{"type": "SUBSCRIBE"}'
    client.sendall(
        b"POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Accept: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    client.settimeout(10)
    assert client.recv(4096).startswith(b"HTTP/1.1 200"), "operator SUBSCRIBE refused"
    return client


def _framework_churn(master_url: str, count: int, labels: dict[str, Any]) -> None:
    """Frameworks that subscribe and are torn down: each makes a FRAMEWORK_ADDED and a
    FRAMEWORK_REMOVED operator event carrying its (large) FrameworkInfo."""
    for _ in range(count):
        session = SchedulerSession(master_url, framework_info("churn", labels=labels))
        session.subscribe()
        session.teardown()


def _closed_by_peer(client: socket.socket, timeout: float) -> bool:
    """Reads what is buffered; True once the master closed the connection."""
    client.settimeout(1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not client.recv(1 << 20):
                return True
        except TimeoutError:
            continue
        except ConnectionError:
            return True
    return False


def test_master_drops_an_operator_subscriber_that_stops_reading(
    master_url: str, local_only: None
) -> None:
    labels = {"labels": [{"key": f"k{n}", "value": "v" * 1000} for n in range(200)]}
    client = _operator_subscribe_and_stall(master_url)
    try:
        _framework_churn(master_url, 40, labels)  # ~16 MB of events
        time.sleep(httpd.STALL_SECONDS + 0.5)
        _framework_churn(master_url, 5, labels)  # over the bound with its writes stalled
        assert _closed_by_peer(client, timeout=30), "the master kept feeding the stream"
    finally:
        client.close()
