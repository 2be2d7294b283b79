"""Raw-HTTP clients for the Mesos v1 APIs, written from the docs (independent of mesos_lite).

`SchedulerSession` holds one SUBSCRIBE stream (a reader thread collects its events) and
sends calls on separate connections, as docs/scheduler-http-api.md describes.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Event = dict[str, Any]


def split_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return parts.hostname or "127.0.0.1", parts.port or 5050


def request(
    url: str,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], bytes]:
    host, port = split_url(url)
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def get_json(url: str, path: str) -> Any:
    status, _, body = request(url, "GET", path)
    assert status == 200, (path, status, body)
    return json.loads(body)


def post_json(
    url: str, path: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return request(
        url,
        "POST",
        path,
        json.dumps(body),
        {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


class RecordReader:
    """`<length>\\n<bytes>` records from a byte stream."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        records = []
        while b"\n" in self.buffer:
            prefix, rest = self.buffer.split(b"\n", 1)
            length = int(prefix)
            if len(rest) < length:
                break
            records.append(rest[:length])
            self.buffer = rest[length:]
        return records


def framework_info(name: str = "conformance", **extra: Any) -> dict[str, Any]:
    return {"user": "root", "name": name, "failover_timeout": 0.0, **extra}


def scalar(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}}


class OperatorStream:
    """The master's operator event stream (`SUBSCRIBE` on /api/v1)."""

    def __init__(self, master_url: str) -> None:
        self.session = SchedulerSession(master_url)

    def open(self) -> Event:
        host, port = split_url(self.session.url)
        connection = http.client.HTTPConnection(host, port, timeout=60)
        self.session._connection = connection
        connection.request(
            "POST",
            "/api/v1",
            json.dumps({"type": "SUBSCRIBE"}),
            {
                "Content-Type": "application/json",
                "Accept": "application/json",
                **self.session.auth_headers,
            },
        )
        response = connection.getresponse()
        if response.status != 200:
            raise AssertionError(f"SUBSCRIBE answered {response.status}: {response.read()!r}")
        self.session._thread = threading.Thread(
            target=self.session._read, args=(response,), daemon=True
        )
        self.session._thread.start()
        return self.session.wait_for(lambda e: e["type"] == "SUBSCRIBED")

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        return self.session.wait_for(predicate, timeout)

    def close(self) -> None:
        self.session.close()


