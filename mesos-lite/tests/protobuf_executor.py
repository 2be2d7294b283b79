"""A custom executor that speaks the v1 executor API in application/x-protobuf, as the C++
and Java executor libraries do by default. Run by the agent (`python protobuf_executor.py`):
SUBSCRIBE, then for its LAUNCH: TASK_RUNNING, TASK_FINISHED whose `data` is the SUBSCRIBED
event's container id, each sent until ACKNOWLEDGED; then it exits.
"""

from __future__ import annotations

import http.client
import os
import time
import uuid
from typing import Any

from mesos_http import RecordReader, b64

from mesos_lite import protobuf_wire

PROTOBUF = "application/x-protobuf"


def call(body: dict[str, Any]) -> bytes:
    ids = {
        "framework_id": {"value": os.environ["MESOS_FRAMEWORK_ID"]},
        "executor_id": {"value": os.environ["MESOS_EXECUTOR_ID"]},
    }
    return protobuf_wire.encode({**ids, **body}, "ExecutorCall")


def main() -> None:
    host, port = os.environ["MESOS_AGENT_ENDPOINT"].rsplit(":", 1)
    stream = http.client.HTTPConnection(host, int(port), timeout=30)
    subscribe = call({"type": "SUBSCRIBE", "subscribe": {}})
    headers = {"Content-Type": PROTOBUF, "Accept": PROTOBUF}
    stream.request("POST", "/api/v1/executor", subscribe, headers)
    response = stream.getresponse()
    assert response.status == 200, response.read()
    assert response.getheader("Content-Type") == PROTOBUF
    reader = RecordReader()
    container = ""
    pending: set[str] = set()
    while True:
        for record in reader.feed(response.read1(65536)):
            event = protobuf_wire.decode(record, "ExecutorEvent")
            if event["type"] == "SUBSCRIBED":
                container = event["subscribed"]["container_id"]["value"]
            elif event["type"] == "LAUNCH":
                task_id = event["launch"]["task"]["task_id"]
                for state in ("TASK_RUNNING", "TASK_FINISHED"):
                    update_uuid = uuid.uuid4().bytes
                    status = {
                        "task_id": task_id,
                        "state": state,
                        "source": "SOURCE_EXECUTOR",
                        "uuid": b64(update_uuid),
                        "timestamp": time.time(),
                        "data": b64(container.encode()),
                    }
                    pending.add(b64(update_uuid))
                    post(host, port, call({"type": "UPDATE", "update": {"status": status}}))
            elif event["type"] == "ACKNOWLEDGED":
                pending.discard(event["acknowledged"]["uuid"])
                if not pending:
                    return


def post(host: str, port: str, body: bytes) -> None:
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", "/api/v1/executor", body, {"Content-Type": PROTOBUF})
        answer = connection.getresponse()
        assert answer.status == 202, (answer.status, answer.read())
    finally:
        connection.close()


if __name__ == "__main__":
    main()
