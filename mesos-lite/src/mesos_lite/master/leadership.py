"""Who leads: this master's identity (MasterInfo), whether it is elected, and where a master
that does not lead sends its callers (Mesos's contender and detector, seen from the master).
The ZooKeeper side of the election is `mesos_lite.zookeeper.MasterContender`."""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from mesos_lite import MESOS_VERSION
from mesos_lite.httpd import CallError
from mesos_lite.ids import new_uuid
from mesos_lite.master.config import MasterConfig
from mesos_lite.protocol import now

logger = logging.getLogger(__name__)


class Leadership:
    def __init__(self, config: MasterConfig) -> None:
        self.config = config
        self.id = new_uuid()
        self.start_time = now()
        self.elected_time: float | None = None
        self.leader_info: dict[str, Any] | None = None
        # Elected, but the registry is not recovered yet (calls get 503, as in Mesos).
        self.recovering = False
        # With ZooKeeper: does the leader in `leader_info` still hold its node right now?
        # (Watches arrive late; a client may already have seen the change.)
        self.leader_check: Callable[[], Awaitable[bool]] | None = None

    @property
    def pid(self) -> str:
        return f"master@{self.config.advertise_ip}:{self.config.advertise_port}"

    def master_info(self) -> dict[str, Any]:
        ip = self.config.advertise_ip
        try:
            packed = struct.unpack("<I", socket.inet_aton(ip))[0]
        except OSError:
            packed = 0
        return {
            "id": self.id,
            "ip": packed,
            "port": self.config.advertise_port,
            "pid": self.pid,
            "hostname": self.config.hostname,
            "version": MESOS_VERSION,
            "address": {
                "hostname": self.config.hostname,
                "ip": ip,
                "port": self.config.advertise_port,
            },
            "capabilities": [
                {"type": "AGENT_UPDATE"},
                {"type": "AGENT_DRAINING"},
                {"type": "QUOTA_V2"},
            ],
        }

    @property
    def elected(self) -> bool:
        return self.elected_time is not None

    def leader_location(self) -> str | None:
        """`//<leader hostname>:<port>`, the base of Mesos's redirects; None without a leader."""
        leader = self.leader_info
        if leader is None:
            return None
        address = leader.get("address") or {}
        return f"//{leader.get('hostname') or address.get('ip')}:{leader.get('port')}"

    async def current_leader_location(self) -> str | None:
        """leader_location(), but None when that leader has just lost its ZooKeeper node
        (this master's watch has not fired yet): a redirect there would send clients such
        as pymesos to a dead master they never leave."""
        location = self.leader_location()
        if location is None or self.elected or self.leader_check is None:
            return location
        if await self.leader_check():
            return location
        logger.info("The leader %s has just left ZooKeeper; answering 503", location)
        return None

    async def redirect_to_current_leader(self, path_qs: str) -> CallError:
        """What a master that does not lead (yet) answers: 503 while it recovers the
        registry, 307 to a leader that still holds its node, else 503."""
        if self.recovering:
            return CallError(503, "Master has not finished recovery")
        base = await self.current_leader_location()
        if base is None:
            return CallError(503, "No leader elected")
        return CallError(307, "", {"Location": base + path_qs})

    def become_leader(self) -> None:
        if self.elected_time is None:
            self.elected_time = now()
            self.leader_info = self.master_info()
            self.recovering = False
            logger.info("Elected as the leading master: %s", self.pid)

    def resign(self) -> None:
        """On SIGTERM, before the streams close: from now on every scheduler and agent call
        gets 503, so no client re-attaches to a master that is going away."""
        self.elected_time = None
        self.leader_info = None
        self.recovering = False
