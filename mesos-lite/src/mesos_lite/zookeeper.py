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
from dataclasses import dataclass, field
from typing import Any

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.recipe.watchers import ChildrenWatch
from kazoo.retry import KazooRetry
from kazoo.security import ACL, CREATOR_ALL_ACL, READ_ACL_UNSAFE

from mesos_lite.flags import hide_url_password

logger = logging.getLogger(__name__)

NODE_PREFIX = "json.info_"
# Backoff between attempts to publish this master again after its session was lost.
RECONTEND_BACKOFF_MIN = 0.5
RECONTEND_BACKOFF_MAX = 10.0


class ZooKeeperUrlError(ValueError):
    pass


@dataclass(frozen=True)
class ZooKeeperUrl:
    hosts: str
    path: str
    # Kept out of repr so the password never reaches a log line.
    auth: tuple[str, str] | None = field(default=None, repr=False)

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
            raise ZooKeeperUrlError(
                f"Expecting 'zk://host[:port],.../path', got '{hide_url_password(text)}'"
            )
        path = "/" + path.strip("/")
        return cls(hosts=hosts, path=path, auth=auth)


def znode_acl(url: ZooKeeperUrl) -> list[ACL] | None:
    """Mesos's EVERYONE_READ_CREATOR_ALL when the URL has credentials: anyone can read
    (agents and schedulers find the leader without credentials), only the digest user that
    created a node can change it. None: ZooKeeper's open default."""
    return [*READ_ACL_UNSAFE, *CREATOR_ALL_ACL] if url.auth else None


def _client(url: ZooKeeperUrl, session_timeout: float) -> KazooClient:
    auth_data = [("digest", f"{url.auth[0]}:{url.auth[1]}")] if url.auth else None
    # Keep reconnecting for as long as ZooKeeper is away (kazoo's default backs off to an
    # hour between attempts); losing the session is judged by the session timeout instead.
    return KazooClient(
        hosts=url.hosts,
        timeout=session_timeout,
        auth_data=auth_data,
        connection_retry=KazooRetry(max_tries=-1, max_delay=1.0),
        default_acl=znode_acl(url),
    )


def connect_patiently(
    client: KazooClient, hosts: str, purpose: str, stopping: Callable[[], bool]
) -> bool:
    """Blocking: waits for ZooKeeper for as long as it takes (as Mesos does), not kazoo's 15s;
    after 5s says it is waiting `purpose`. False when `stopping()` turned true meanwhile."""
    connected = client.start_async()
    if not connected.wait(5.0):
        logger.warning("Waiting for ZooKeeper at %s %s", hosts, purpose)
        while not connected.wait(1.0):
            if stopping():
                return False
    return True


def close_client(client: KazooClient) -> None:
    """Stops and closes a client; a failure to do so is no longer anyone's concern."""
    try:
        client.stop()
        client.close()
    except KazooException:
        logger.debug("ZooKeeper client stop failed", exc_info=True)


def leader_child(children: list[str]) -> str | None:
    contenders = sorted(c for c in children if c.startswith(NODE_PREFIX))
    return contenders[0] if contenders else None


def address_of(master_info: dict[str, Any]) -> str | None:
    address = master_info.get("address")
    if isinstance(address, dict) and address.get("ip") and address.get("port"):
        return f"{address['ip']}:{address['port']}"
    return None


