"""The agent's status update manager: one stream per task, its checkpoint an append-only
journal (O(1) per update), bounded, and replayed correctly after a crash."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from mesos_lite.agent import update_journal
from mesos_lite.agent.status_updates import MAX_PENDING_PER_TASK, StatusUpdateManager
from mesos_lite.agent.update_journal import UpdateJournal, replay


def status(task: str, state: str, n: int) -> dict[str, Any]:
    return {"task_id": {"value": task}, "state": state, "uuid": f"u-{task}-{n:05d}"}


class Recorder:
    def __init__(self) -> None:
        self.forwarded: list[dict[str, Any]] = []

    async def forward(self, framework_id: str, update: dict[str, Any], latest: str) -> bool:
        self.forwarded.append(update)
        return True


def run(body: Any) -> Any:
    async def main() -> Any:
        return body()

    return asyncio.run(main())


def manager_with_journals(tmp_path: Path) -> tuple[StatusUpdateManager, Recorder]:
    recorder = Recorder()

    def journals(framework_id: str, task_id: str) -> UpdateJournal:
        return UpdateJournal(str(tmp_path / framework_id / task_id / update_journal.FILE_NAME))

    manager = StatusUpdateManager(recorder.forward, journals=journals)
    manager.resume()
    return manager, recorder


def test_each_update_appends_one_record_and_never_rewrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rewrites: list[int] = []
    original = UpdateJournal.rewrite

    def counting(self: UpdateJournal, pending: list[dict[str, Any]]) -> None:
        rewrites.append(len(pending))
        original(self, pending)

    monkeypatch.setattr(UpdateJournal, "rewrite", counting)

    def body() -> None:
        manager, _ = manager_with_journals(tmp_path)
        path = tmp_path / "f" / "t" / update_journal.FILE_NAME
        sizes = []
        for n in range(200):
            assert manager.update("f", status("t", "TASK_RUNNING", n))
            sizes.append(path.stat().st_size)
        growth = {b - a for a, b in itertools.pairwise(sizes)}
        # Every update adds one record of the same size: nothing is rewritten.
        assert len(growth) == 1 and growth.pop() < 200
        assert not rewrites
        assert len(replay(str(path))) == 200

    run(body)


def test_a_stream_is_bounded(tmp_path: Path) -> None:
    def body() -> None:
        manager, _ = manager_with_journals(tmp_path)
        for n in range(MAX_PENDING_PER_TASK):
            assert manager.update("f", status("t", "TASK_RUNNING", n))
        assert not manager.update("f", status("t", "TASK_RUNNING", MAX_PENDING_PER_TASK))
        assert len(manager.pending_of("f")) == MAX_PENDING_PER_TASK
        path = tmp_path / "f" / "t" / update_journal.FILE_NAME
        assert len(replay(str(path))) == MAX_PENDING_PER_TASK

    run(body)


def test_duplicates_are_ignored_as_mesos_does(tmp_path: Path) -> None:
    def body() -> None:
        manager, _ = manager_with_journals(tmp_path)
        assert manager.update("f", status("t", "TASK_RUNNING", 1))
        assert not manager.update("f", status("t", "TASK_RUNNING", 1))
        assert manager.acknowledge("f", "t", "u-t-00001") is not None
        # Already acknowledged: a resent copy (executor re-subscribing) is not queued again.
        assert not manager.update("f", status("t", "TASK_RUNNING", 1))
        assert manager.pending_of("f") == []
        # An executor re-subscribing resends every unacknowledged update, the oldest too.
        for n in range(2, 502):
            assert manager.update("f", status("t", "TASK_RUNNING", n))
        assert not any(manager.update("f", status("t", "TASK_RUNNING", n)) for n in range(2, 502))
        assert len(manager.pending_of("f")) == 500

    run(body)


def test_journal_stays_bounded_while_acknowledged(tmp_path: Path) -> None:
    def body() -> None:
        manager, _ = manager_with_journals(tmp_path)
        path = tmp_path / "f" / "t" / update_journal.FILE_NAME
        for n in range(2000):
            manager.update("f", status("t", "TASK_RUNNING", n))
            manager.acknowledge("f", "t", f"u-t-{n:05d}")
        lines = path.read_bytes().count(b"\n")
        assert lines <= update_journal.COMPACT_MIN_RECORDS + 1, lines
        manager.update("f", status("t", "TASK_FINISHED", 9999))
        manager.acknowledge("f", "t", "u-t-09999")
        # The terminal acknowledgement ends the stream and its journal.
        assert not path.exists()

    run(body)


def test_recovery_replays_pending_and_tolerates_a_torn_last_record(tmp_path: Path) -> None:
    path = tmp_path / "f" / "t" / update_journal.FILE_NAME

    def before_crash() -> None:
        manager, _ = manager_with_journals(tmp_path)
        for n in range(5):
            manager.update("f", status("t", "TASK_RUNNING", n))
        manager.acknowledge("f", "t", "u-t-00000")
        manager.acknowledge("f", "t", "u-t-00001")

    run(before_crash)
    with open(path, "ab") as handle:  # the agent died in the middle of a write
        handle.write(b'{"type":"UPDATE","update":{"task_id":{"va')
    pending = replay(str(path))
    assert [p["uuid"] for p in pending] == ["u-t-00002", "u-t-00003", "u-t-00004"]

    def after_restart() -> list[dict[str, Any]]:
        manager, recorder = manager_with_journals(tmp_path)
        manager.recover("f", "t", pending)
        manager.update("f", status("t", "TASK_FINISHED", 5))
        return recorder.forwarded

    forwarded = run(after_restart)
    assert [f["uuid"] for f in forwarded] == ["u-t-00002"]  # one in flight, the oldest first
    # The torn record is gone and appending after it still gives a readable journal.
    assert [p["uuid"] for p in replay(str(path))] == [
        "u-t-00002",
        "u-t-00003",
        "u-t-00004",
        "u-t-00005",
    ]


def test_an_unwritable_journal_does_not_lose_the_update(tmp_path: Path) -> None:
    blocker = tmp_path / "f"
    blocker.write_text("a file where the directory should be")

    def body() -> list[dict[str, Any]]:
        manager, _ = manager_with_journals(tmp_path)
        manager.update("f", status("t", "TASK_RUNNING", 0))
        return manager.pending_of("f")

    assert len(run(body)) == 1
    assert os.path.isfile(blocker)
