"""LeaderWatch with a fake driver and clock: when it steers pymesos, and when it must not."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from mesos_probe.scheduler_host.leader_watch import LeaderWatch

DEAD = "10.0.0.1:5050"
LEADER = "10.0.0.2:5050"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeDriver:
    """pymesos' view: `master` is where its I/O thread connects; change_master() only
    records a wish (`_new_master`) until that thread takes it up."""

    def __init__(self, master: str | None) -> None:
        self._master = master
        self._new_master = master
        self.changes: list[str] = []

    @property
    def master(self) -> str | None:
        return self._master

    def change_master(self, master: str) -> None:
        self.changes.append(master)
        self._new_master = master

    def io_thread_takes_up_the_change(self) -> None:
        self._master = self._new_master


class Harness:
    def __init__(self, driver_master: str | None, leader: str | None = LEADER) -> None:
        self.clock = FakeClock()
        self.driver = FakeDriver(driver_master)
        self.connected = False
        self.leader = leader
        self.lookups = 0
        self.watch = LeaderWatch(
            self.driver,
            lambda: self.connected,
            self.lookup,
            clock=self.clock,
            first_check_after=3.0,
            max_interval=12.0,
        )

    def lookup(self, timeout: float) -> tuple[str | None, str]:
        self.lookups += 1
        return self.leader, "" if self.leader else "no master has registered"

    def at(self, seconds: float) -> None:
        """Move the clock to `seconds` after the start and let the watch look."""
        self.clock.now = 1000.0 + seconds
        self.watch.check()


def test_switches_to_the_leader_once_disconnected_long_enough(
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = Harness(driver_master=DEAD)
    run.at(0)  # the disconnection is noticed
    run.at(2.9)
    assert run.driver.changes == [] and run.lookups == 0
    with caplog.at_level(logging.WARNING, logger="mesos_probe.scheduler_host.leader_watch"):
        run.at(3.0)
    assert run.driver.changes == [LEADER]
    assert f"reconnecting to the leading master {LEADER}" in caplog.text
    assert f"retrying the former leader {DEAD}" in caplog.text
    # While pymesos' I/O thread has not taken the change up yet, it is not asked again.
    run.at(6.0)
    assert run.driver.changes == [LEADER]


def test_switches_again_if_redirected_back_to_the_dead_master() -> None:
    run = Harness(driver_master=DEAD)
    run.at(0)
    run.at(3.0)
    run.driver.io_thread_takes_up_the_change()
    run.driver.change_master(DEAD)  # the stale standby answered 307 once more
    run.driver.io_thread_takes_up_the_change()
    run.at(5.9)  # backoff: the next look is 3 s after the first
    assert run.driver.changes == [LEADER, DEAD]
    run.at(6.0)
    assert run.driver.changes == [LEADER, DEAD, LEADER]


def test_looks_with_backoff_while_no_leader_is_known() -> None:
    run = Harness(driver_master=DEAD, leader=None)
    run.at(0)
    times = [3.0, 6.0, 12.0, 24.0, 36.0, 48.0]  # 3, 6, 12, then capped at 12
    for second in range(0, 50):
        run.at(float(second))
    assert run.lookups == len(times)
    assert run.driver.changes == []


def test_does_nothing_while_connected() -> None:
    run = Harness(driver_master=DEAD)
    run.connected = True
    for second in range(0, 30):
        run.at(float(second))
    assert run.lookups == 0 and run.driver.changes == []


def test_does_nothing_when_already_pointing_at_the_leader() -> None:
    run = Harness(driver_master=LEADER)
    for second in range(0, 30):
        run.at(float(second))
    assert run.lookups > 0
    assert run.driver.changes == []


def test_a_reconnection_resets_the_disconnection_clock() -> None:
    run = Harness(driver_master=DEAD)
    run.at(0)
    run.at(2.0)
    run.connected = True
    run.at(2.5)
    run.connected = False
    run.at(3.0)  # disconnected again only now
    run.at(5.9)
    assert run.driver.changes == []
    run.at(6.0)
    assert run.driver.changes == [LEADER]


def test_a_failing_lookup_is_retried_later() -> None:
    run = Harness(driver_master=DEAD)
    failures = iter([RuntimeError("ZooKeeper at z1:2181 did not answer")])

    def flaky(timeout: float) -> tuple[str | None, str]:
        for error in failures:
            raise error
        return LEADER, ""

    run.watch.lookup = flaky
    run.at(0)
    run.at(3.0)
    assert run.driver.changes == []
    run.at(6.0)
    assert run.driver.changes == [LEADER]


def test_no_switch_after_stop_and_the_thread_ends() -> None:
    driver = FakeDriver(DEAD)
    looked = threading.Event()

    def lookup(timeout: float) -> tuple[str | None, str]:
        looked.set()
        return LEADER, ""

    watch = LeaderWatch(driver, lambda: False, lookup, first_check_after=0.3).start()
    assert looked.wait(5), "the watch thread never looked the leader up"
    deadline = time.monotonic() + 5
    while not driver.changes and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.changes == [LEADER]
    watch.stop()
    assert watch._thread is not None and not watch._thread.is_alive()
    driver.change_master(DEAD)
    driver.io_thread_takes_up_the_change()
    watch.check()  # even a late check cannot switch any more
    time.sleep(0.5)
    assert driver.changes == [LEADER, DEAD]