class MasterContender:
    """Publishes this master and reports whether it leads, and who does.

    As Mesos's ZooKeeper group: a disconnection only costs the candidacy once it has lasted
    the session timeout (or ZooKeeper reports the session expired); `on_candidacy_lost`
    then runs, and the contender publishes itself again once ZooKeeper is back.
    """

    def __init__(
        self,
        url: ZooKeeperUrl,
        session_timeout: float,
        on_leader: Callable[[bool, dict[str, Any] | None], None],
        on_candidacy_lost: Callable[[str], None],
    ) -> None:
        self.url = url
        self._client = _client(url, session_timeout)
        self._session_timeout = session_timeout
        self._on_leader = on_leader
        self._on_candidacy_lost = on_candidacy_lost
        self._loop = asyncio.get_running_loop()
        self._node: str | None = None
        self._data = b""
        self._expiry: asyncio.TimerHandle | None = None
        self._candidacy_lost = False
        self._stopping = False
        self._leader_node: str | None = None
        self._recontending: asyncio.Task[None] | None = None

    def start(self, master_info: dict[str, Any]) -> None:
        """Blocking: connects and creates the node (call through asyncio.to_thread)."""
        self._data = json.dumps(master_info).encode("utf-8")
        if not connect_patiently(
            self._client, self.url.hosts, "to contend for leadership", lambda: self._stopping
        ):
            return
        self._client.add_listener(self._state_changed)
        self._contend()
        ChildrenWatch(self._client, self.url.path, self._children_changed)

    def _contend(self) -> None:
        self._client.ensure_path(self.url.path)
        created = self._client.create(
            f"{self.url.path}/{NODE_PREFIX}", self._data, ephemeral=True, sequence=True
        )
        self._node = created.rsplit("/", 1)[1]
        logger.info("Published %s in ZooKeeper %s%s", self._node, self.url.hosts, self.url.path)

    def _state_changed(self, state: str) -> None:
        """kazoo's connection thread: hand the state over to the event loop."""
        self._loop.call_soon_threadsafe(self._on_state, state)

    def _on_state(self, state: str) -> None:
        if self._stopping:
            return  # closing the session on shutdown is no loss of candidacy
        if state == KazooState.SUSPENDED:
            logger.warning(
                "Disconnected from ZooKeeper; the session is lost if it is not back within %gs",
                self._session_timeout,
            )
            if self._expiry is None:
                self._expiry = self._loop.call_later(
                    self._session_timeout,
                    self._lose_candidacy,
                    f"no ZooKeeper connection for {self._session_timeout:g}secs",
                )
            return
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        if state == KazooState.LOST:
            self._lose_candidacy("ZooKeeper session expired")
        elif state == KazooState.CONNECTED:
            logger.info("Connected to ZooKeeper again")
            if self._candidacy_lost and self._recontending is None:
                self._recontending = self._loop.create_task(self._recontend())

    def _lose_candidacy(self, reason: str) -> None:
        self._expiry = None
        if not self._candidacy_lost:
            self._candidacy_lost = True
            self._on_candidacy_lost(reason)

    async def _recontend(self) -> None:
        """Publishes this master again after a lost session, retrying with backoff whatever
        ZooKeeper answers meanwhile (a connection lost again, a session expired again): a
        master must never stay out of the election for good."""
        delay = RECONTEND_BACKOFF_MIN
        try:
            while not self._stopping:
                # Set again by a session lost during the attempt: then publish once more.
                self._candidacy_lost = False
                try:
                    await asyncio.to_thread(self._contend_again)
                    if not self._candidacy_lost:
                        return
                except KazooException as error:
                    logger.warning(
                        "Cannot contend again in ZooKeeper (%r); retrying in %gs", error, delay
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONTEND_BACKOFF_MAX)
        finally:
            self._recontending = None

    def _contend_again(self) -> None:
        """Blocking: publish again unless the old node survived (ZooKeeper restores sessions
        when it restarts), then report the current leader."""
        if self._node is None or not self._client.exists(f"{self.url.path}/{self._node}"):
            # A create whose answer was lost with the connection may still have made a node
            # of this session: adopt it rather than leave a second candidate behind.
            self._node = self._node_of_this_session()
            if self._node is None:
                self._contend()
        self._children_changed(self._client.get_children(self.url.path))

    def _node_of_this_session(self) -> str | None:
        session = self._client.client_id[0] if self._client.client_id else None
        for child in sorted(self._client.get_children(self.url.path)):
            if not child.startswith(NODE_PREFIX):
                continue
            stat = self._client.exists(f"{self.url.path}/{child}")
            if stat is not None and session is not None and stat.ephemeralOwner == session:
                return child
        return None

    def _children_changed(self, children: list[str]) -> bool:
        leader = leader_child(children)
        self._leader_node = leader
        if leader is None:
            self._loop.call_soon_threadsafe(self._on_leader, False, None)
            return True
        leader_info: dict[str, Any] | None = None
        try:
            raw, _ = self._client.get(f"{self.url.path}/{leader}")
            leader_info = json.loads(raw.decode("utf-8"))
        except (NoNodeError, ValueError, KazooException) as error:
            logger.warning("Cannot read the leader's node %s: %s", leader, error)
        self._loop.call_soon_threadsafe(self._on_leader, leader == self._node, leader_info)
        return True

    async def leader_node_exists(self) -> bool:
        """Whether the node of the leader last reported still exists (one ZooKeeper read;
        True when ZooKeeper cannot tell within a second: keep what the watch said)."""
        node = self._leader_node
        if node is None:
            return False
        try:
            stat = await asyncio.wait_for(
                asyncio.to_thread(self._client.exists, f"{self.url.path}/{node}"), 1.0
            )
        except (TimeoutError, KazooException):
            return True
        return stat is not None

    def stop(self) -> None:
        self._stopping = True
        if self._expiry is not None:
            self._loop.call_soon_threadsafe(self._expiry.cancel)
        close_client(self._client)


class MasterDetector:
    """Follows the leading master's address (`ip:port`) in ZooKeeper."""

    def __init__(
        self, url: ZooKeeperUrl, session_timeout: float, on_change: Callable[[str | None], None]
    ) -> None:
        self.url = url
        self._client = _client(url, session_timeout)
        self._on_change = on_change
        self._loop = asyncio.get_running_loop()
        self._stopping = False

    def start(self) -> None:
        """Blocking: connects and starts watching (call through asyncio.to_thread)."""
        if not connect_patiently(
            self._client, self.url.hosts, "to detect the master", lambda: self._stopping
        ):
            return
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
        self._stopping = True
        close_client(self._client)
