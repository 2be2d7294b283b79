"""A scripted stand-in for a Mesos agent's executor API, to run the real executor process.

SUBSCRIBE gets SUBSCRIBED then LAUNCH of one task; every UPDATE is recorded and answered
with ACKNOWLEDGED on the stream, as an agent does once the scheduler acknowledged it.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from typing import Any

from event_stream import QuietHandler, pump_events, send_event, serve_on_loopback


class FakeAgent:
    def __init__(self, task: dict[str, Any], hostname: str = "agent-9.test") -> None:
        self.task = task
        self.hostname = hostname
        self.updates: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.subscribed = threading.Event()
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.lock = threading.Lock()
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                call = json.loads(self.rfile.read(length))
                if call["type"] == "SUBSCRIBE":
                    self._stream(call)
                    return
                with outer.lock:
                    if call["type"] == "UPDATE":
                        outer.updates.append(call["update"]["status"])
                    elif call["type"] == "MESSAGE":
                        outer.messages.append(call["message"])
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if call["type"] == "UPDATE":
                    status = call["update"]["status"]
                    outer.events.put(
                        {
                            "type": "ACKNOWLEDGED",
                            "acknowledged": {"task_id": status["task_id"], "uuid": status["uuid"]},
                        }
                    )

            def _stream(self, call: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self._send(
                    {
                        "type": "SUBSCRIBED",
                        "subscribed": {
                            "executor_info": {"executor_id": call["executor_id"]},
                            "framework_info": {
                                "id": call["framework_id"],
                                "name": "t",
                                "user": "u",
                            },
                            "agent_info": {"hostname": outer.hostname, "id": {"value": "agent-9"}},
                            "container_id": {"value": str(uuid.uuid4())},
                        },
                    }
                )
                outer.subscribed.set()
                self._send({"type": "LAUNCH", "launch": {"task": outer.task}})
                pump_events(self.wfile, outer.events)

            def _send(self, event: dict[str, Any]) -> None:
                send_event(self.wfile, event)

        self.server, self.address = serve_on_loopback(Handler)

    def states(self) -> list[str]:
        with self.lock:
            return [update["state"] for update in self.updates]

    def kill(self, task_id: str) -> None:
        self.events.put({"type": "KILL", "kill": {"task_id": {"value": task_id}}})

    def close(self) -> None:
        self.events.put(None)
        self.server.shutdown()
        self.server.server_close()
