"""The master's registry: the agents it admitted, and those it marked unreachable or gone.

Apache Mesos keeps this in a replicated log across the masters; mesos-lite keeps the same
content as one JSON document shaped like Mesos's `Registry` message:

    {"master": {"info": MasterInfo of the last writer},
     "slaves": {"slaves": [{"info": AgentInfo, "drain_info": ..., "deactivated": true}, ...]},
     "unreachable": {"slaves": [{"id": {"value": ...}, "timestamp": {"nanoseconds": ...},
                                 "drain_info": ..., "deactivated": true}]},
     "gone": {"slaves": [{"id": {"value": ...}, "timestamp": {"nanoseconds": ...}}]},
     "machines": {"machines": [{"info": MachineInfo}]}, "schedules": [maintenance Schedule],
     "quota_configs": [QuotaConfig], "weights": [{"info": WeightInfo}]}

The last four (OTHER_SECTIONS) are kept by the master's parts that own them (maintenance.py,
quota.py, weights.py): the registrar stores and recovers them as they are.

Where it lives depends on --registry and --zk:
- replicated_log with --zk: the znode `<zk path>/mesos-lite/registry`. Only the leading master
  writes it, and every write carries the znode version the leader last read or wrote, so a
  master that lost leadership without noticing cannot overwrite its successor's registry.
- replicated_log without --zk: the file `<work_dir>/registry` (replaced atomically).
- in_memory: nowhere; nothing survives a restart (as in Mesos).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, KazooException, NodeExistsError, NoNodeError
from kazoo.retry import KazooRetry
from kazoo.security import make_digest_acl

from mesos_lite.zookeeper import NODE_PREFIX, ZooKeeperUrl, close_client

logger = logging.getLogger(__name__)

REGISTRY_ZNODE = "mesos-lite/registry"
REGISTRY_FILE = "registry"
# Sections of Mesos's Registry message other than agents, owned by other parts of the master.
OTHER_SECTIONS = ("machines", "schedules", "quota_configs", "weights")
# The longest a registry write waits after the previous one (see Registrar._write_pending).
REGISTRY_MAX_BATCH_PAUSE = 0.5


class RegistryError(Exception):
    """The registry cannot be read or written (the master must not go on leading)."""


class RegistryCorruptError(RegistryError):
    """The stored registry cannot be understood; retrying will not help."""


class RegistryConflictError(RegistryError):
    """Another master wrote the registry since this one last read it."""


@dataclass
class RegistryState:
    # agent id -> AgentInfo (id, hostname, port, resources, attributes) as JSON
    admitted: dict[str, dict[str, Any]] = field(default_factory=dict)
    # agent id -> time (seconds since the epoch) it was marked unreachable / gone
    unreachable: dict[str, float] = field(default_factory=dict)
    gone: dict[str, float] = field(default_factory=dict)
    # OTHER_SECTIONS, as stored
    sections: dict[str, Any] = field(default_factory=dict)
    # agent id -> what operators did to an admitted or unreachable agent (Mesos's
    # Registry.Slave drain_info / deactivated): {"drain_info": DrainInfo, "deactivated": true}
    operator_marks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Any) -> RegistryState:
        if not isinstance(body, dict):
            raise RegistryCorruptError("the registry is not a JSON object")
        state = cls()
        try:
            for entry in body.get("slaves", {}).get("slaves", []):
                info = entry["info"]
                state.admitted[str(info["id"]["value"])] = info
                _read_marks(state, str(info["id"]["value"]), entry)
            for entry in body.get("unreachable", {}).get("slaves", []):
                _read_marks(state, str(entry["id"]["value"]), entry)
            state.unreachable = _untimestamped(body.get("unreachable", {}))
            state.gone = _untimestamped(body.get("gone", {}))
            state.sections = {name: body[name] for name in OTHER_SECTIONS if name in body}
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise RegistryCorruptError(f"malformed registry entry: {error!r}") from None
        return state


def _read_marks(state: RegistryState, agent_id: str, entry: dict[str, Any]) -> None:
    marks = {key: entry[key] for key in OPERATOR_MARKS if entry.get(key)}
    if marks:
        state.operator_marks[agent_id] = marks


# The fields of an agent's registry entry that operator calls set (DRAIN_AGENT,
# DEACTIVATE_AGENT; REACTIVATE_AGENT clears them). Other marks live in memory only.
OPERATOR_MARKS = ("drain_info", "deactivated")


def encode_admitted(info: dict[str, Any], marks: dict[str, Any] | None = None) -> bytes:
    """One admitted agent's entry of the registry document (see `encode_registry`)."""
    return json.dumps({"info": info, **_persisted(marks)}, sort_keys=True).encode("utf-8")


def _persisted(marks: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (marks or {}).items() if key in OPERATOR_MARKS}


