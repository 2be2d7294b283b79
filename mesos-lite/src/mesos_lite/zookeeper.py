"""Master contention and detection through ZooKeeper, laid out as Apache Mesos lays it out.

Each master creates an ephemeral sequential `<path>/json.info_NNNNNNNNNN` node holding its
MasterInfo as JSON; the lowest sequence number is the leader. Detectors (agents, pymesos)
read the lowest `json.info_` child.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.recipe.watchers import ChildrenWatch

logger = logging.getLogger(__name__)

NODE_PREFIX = "json.info_"


class ZooKeeperUrlError(ValueError):
    pass


@dataclass(frozen=True)
class ZooKeeperUrl:
    hosts: str
    path: str
    auth: tuple[str, str] | None = None

    @classmethod
    def parse(cls, text: str) -> ZooKeeperUrl:
        if not text.startswith("zk://"):
            raise ZooKeeperUrlError(f"Expecting 'zk://' at the beginning of the URL: '{text}'")
        rest = text[len("zk://") :]
        auth = None
        if "@" in rest.split("/", 1)[0]:
            credentials, rest = rest.split("@", 1)
            user, _, password = credentials.partition(":")
            auth = (user, password)
        hosts, slash, path = rest.partition("/")
        if not hosts or not slash:
            raise ZooKeeperUrlError(f"Expecting 'zk://host[:port],.../path', got '{text}'")
        path = "/" + path.strip("/")
        return cls(hosts=hosts, path=path, auth=auth)


def _client(url: ZooKeeperUrl, session_timeout: float) -> KazooClient:
    auth_data = [("digest", f"{url.auth[0]}:{url.auth[1]}")] if url.auth else None
    return KazooClient(hosts=url.hosts, timeout=session_timeout, auth_data=auth_data)


def leader_child(children: list[str]) -> str | None:
    contenders = sorted(c for c in children if c.startswith(NODE_PREFIX))
    return contenders[0] if contenders else None


def address_of(master_info: dict[str, Any]) -> str | None:
    address = master_info.get("address")
    if isinstance(address, dict) and address.get("ip") and address.get("port"):
        return f"{address['ip']}:{address['port']}"
    return None


class MasterContender:
    """Publishes this master and reports whether it leads, and who does."""

    def __init__(
        self,
        url: ZooKeeperUrl,
        session_timeout: float,
        on_leader: Callable[[bool, dict[str, Any] | None], None],
        on_session_lost: Callable[[], None],
    ) -> None:
        self.url = url
        self._client = _client(url, session_timeout)
        self._on_leader = on_leader
        self._on_session_lost = on_session_lost
        self._loop = asyncio.get_running_loop()
        self._node: str | None = None

    def start(self, master_info: dict[str, Any]) -> None:
        """Blocking: connects and creates the node (call through asyncio.to_thread)."""
        self._client.start()
        self._client.add_listener(self._state_changed)
        self._client.ensure_path(self.url.path)
        data = json.dumps(master_info).encode("utf-8")
        created = self._client.create(
            f"{self.url.path}/{NODE_PREFIX}", data, ephemeral=True, sequence=True
        )
        self._node = created.rsplit("/", 1)[1]
        logger.info("Published %s in ZooKeeper %s%s", self._node, self.url.hosts, self.url.path)
        ChildrenWatch(self._client, self.url.path, self._children_changed)

    def _state_changed(self, state: str) -> None:
        if state == KazooState.LOST:
            self._loop.call_soon_threadsafe(self._on_session_lost)

    def _children_changed(self, children: list[str]) -> bool:
        leader = leader_child(children)
        if leader is None:
            return True
        leader_info: dict[str, Any] | None = None
        try:
            raw, _ = self._client.get(f"{self.url.path}/{leader}")
            leader_info = json.loads(raw.decode("utf-8"))
        except (NoNodeError, ValueError, KazooException) as error:
            logger.warning("Cannot read the leader's node %s: %s", leader, error)
        self._loop.call_soon_threadsafe(self._on_leader, leader == self._node, leader_info)
        return True

    def stop(self) -> None:
        try:
            self._client.stop()
            self._client.close()
        except KazooException:
            logger.debug("ZooKeeper client stop failed", exc_info=True)


class MasterDetector:
    """Follows the leading master's address (`ip:port`) in ZooKeeper."""

    def __init__(
        self, url: ZooKeeperUrl, session_timeout: float, on_change: Callable[[str | None], None]
    ) -> None:
        self.url = url
        self._client = _client(url, session_timeout)
        self._on_change = on_change
        self._loop = asyncio.get_running_loop()

    def start(self) -> None:
        """Blocking: connects and starts watching (call through asyncio.to_thread)."""
        self._client.start()
        self._client.ensure_path(self.url.path)
        ChildrenWatch(self._client, self.url.path, self._children_changed)

    def _children_changed(self, children: list[str]) -> bool:
        leader = leader_child(children)
        address: str | None = None
        if leader is not None:
            try:
                raw, _ = self._client.get(f"{self.url.path}/{leader}")
                address = address_of(json.loads(raw.decode("utf-8")))
            except (NoNodeError, ValueError, KazooException) as error:
                logger.warning("Cannot read the leader's node %s: %s", leader, error)
        self._loop.call_soon_threadsafe(self._on_change, address)
        return True

    def stop(self) -> None:
        try:
            self._client.stop()
            self._client.close()
        except KazooException:
            logger.debug("ZooKeeper client stop failed", exc_info=True)
