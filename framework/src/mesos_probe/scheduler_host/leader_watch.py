"""Steer pymesos back to the leading master when it keeps retrying a dead one.

pymesos 0.3.15 follows a 307 from a master by switching to the Location for good. Right
after a leader dies, a standby that has not yet noticed answers SUBSCRIBE with 307 to that
dead leader; pymesos then reconnects to the dead address until its connect deadline, and
its ZooKeeper detector never fires again because, to ZooKeeper, the leader did not change
since it last looked. Apache Mesos has the same window, so the framework defends itself:
while the scheduler stays disconnected, this watch looks the leader up on its own
(ZooKeeper's lowest contender, or the masters' /master/redirect) and, if the driver points
elsewhere, tells the driver to change master.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)

FIRST_CHECK_AFTER = 3.0  # disconnected this long before the first look
MAX_CHECK_INTERVAL = 8.0  # looks back off to this; a look is a few cheap requests
POLL_SECONDS = 0.25


class MasterSwitchingDriver(Protocol):
    """What the watch needs of pymesos' MesosSchedulerDriver."""

    @property
    def master(self) -> str | None: ...

    def change_master(self, master: str) -> None: ...


# timeout -> (leader host:port or None, why none was found)
LeaderLookup = Callable[[float], tuple[str | None, str]]


def driver_target(driver: MasterSwitchingDriver) -> str | None:
    """The master the driver is headed for: a change_master() its I/O thread has not yet
    taken up (it may sit in a reconnect pause) counts, so it is not asked twice."""
    pending = getattr(driver, "_new_master", None)
    return pending if isinstance(pending, str) else driver.master


class LeaderWatch:
    """While `is_connected()` stays False, look the leader up with backoff and point
    `driver` at it. `check()` does one step (tests drive it with a fake clock);
    `start()` runs it on a daemon thread until `stop()`."""

    def __init__(
        self,
        driver: MasterSwitchingDriver,
        is_connected: Callable[[], bool],
        lookup: LeaderLookup,
        clock: Callable[[], float] = time.monotonic,
        first_check_after: float = FIRST_CHECK_AFTER,
        max_interval: float = MAX_CHECK_INTERVAL,
    ) -> None:
        self.driver = driver
        self.is_connected = is_connected
        self.lookup = lookup
        self.clock = clock
        self.first_check_after = first_check_after
        self.max_interval = max_interval
        self.switches = 0
        self._disconnected_since: float | None = None
        self._next_check = 0.0
        self._interval = first_check_after
        self._lock = threading.Lock()  # stop() vs a switch in flight
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        now = self.clock()
        if self.is_connected():
            self._disconnected_since = None
            return
        if self._disconnected_since is None:
            self._disconnected_since = now
            self._interval = self.first_check_after
            self._next_check = now + self.first_check_after
            return
        if now < self._next_check or self._stopped.is_set():
            return
        self._next_check = now + self._interval
        self._interval = min(self._interval * 2, self.max_interval)
        self._follow_leader(now - self._disconnected_since)

    def _follow_leader(self, disconnected_for: float) -> None:
        try:
            leader, problem = self.lookup(min(3.0, self.first_check_after))
        except Exception as error:  # any lookup failure just means: try again later
            leader, problem = None, str(error) or type(error).__name__
        if leader is None:
            logger.info(
                "disconnected for %.0fs; no leading master found yet: %s",
                disconnected_for,
                problem,
            )
            return
        target = driver_target(self.driver)
        if leader == target or self.is_connected():
            logger.debug(
                "disconnected for %.0fs; pymesos already heads for %s", disconnected_for, leader
            )
            return
        with self._lock:
            if self._stopped.is_set():
                return
            logger.warning(
                "reconnecting to the leading master %s (pymesos was retrying the former "
                "leader %s, disconnected for %.0fs)",
                leader,
                target or "(none)",
                disconnected_for,
            )
            self.switches += 1
            self.driver.change_master(leader)

    # -- background thread -----------------------------------------------------------------
    def start(self) -> LeaderWatch:
        self._thread = threading.Thread(target=self._run, name="leader-watch", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.wait(POLL_SECONDS):
            try:
                self.check()
            except Exception:  # the watch must never take the run down
                logger.exception("leader watch failed; going on")

    def stop(self, join_timeout: float = 5.0) -> None:
        """No change_master() call starts after this returns."""
        with self._lock:
            self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(join_timeout)