def encode_registry(
    admitted: list[bytes],
    unreachable: dict[str, float],
    gone: dict[str, float],
    master_info: dict[str, Any] | None = None,
    sections: dict[str, Any] | None = None,
    operator_marks: dict[str, dict[str, Any]] | None = None,
) -> bytes:
    """The registry document (shaped as this module's docstring shows, keys sorted) from
    entries encoded by `encode_admitted`: the registry keeper encodes an agent once per
    change of its AgentInfo, not once per write, so that writing a registry of 10,000 agents
    stays cheap."""

    def encoded(value: Any) -> bytes:
        return json.dumps(value, sort_keys=True).encode("utf-8")

    parts = {"gone": encoded({"slaves": _timestamped(gone)})}
    if master_info is not None:
        parts["master"] = encoded({"info": master_info})
    parts["slaves"] = b'{"slaves": [' + b", ".join(admitted) + b"]}"
    unreachable_entries = _timestamped(unreachable)
    for entry in unreachable_entries:
        entry.update(_persisted((operator_marks or {}).get(entry["id"]["value"])))
    parts["unreachable"] = encoded({"slaves": unreachable_entries})
    for name, value in (sections or {}).items():
        parts[name] = encoded(value)
    return b"{" + b", ".join(f'"{name}": '.encode() + parts[name] for name in sorted(parts)) + b"}"


def _timestamped(entries: dict[str, float]) -> list[dict[str, Any]]:
    return [
        {"id": {"value": agent_id}, "timestamp": {"nanoseconds": int(seconds * 1e9)}}
        for agent_id, seconds in entries.items()
    ]


def _untimestamped(section: dict[str, Any]) -> dict[str, float]:
    return {
        str(entry["id"]["value"]): int(entry["timestamp"]["nanoseconds"]) / 1e9
        for entry in section.get("slaves", [])
    }


