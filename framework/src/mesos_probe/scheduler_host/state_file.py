"""--state-file: what a run needs to resume after the submitting process went away.

It holds the framework id and every attempt, written atomically while the run goes on. A
new `submit` with the same file re-subscribes as the same framework (within its
failover_timeout), reconciles the recorded tasks and carries on, so agents that already
have a task are never given a second one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1


class StateFileError(Exception):
    pass


@dataclass
class SavedRun:
    run_id: str
    framework_id: str | None
    expected_agents: int
    finished: bool = False
    slots: list[dict[str, Any]] = field(default_factory=list)


def load(path: Path) -> SavedRun | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT_VERSION:
            raise StateFileError(f"{path}: unknown format {data.get('format')!r}")
        return SavedRun(
            run_id=str(data["run_id"]),
            framework_id=data.get("framework_id"),
            expected_agents=int(data["expected_agents"]),
            finished=bool(data.get("finished", False)),
            slots=list(data.get("slots", [])),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StateFileError(f"cannot read state file {path}: {error}") from error


def save(path: Path, saved: SavedRun) -> None:
    body = {
        "format": FORMAT_VERSION,
        "run_id": saved.run_id,
        "framework_id": saved.framework_id,
        "expected_agents": saved.expected_agents,
        "finished": saved.finished,
        "slots": saved.slots,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(body, stream, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise StateFileError(f"cannot write state file {path}: {error}") from error
