"""A scripted stand-in for a Mesos master's scheduler API, enough to drive pymesos for real.

It speaks HTTP on loopback: SUBSCRIBE gets a chunked RecordIO stream (SUBSCRIBED, then
OFFERS from each agent); ACCEPT/LAUNCH is answered with UPDATEs as an agent would send
them (RUNNING, then FINISHED carrying a probe-like result, or FAILED while the agent's
scripted failures last). Every call is recorded for assertions.

With `credentials` it authenticates as Mesos does with --authenticate_http_frameworks and
--authenticate_http_readonly (HTTP Basic; 401 with WWW-Authenticate otherwise);
`refuse_registration` answers SUBSCRIBE with an ERROR event, as Mesos does when its ACLs
refuse the framework; `refuse_tasks` (a format string; {task_id})
answers every launch with TASK_ERROR REASON_TASK_UNAUTHORIZED from the master.
`stale_leader` plays a standby right after a failover that still believes the old leader:
its first `stale_subscribes` SUBSCRIBEs get 307 Location //<stale_leader>, later ones are
served (it has been elected meanwhile).
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import uuid
from typing import Any

from event_stream import QuietHandler, pump_events, send_event, serve_on_loopback


class FakeMaster:
    def __init__(
        self,
        agents: int = 3,
        failures_per_agent: int = 0,
        credentials: dict[str, str] | None = None,
        refuse_registration: str | None = None,
        refuse_tasks: str | None = None,
        authenticate_readonly: bool = True,
        pass_first_credentials_check: bool = False,
        stale_leader: str | None = None,
        stale_subscribes: int = 1,
    ) -> None:
        self.stale_leader = stale_leader
        self.stale_subscribes_left = stale_subscribes if stale_leader else 0
        self.stale_redirects = 0
        # Let the first empty scheduler call through whatever its credentials: credentials
        # revoked between mesos-probe's check and its SUBSCRIBE.
        self.pass_first_credentials_check = pass_first_credentials_check
        self.credentials = credentials
        self.authenticate_readonly = authenticate_readonly
        self.refuse_registration = refuse_registration
        self.refuse_tasks = refuse_tasks
        self.authorizations: list[str | None] = []  # Authorization header of each request
        self.unauthenticated = 0
        self.agents = [f"agent-{i}" for i in range(agents)]
        self.failures_left = dict.fromkeys(self.agents, failures_per_agent)
        self.calls: list[dict[str, Any]] = []
        self.subscribe_bodies: list[dict[str, Any]] = []
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.lock = threading.Lock()
        self.offer_number = 0
        outer = self

        class Handler(QuietHandler):
            def _reply(
                self, code: int, body: bytes = b"", headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(code)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authenticated(self, realm: str) -> bool:
                header = self.headers.get("Authorization")
                outer.authorizations.append(header)
                if outer.credentials is None:
                    return True
                if header and header.startswith("Basic "):
                    try:
                        decoded = base64.b64decode(header[6:]).decode()
                    except ValueError:
                        decoded = ""
                    principal, _, secret = decoded.partition(":")
                    if outer.credentials.get(principal) == secret:
                        return True
                outer.unauthenticated += 1
                # As Mesos: the realm of the endpoint, an empty body.
                self._reply(401, headers={"WWW-Authenticate": f'Basic realm="{realm}"'})
                return False

            def do_GET(self) -> None:
                if (
                    self.path == "/master/state"
                    and outer.authenticate_readonly
                    and not self._authenticated("mesos-master-readonly")
                ):
                    return
                if self.path == "/master/redirect":
                    self._reply(307, headers={"Location": f"//{outer.address}"})
                elif self.path == "/master/state":
                    slaves = [
                        {"id": a, "hostname": f"{a}.test", "active": True} for a in outer.agents
                    ]
                    self._reply(200, json.dumps({"slaves": slaves}).encode())
                elif self.path == "/version":
                    self._reply(200, json.dumps({"version": "1.11.0"}).encode())
                else:
                    self._reply(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                call = json.loads(self.rfile.read(length))
                if "type" not in call and outer.pass_first_credentials_check:
                    outer.pass_first_credentials_check = False
                    self._reply(400, b"Expecting 'type' to be present")
                    return
                if not self._authenticated("mesos-master-scheduler"):
                    return
                if "type" not in call:
                    self._reply(400, b"Expecting 'type' to be present")
                    return
                if call["type"] == "SUBSCRIBE":
                    outer.subscribe_bodies.append(call)
                    if outer.stale_subscribes_left > 0:
                        outer.stale_subscribes_left -= 1
                        outer.stale_redirects += 1
                        self._reply(307, headers={"Location": f"//{outer.stale_leader}"})
                        return
                    self._stream()
                    return
                with outer.lock:
                    outer.calls.append(call)
                self._reply(202)
                outer.on_call(call)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Mesos-Stream-Id", str(uuid.uuid4()))
                self.end_headers()
                if outer.refuse_registration is not None:
                    self._send({"type": "ERROR", "error": {"message": outer.refuse_registration}})
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self._send(
                    {
                        "type": "SUBSCRIBED",
                        "subscribed": {
                            "framework_id": {"value": "fw-fake"},
                            "heartbeat_interval_seconds": 15,
                        },
                    }
                )
                self._send(
                    {
                        "type": "OFFERS",
                        "offers": {"offers": [outer.offer(agent) for agent in outer.agents]},
                    }
                )
                pump_events(self.wfile, outer.events)

            def _send(self, event: dict[str, Any]) -> None:
                send_event(self.wfile, event)

        self.server, self.address = serve_on_loopback(Handler)

    def offer(self, agent: str) -> dict[str, Any]:
        with self.lock:
            self.offer_number += 1
            number = self.offer_number
        allocation = {"role": "*"}
        return {
            "id": {"value": f"offer-{number}"},
            "framework_id": {"value": "fw-fake"},
            "agent_id": {"value": agent},
            "hostname": f"{agent}.test",
            "resources": [
                {
                    "name": "cpus",
                    "type": "SCALAR",
                    "scalar": {"value": 2},
                    "allocation_info": allocation,
                },
                {
                    "name": "mem",
                    "type": "SCALAR",
                    "scalar": {"value": 1024},
                    "allocation_info": allocation,
                },
            ],
        }

    def on_call(self, call: dict[str, Any]) -> None:
        if call["type"] == "ACCEPT":
            for operation in call["accept"]["operations"]:
                for task in operation["launch"]["task_infos"]:
                    self._run(task)
        elif call["type"] == "REVIVE":
            self.events.put(
                {
                    "type": "OFFERS",
                    "offers": {"offers": [self.offer(agent) for agent in self.agents]},
                }
            )

    def _run(self, task: dict[str, Any]) -> None:
        agent = task["agent_id"]["value"]
        if self.refuse_tasks is not None:
            message = self.refuse_tasks.format(task_id=task["task_id"]["value"])
            refused = self._update(task, "TASK_ERROR", message=message)
            refused["update"]["status"].update(
                source="SOURCE_MASTER", reason="REASON_TASK_UNAUTHORIZED"
            )
            self.events.put(refused)
            return
        self.events.put(self._update(task, "TASK_RUNNING"))
        with self.lock:
            fail = self.failures_left[agent] > 0
            if fail:
                self.failures_left[agent] -= 1
        if fail:
            self.events.put(self._update(task, "TASK_FAILED", message="scripted failure"))
        else:
            result = json.dumps(
                {"hostname": f"{agent}.test", "agent_id": agent, "env_agent_id": agent}
            )
            self.events.put(self._update(task, "TASK_FINISHED", data=result))

    @staticmethod
    def _update(
        task: dict[str, Any], state: str, message: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        status: dict[str, Any] = {
            "task_id": task["task_id"],
            "agent_id": task["agent_id"],
            "state": state,
            "source": "SOURCE_EXECUTOR",
            "uuid": base64.b64encode(uuid.uuid4().bytes).decode(),
        }
        if message:
            status["message"] = message
        if data:
            status["data"] = base64.b64encode(data.encode()).decode()
        return {"type": "UPDATE", "update": {"status": status}}

    def calls_of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [call for call in self.calls if call["type"] == kind]

    def close(self) -> None:
        self.events.put(None)
        self.server.shutdown()
        self.server.server_close()
