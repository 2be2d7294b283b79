"""The v1 operator API as an operator uses it (`POST /api/v1`, HTTP Basic as a principal),
and a loopback cluster whose master authenticates operators and applies ACLs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from mesos_http import post_json

from mesos_lite.testing import LoopbackCluster


class OperatorClient:
    def __init__(self, master_url: str, credential: tuple[str, str] | None = None) -> None:
        self.url = master_url
        self.headers: dict[str, str] = {}
        if credential is not None:
            token = base64.b64encode(":".join(credential).encode()).decode()
            self.headers = {"Authorization": f"Basic {token}"}

    def call(self, call_type: str, body: Any = None) -> tuple[int, bytes]:
        """Status and body of a call of `call_type` carrying `body` as its message."""
        payload: dict[str, Any] = {"type": call_type}
        if body is not None:
            payload[call_type.lower()] = body
        status, _, text = post_json(self.url, "/api/v1", payload, self.headers)
        return status, text

    def query(self, call_type: str) -> dict[str, Any]:
        """The answer's message of a call that must succeed (200)."""
        status, text = self.call(call_type)
        assert status == 200, (status, text)
        answer: dict[str, Any] = json.loads(text)[call_type.lower()]
        return answer


def secured_cluster(
    directory: Path,
    agents: int,
    secrets: dict[str, str],
    acls: dict[str, Any],
    *master_flags: str,
) -> LoopbackCluster:
    """A started loopback cluster whose master knows `secrets` (principal -> secret),
    authenticates read-write operator calls and applies `acls`."""
    credentials = directory / "credentials"
    credentials.write_text(
        json.dumps({"credentials": [{"principal": p, "secret": s} for p, s in secrets.items()]})
    )
    credentials.chmod(0o600)
    flags = (
        f"--credentials=file://{credentials}",
        "--authenticate_http_readwrite",
        f"--acls={json.dumps(acls)}",
        *master_flags,
    )
    return LoopbackCluster(agents, directory, flags).start()