class SchedulerSession:
    """A scheduler speaking JSON (a subclass may speak another content type by overriding
    `media_type`, `encode_call` and `decode_event`)."""

    media_type = "application/json"

    def encode_call(self, body: dict[str, Any]) -> bytes:
        return json.dumps(body).encode()

    def decode_event(self, record: bytes) -> Event:
        event: Event = json.loads(record)
        return event

    def __init__(
        self, master_url: str, info: dict[str, Any] | None = None, framework_id: str | None = None
    ) -> None:
        self.url = master_url
        self.info = info or framework_info()
        self.framework_id = framework_id
        # e.g. {"Authorization": "Basic ..."} against a master that authenticates frameworks.
        self.auth_headers: dict[str, str] = {}
        self.stream_id: str | None = None
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.events: list[Event] = []
        self._condition = threading.Condition()
        self._connection: http.client.HTTPConnection | None = None
        self._thread: threading.Thread | None = None
        self.closed = False

    # ----- stream -----
    def subscribe(self, timeout: float = 10.0) -> Event:
        host, port = split_url(self.url)
        self._connection = http.client.HTTPConnection(host, port, timeout=60)
        info = dict(self.info)
        body: dict[str, Any] = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
        if self.framework_id:
            info["id"] = {"value": self.framework_id}
            body["framework_id"] = {"value": self.framework_id}
        self._connection.request(
            "POST",
            "/api/v1/scheduler",
            self.encode_call(body),
            {
                "Content-Type": self.media_type,
                "Accept": self.media_type,
                **self.auth_headers,
            },
        )
        response = self._connection.getresponse()
        self.status = response.status
        self.headers = dict(response.getheaders())
        if response.status != 200:
            raise AssertionError(f"SUBSCRIBE answered {response.status}: {response.read()!r}")
        self.stream_id = response.getheader("Mesos-Stream-Id")
        self._thread = threading.Thread(target=self._read, args=(response,), daemon=True)
        self._thread.start()
        subscribed = self.wait_for(lambda e: e["type"] == "SUBSCRIBED", timeout)
        self.framework_id = subscribed["subscribed"]["framework_id"]["value"]
        return subscribed

    def _read(self, response: http.client.HTTPResponse) -> None:
        reader = RecordReader()
        try:
            while True:
                data = response.read1(65536)
                if not data:
                    break
                for record in reader.feed(data):
                    event = self.decode_event(record)
                    event["_received"] = time.monotonic()
                    with self._condition:
                        self.events.append(event)
                        self._condition.notify_all()
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            # AttributeError: http.client after close() from another thread.
            pass
        finally:
            with self._condition:
                self.closed = True
                self._condition.notify_all()

    def wait_for(
        self, predicate: Callable[[Event], bool], timeout: float = 10.0, start: int = 0
    ) -> Event:
        deadline = time.monotonic() + timeout
        with self._condition:
            index = start
            while True:
                while index < len(self.events):
                    event = self.events[index]
                    index += 1
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.closed and index >= len(self.events)):
                    types = [e["type"] for e in self.events]
                    raise AssertionError(f"no matching event within {timeout}s; got {types}")
                self._condition.wait(remaining)

    def mark(self) -> int:
        with self._condition:
            return len(self.events)

    def events_since(self, mark: int, kind: str | None = None) -> list[Event]:
        with self._condition:
            return [e for e in self.events[mark:] if kind is None or e["type"] == kind]

    def close(self) -> None:
        if self._connection is not None:
            sock = self._connection.sock
            if sock is not None:
                try:
                    import socket

                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._connection.close()
        if self._thread is not None:
            self._thread.join(5)

    # ----- calls -----
    def call(
        self, call_type: str, body: dict[str, Any] | None = None, stream_id: str | None = "default"
    ) -> tuple[int, bytes]:
        payload: dict[str, Any] = {"type": call_type, "framework_id": {"value": self.framework_id}}
        if body is not None:
            payload[call_type.lower()] = body
        headers = {"Content-Type": self.media_type, **self.auth_headers}
        chosen = self.stream_id if stream_id == "default" else stream_id
        if chosen is not None:
            headers["Mesos-Stream-Id"] = chosen
        status, _, text = request(
            self.url, "POST", "/api/v1/scheduler", self.encode_call(payload), headers
        )
        return status, text

    def teardown(self) -> None:
        if self.framework_id and not self.closed:
            self.call("TEARDOWN")
        self.close()

    # ----- conveniences -----
    def next_offers(
        self, timeout: float = 10.0, start: int | None = None, agent_id: str | None = None
    ) -> list[dict[str, Any]]:
        def matches(event: Event) -> bool:
            if event["type"] != "OFFERS":
                return False
            return agent_id is None or any(
                o["agent_id"]["value"] == agent_id for o in event["offers"]["offers"]
            )

        event = self.wait_for(matches, timeout, self.mark() if start is None else start)
        offers: list[dict[str, Any]] = event["offers"]["offers"]
        return offers

    def decline(self, offers: list[dict[str, Any]], refuse_seconds: float = 5.0) -> None:
        status, text = self.call(
            "DECLINE",
            {"offer_ids": [o["id"] for o in offers], "filters": {"refuse_seconds": refuse_seconds}},
        )
        assert status == 202, (status, text)

    def launch(
        self, offer: dict[str, Any], tasks: list[dict[str, Any]], refuse_seconds: float = 5.0
    ) -> tuple[int, bytes]:
        return self.call(
            "ACCEPT",
            {
                "offer_ids": [offer["id"]],
                "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
                "filters": {"refuse_seconds": refuse_seconds},
            },
        )

    def launch_running(self, command: str, task_id: str) -> dict[str, Any]:
        """Launches a command task on the first offer since subscribing (status 202) and
        returns its TASK_RUNNING update."""
        offer = self.next_offers(start=0)[0]
        status, text = self.launch(offer, [command_task(offer, command, task_id)])
        assert status == 202, (status, text)
        return self.wait_update(task_id, {"TASK_RUNNING"})

    def acknowledge(self, status: dict[str, Any]) -> tuple[int, bytes]:
        return self.call(
            "ACKNOWLEDGE",
            {"agent_id": status["agent_id"], "task_id": status["task_id"], "uuid": status["uuid"]},
        )

    def updates_of(self, task_id: str, mark: int = 0) -> list[dict[str, Any]]:
        return [
            e["update"]["status"]
            for e in self.events_since(mark, "UPDATE")
            if e["update"]["status"]["task_id"]["value"] == task_id
        ]

    def wait_update(
        self,
        task_id: str,
        states: set[str],
        timeout: float = 15.0,
        start: int = 0,
        acknowledge: bool = True,
    ) -> dict[str, Any]:
        """Waits for an update of `task_id` in one of `states`, acknowledging updates seen."""
        deadline = time.monotonic() + timeout
        index = start
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"task {task_id} did not reach {states}; updates: "
                    f"{[s['state'] for s in self.updates_of(task_id)]}"
                )
            event = self.wait_for(
                lambda e: (
                    e["type"] == "UPDATE" and e["update"]["status"]["task_id"]["value"] == task_id
                ),
                remaining,
                index,
            )
            index = self.events.index(event) + 1
            status = event["update"]["status"]
            if acknowledge and "uuid" in status:
                self.acknowledge(status)
            if status["state"] in states:
                return status


def command_task(
    offer: dict[str, Any],
    command: str,
    task_id: str | None = None,
    cpus: float = 0.1,
    mem: float = 32.0,
) -> dict[str, Any]:
    return {
        "name": task_id or "task",
        "task_id": {"value": task_id or f"task-{uuid.uuid4()}"},
        "agent_id": offer["agent_id"],
        "resources": [scalar("cpus", cpus), scalar("mem", mem)],
        "command": {"value": command},
    }


def executor_task(
    offer: dict[str, Any],
    executor_command: str,
    task_id: str,
    executor_id: str,
    environment: dict[str, str] | None = None,
) -> dict[str, Any]:
    command: dict[str, Any] = {"value": executor_command}
    if environment:
        command["environment"] = {
            "variables": [{"name": k, "value": v} for k, v in environment.items()]
        }
    return {
        "name": task_id,
        "task_id": {"value": task_id},
        "agent_id": offer["agent_id"],
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
        "executor": {
            "executor_id": {"value": executor_id},
            "name": "conformance executor",
            "command": command,
            "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
        },
    }


def new_uuid_b64() -> str:
    return b64(uuid.uuid4().bytes)
