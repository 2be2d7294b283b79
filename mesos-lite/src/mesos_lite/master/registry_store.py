"""Where the master's registry document (registry.py) is stored, by --registry and --zk:

- replicated_log with --zk: the znode `<zk path>/mesos-lite/registry`. Only the leading master
  writes it, and every write carries the znode version the leader last read or wrote, so a
  master that lost leadership without noticing cannot overwrite its successor's registry.
- replicated_log without --zk: the file `<work_dir>/registry` (replaced atomically).
- in_memory: nowhere; nothing survives a restart (as in Mesos).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from typing import Protocol

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, KazooException, NodeExistsError, NoNodeError
from kazoo.retry import KazooRetry
from kazoo.security import make_digest_acl

from mesos_lite.master.registry import (
    RegistryConflictError,
    RegistryCorruptError,
    RegistryError,
    RegistryState,
)
from mesos_lite.zookeeper import NODE_PREFIX, ZooKeeperUrl, close_client

logger = logging.getLogger(__name__)

REGISTRY_ZNODE = "mesos-lite/registry"
REGISTRY_FILE = "registry"


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
