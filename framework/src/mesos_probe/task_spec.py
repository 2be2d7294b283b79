"""What the scheduler asks an executor to do, carried in TaskInfo.data as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pymesos import decode_data, encode_data


@dataclass(frozen=True)
class TaskSpec:
    run_id: str
    attempt: int
    command: str | None = None  # None: run the built-in agent probe
    command_timeout: float | None = None
    hold: float = 0.0  # seconds the built-in probe stays TASK_RUNNING before it reports

    def encode(self) -> str:
        body = {
            "run_id": self.run_id,
            "attempt": self.attempt,
            "command": self.command,
            "command_timeout": self.command_timeout,
            "hold": self.hold,
        }
        return str(encode_data(json.dumps(body).encode("utf-8")))

    @classmethod
    def decode(cls, data: str | None) -> TaskSpec:
        if not data:
            raise ValueError("the task carries no data; it was not launched by mesos-probe")
        try:
            body = json.loads(decode_data(data).decode("utf-8"))
            return cls(
                run_id=str(body["run_id"]),
                attempt=int(body["attempt"]),
                command=body.get("command"),
                command_timeout=body.get("command_timeout"),
                hold=float(body.get("hold") or 0.0),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"the task data is not a mesos-probe task spec: {error}") from error


def encode_result_message(task_id: str, result: str) -> str:
    """Framework message from executor to scheduler: the result, tagged with its task."""
    return str(encode_data(json.dumps({"task_id": task_id, "result": result}).encode("utf-8")))


def decode_result_message(data: str) -> tuple[str, str]:
    try:
        body = json.loads(decode_data(data).decode("utf-8"))
        return str(body["task_id"]), str(body["result"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"not a mesos-probe result message: {error}") from error