class RegistryStore(Protocol):
    """Blocking storage of the registry document (called through asyncio.to_thread)."""

    description: str

    def fetch(self) -> RegistryState: ...

    def store(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class InMemoryStore:
    description = "memory (--registry=in_memory)"

    def fetch(self) -> RegistryState:
        return RegistryState()

    def store(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


class FileStore:
    def __init__(self, work_dir: str) -> None:
        self.path = os.path.join(work_dir, REGISTRY_FILE)
        self.description = f"file {self.path}"

    def fetch(self) -> RegistryState:
        try:
            with open(self.path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return RegistryState()
        except OSError as error:
            raise RegistryError(f"cannot read {self.path}: {error}") from None
        try:
            return RegistryState.from_json(json.loads(text))
        except ValueError as error:
            raise RegistryCorruptError(f"{self.path} is not valid JSON: {error}") from None

    def store(self, data: bytes) -> None:
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".registry.", dir=directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as error:
            raise RegistryError(f"cannot write {self.path}: {error}") from None

    def close(self) -> None:
        pass


class ZooKeeperStore:
    """The registry as one znode; writes are conditional on the version last seen.

    Mesos's replicated log answers only while --quorum masters (its replicas) are up; as a
    stand-in, every read and write first counts the masters contending in ZooKeeper.
    """

    def __init__(self, url: ZooKeeperUrl, session_timeout: float, quorum: int = 1) -> None:
        self._masters_path = url.path
        self._quorum = quorum
        self.path = f"{url.path.rstrip('/')}/{REGISTRY_ZNODE}"
        self.description = f"ZooKeeper {url.hosts}{self.path}"
        auth_data = [("digest", f"{url.auth[0]}:{url.auth[1]}")] if url.auth else None
        # With credentials, only this principal may read or write the registry.
        self._acl = [make_digest_acl(url.auth[0], url.auth[1], all=True)] if url.auth else None
        self._client = KazooClient(
            hosts=url.hosts,
            timeout=session_timeout,
            auth_data=auth_data,
            connection_retry=KazooRetry(max_tries=-1, max_delay=1.0),
        )
        self._session_timeout = session_timeout
        self._started = False
        # None: the znode did not exist when last read.
        self._version: int | None = None

    def _ensure_started(self) -> None:
        if not self._started:
            self._client.start(timeout=max(self._session_timeout, 5.0))
            self._started = True

    def _check_quorum(self) -> None:
        masters = sum(
            1
            for child in self._client.get_children(self._masters_path)
            if child.startswith(NODE_PREFIX)
        )
        if masters < self._quorum:
            raise RegistryError(
                f"only {masters} of the --quorum={self._quorum} masters the registry needs are up"
            )

    def fetch(self) -> RegistryState:
        try:
            self._ensure_started()
            self._check_quorum()
            raw, stat = self._client.get(self.path)
        except NoNodeError:
            self._version = None
            return RegistryState()
        except (KazooException, TimeoutError) as error:
            raise RegistryError(f"cannot read {self.description}: {error!r}") from None
        self._version = stat.version
        try:
            return RegistryState.from_json(json.loads(raw.decode("utf-8")))
        except ValueError as error:
            raise RegistryCorruptError(f"{self.description} is not valid JSON: {error}") from None

    def store(self, data: bytes) -> None:
        try:
            self._ensure_started()
            self._check_quorum()
            if self._version is None:
                # Only an elected master writes, and election needs the contender's node under
                # <zk path>, so <zk path> exists (world-readable when credentials are used);
                # makepath creates just <zk path>/mesos-lite, creator-only like the registry.
                self._client.create(self.path, data, acl=self._acl, makepath=True)
                self._version = 0
            else:
                stat = self._client.set(self.path, data, version=self._version)
                self._version = stat.version
        except (NodeExistsError, BadVersionError):
            self._adopt_own_write(data)
        except (KazooException, TimeoutError) as error:
            raise RegistryError(f"cannot write {self.description}: {error!r}") from None

    def _adopt_own_write(self, data: bytes) -> None:
        """The znode is not at the version this master last saw. A retried write whose first
        attempt ZooKeeper applied before the connection dropped finds exactly what it writes
        (the document names this master as its writer): that write succeeded. Anything else
        is another master's write, and this master no longer leads."""
        try:
            stored, stat = self._client.get(self.path)
        except (KazooException, TimeoutError) as error:
            raise RegistryError(f"cannot read back {self.description}: {error!r}") from None
        if stored != data:
            raise RegistryConflictError(
                f"{self.description} was changed by another master; this master no longer leads"
            )
        logger.info(
            "The registry write that lost its connection had been applied (version %d)",
            stat.version,
        )
        self._version = stat.version

    def close(self) -> None:
        if self._started:
            close_client(self._client)


def open_store(
    registry: str,
    work_dir: str | None,
    zk: ZooKeeperUrl | None,
    session_timeout: float,
    quorum: int | None = None,
) -> RegistryStore:
    if registry == "in_memory":
        return InMemoryStore()
    if zk is not None:
        return ZooKeeperStore(zk, session_timeout, quorum or 1)
    if not work_dir:
        raise RegistryError("--work_dir needed for replicated log based registry")
    return FileStore(work_dir)


class Registrar:
    """Recovers the registry on election and persists every change, in order.

    Writes are batched, as Mesos's registrar batches the operations that arrive while a store
    is in flight: `save` only asks for a write, and the document is made when the write
    starts, so every change asked for until then goes into that one write. A write that keeps
    failing for --registry_store_timeout (or is refused because another master wrote) is
    fatal, as in Mesos.
    """

    def __init__(
        self,
        store: RegistryStore,
        on_failure: Callable[[str], None],
        fetch_timeout: float = 60.0,
        store_timeout: float = 20.0,
    ) -> None:
        self.store = store
        self._on_failure = on_failure
        self._fetch_timeout = fetch_timeout
        self._store_timeout = store_timeout
        self._pending: Callable[[], bytes] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()
        self.writes = 0

    async def recover(self) -> RegistryState:
        """Reads the registry, retrying until --registry_fetch_timeout; raises RegistryError."""
        started = time.monotonic()
        deadline = started + self._fetch_timeout
        while True:
            try:
                state = await asyncio.to_thread(self.store.fetch)
            except RegistryCorruptError:
                raise
            except RegistryError as error:
                if time.monotonic() >= deadline:
                    raise RegistryError(
                        "Failed to recover registrar: "
                        f"Failed to perform fetch within {self._fetch_timeout:g}secs: {error}"
                    ) from None
                logger.warning("Cannot fetch the registry yet (retrying): %s", error)
                await asyncio.sleep(0.5)
                continue
            logger.info(
                "Recovered the registry from %s in %.0fms: %d admitted, %d unreachable agents",
                self.store.description,
                (time.monotonic() - started) * 1000,
                len(state.admitted),
                len(state.unreachable),
            )
            return state

    def save(self, document: Callable[[], bytes]) -> None:
        """Writes `document()` (the registry as it is when the write starts) soon."""
        self._pending = document
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_pending())

    async def written(self) -> None:
        """Waits until the changes asked for so far are stored (batches keep their pauses)."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def flush(self) -> None:
        """Waits for the writes asked for so far (without pausing between batches)."""
        self._hurry.set()
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write_pending(self) -> None:
        while self._pending is not None:
            began = time.monotonic()
            data = self._pending()
            self._pending = None
            # Making the document is O(agents) on the event loop: with a store as fast as
            # memory, back-to-back batches of a few registrations each would take the loop
            # over. Waiting a few times as long as the last one took keeps the registrar's
            # share of the loop below a fifth; the changes made meanwhile join the next write.
            pause = min(REGISTRY_MAX_BATCH_PAUSE, 4 * (time.monotonic() - began))
            deadline = time.monotonic() + self._store_timeout
            while True:
                try:
                    await asyncio.to_thread(self.store.store, data)
                    self.writes += 1
                    break
                except RegistryError as error:
                    if isinstance(error, RegistryConflictError) or time.monotonic() >= deadline:
                        self._on_failure(f"Failed to update the registry: {error}")
                        return
                    logger.warning("Cannot update the registry yet (retrying): %s", error)
                    await asyncio.sleep(0.5)
            if self._pending is not None and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), pause)

    async def close(self) -> None:
        await asyncio.to_thread(self.store.close)
