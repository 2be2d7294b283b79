"""The scheduler's decisions, driven through pymesos' callbacks with a recording driver."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import FakeClock, FakeDriver, new_scheduler, offer, plan, status

from mesos_probe.scheduler_host.placement import SlotPhase
from mesos_probe.scheduler_host.reconciliation import DOUBT_RECHECK_SECONDS
from mesos_probe.scheduler_host.scheduler import RESULT_WAIT_SECONDS, ProbeScheduler
from mesos_probe.task_spec import TaskSpec, encode_result_message


def make_scheduler(
    expected: int = 3, max_attempts: int = 3, **plan_fields: Any
) -> tuple[ProbeScheduler, FakeDriver, FakeClock]:
    clock = FakeClock()
    scheduler = new_scheduler(
        plan(max_attempts=max_attempts, **plan_fields), "run-1", expected, clock
    )
    driver = FakeDriver()
    scheduler.registered(driver, {"value": "fw-1"}, {"hostname": "m", "port": 5050})
    driver.clear()
    return scheduler, driver, clock


def launched_on(driver: FakeDriver) -> list[str]:
    return [task["agent_id"]["value"] for task in driver.launched_tasks()]


def task_on(driver: FakeDriver, agent: str) -> str:
    ids = [
        t["task_id"]["value"] for t in driver.launched_tasks() if t["agent_id"]["value"] == agent
    ]
    return str(ids[-1])


def finish(scheduler: ProbeScheduler, driver: FakeDriver, agent: str, result: str = "{}") -> None:
    scheduler.statusUpdate(
        driver, status(task_on(driver, agent), "TASK_FINISHED", agent, data=result)
    )


def fail(
    scheduler: ProbeScheduler,
    driver: FakeDriver,
    agent: str,
    message: str,
    state: str = "TASK_FAILED",
    reason: str = "REASON_COMMAND_EXECUTOR_FAILED",
) -> None:
    """The agent's latest task ends in `state` with `reason` and `message`."""
    update = status(task_on(driver, agent), state, agent, reason=reason, message=message)
    scheduler.statusUpdate(driver, update)


def test_one_task_per_agent_from_offers_of_three_agents() -> None:
    scheduler, driver, _ = make_scheduler(expected=3)
    scheduler.resourceOffers(driver, [offer("a1"), offer("a2"), offer("a3")])
    assert sorted(launched_on(driver)) == ["a1", "a2", "a3"]
    task = driver.launched_tasks()[0]
    spec = TaskSpec.decode(task["data"])
    assert spec.run_id == "run-1" and spec.command is None
    assert task["executor"]["executor_id"] == task["task_id"]
    assert "-m mesos_probe.agent_host.executor" in task["executor"]["command"]["value"]
    # Everything placed: offers are suppressed.
    assert driver.named("suppress") == [(["*"],)]
    assert scheduler.snapshot().placed == 3


def test_task_resources_keep_the_offer_role_and_fit() -> None:
    scheduler, driver, _ = make_scheduler(expected=1, cpus=0.5, mem=128, role="probe")
    scheduler.resourceOffers(driver, [offer("a1", role="probe")])
    task = driver.launched_tasks()[0]
    cpus = [r for r in task["resources"] if r["name"] == "cpus"]
    assert cpus == [
        {
            "name": "cpus",
            "type": "SCALAR",
            "scalar": {"value": 0.5},
            "allocation_info": {"role": "probe"},
        }
    ]
    executor_mem = [r for r in task["executor"]["resources"] if r["name"] == "mem"]
    assert executor_mem[0]["scalar"]["value"] > 0


def test_duplicate_offer_is_ignored_and_reoffers_are_declined() -> None:
    scheduler, driver, _ = make_scheduler(expected=2)
    first = offer("a1", offer_id="o-1")
    scheduler.resourceOffers(driver, [first])
    scheduler.resourceOffers(driver, [first])  # the same offer delivered twice
    scheduler.resourceOffers(driver, [offer("a1", offer_id="o-2")])  # a new offer, same agent
    assert launched_on(driver) == ["a1"]
    assert scheduler.offers.duplicates == 1
    assert ("o-2", scheduler.plan.refuse_seconds) in driver.declined()
    assert "o-1" not in [offer_id for offer_id, _ in driver.declined()]


def test_two_offers_from_one_agent_in_one_batch_launch_once() -> None:
    scheduler, driver, _ = make_scheduler(expected=2)
    scheduler.resourceOffers(driver, [offer("a1", offer_id="x"), offer("a1", offer_id="y")])
    assert launched_on(driver) == ["a1"]
    assert [offer_id for offer_id, _ in driver.declined()] == ["y"]


def test_agents_beyond_the_expected_number_are_declined() -> None:
    scheduler, driver, _ = make_scheduler(expected=2)
    scheduler.resourceOffers(driver, [offer("a1"), offer("a2"), offer("a3", offer_id="o-3")])
    assert sorted(launched_on(driver)) == ["a1", "a2"]
    assert driver.declined() == [("o-3", scheduler.plan.refuse_seconds)]


def test_too_small_offers_are_declined_briefly_and_remembered() -> None:
    scheduler, driver, _ = make_scheduler(expected=1, cpus=2.0)
    scheduler.resourceOffers(driver, [offer("a1", cpus=1.0, offer_id="small")])
    assert launched_on(driver) == []
    assert driver.declined() == [("small", scheduler.plan.retry_refuse_seconds)]
    assert "cpus 1" in scheduler.unfit_agents["a1"]
    assert "a1" not in scheduler.placement.slots
    scheduler.resourceOffers(driver, [offer("a1", cpus=4.0)])
    assert launched_on(driver) == ["a1"]
    assert "a1" not in scheduler.unfit_agents


def test_rescind_does_not_free_the_agent_and_a_dropped_launch_is_retried_there() -> None:
    scheduler, driver, _ = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1", offer_id="o-1")])
    scheduler.offerRescinded(driver, {"value": "o-1"})
    scheduler.resourceOffers(driver, [offer("a1")])
    assert launched_on(driver) == ["a1"]  # still one: the first launch may be under way
    first = task_on(driver, "a1")
    scheduler.statusUpdate(
        driver, status(first, "TASK_DROPPED", "a1", reason="REASON_INVALID_OFFERS", with_uuid=False)
    )
    assert driver.named("revive")
    scheduler.resourceOffers(driver, [offer("a1")])
    assert launched_on(driver) == ["a1", "a1"]
    assert task_on(driver, "a1") != first
    assert scheduler.offers.rescinded == 1


def test_fails_twice_then_succeeds_keeping_each_reason() -> None:
    scheduler, driver, _ = make_scheduler(expected=1, max_attempts=3)
    for failure in ("boom 1", "boom 2"):
        scheduler.resourceOffers(driver, [offer("a1")])
        scheduler.statusUpdate(driver, status(task_on(driver, "a1"), "TASK_RUNNING", "a1"))
        fail(scheduler, driver, "a1", failure)
        assert not driver.stopped()
    scheduler.resourceOffers(driver, [offer("a1")])
    finish(scheduler, driver, "a1", result='{"hostname": "host-a1"}')
    assert driver.stopped()
    slot = scheduler.placement.slots["a1"]
    assert [a.state for a in slot.attempts] == ["TASK_FAILED", "TASK_FAILED", "TASK_FINISHED"]
    assert [a.message for a in slot.attempts[:2]] == ["boom 1", "boom 2"]
    assert slot.finished_attempt is not None
    assert json.loads(slot.finished_attempt.result or "")["hostname"] == "host-a1"


def test_gives_up_after_max_attempts_and_completes_the_run() -> None:
    scheduler, driver, _ = make_scheduler(expected=2, max_attempts=2)
    scheduler.resourceOffers(driver, [offer("a1"), offer("a2")])
    finish(scheduler, driver, "a2")
    for _ in range(2):
        fail(scheduler, driver, "a1", "bad")
        scheduler.resourceOffers(driver, [offer("a1")])
    assert launched_on(driver).count("a1") == 2  # never a third attempt
    assert scheduler.placement.phase_of("a1") is SlotPhase.FAILED
    assert driver.stopped()


def test_task_refused_by_the_master_is_not_retried() -> None:
    scheduler, driver, _ = make_scheduler(expected=2, max_attempts=3)
    scheduler.resourceOffers(driver, [offer("a1"), offer("a2")])
    finish(scheduler, driver, "a2")
    message = "Not authorized to launch as user 'root'"
    fail(scheduler, driver, "a1", message, state="TASK_ERROR", reason="REASON_TASK_UNAUTHORIZED")
    scheduler.resourceOffers(driver, [offer("a1")])
    assert launched_on(driver).count("a1") == 1
    assert scheduler.placement.phase_of("a1") is SlotPhase.FAILED
    assert driver.stopped()
    slot = scheduler.placement.slots["a1"]
    assert slot.attempts[0].reason == "REASON_TASK_UNAUTHORIZED"
    assert slot.attempts[0].message == message


@pytest.mark.parametrize(
    "state",
    [
        "TASK_FAILED",
        "TASK_ERROR",
        "TASK_LOST",
        "TASK_DROPPED",
        "TASK_GONE",
        "TASK_UNREACHABLE",
        "TASK_KILLED",
    ],
)
def test_every_failure_state_counts_as_a_failed_attempt(state: str) -> None:
    scheduler, driver, _ = make_scheduler(expected=1, max_attempts=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    scheduler.statusUpdate(driver, status(task_on(driver, "a1"), state, "a1"))
    assert scheduler.placement.phase_of("a1") is SlotPhase.FAILED
    assert scheduler.snapshot().failed_attempts == 1
    assert driver.stopped()


def test_updates_with_uuid_are_acknowledged_and_reconciliation_answers_are_not() -> None:
    scheduler, driver, _ = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    task = task_on(driver, "a1")
    running = status(task, "TASK_RUNNING", "a1")
    scheduler.statusUpdate(driver, running)
    scheduler.statusUpdate(driver, status(task, "TASK_RUNNING", "a1", with_uuid=False))
    assert driver.named("ack") == [(running,)]


def test_unreachable_task_blocks_the_agent_until_resolved() -> None:
    scheduler, driver, clock = make_scheduler(expected=1, max_attempts=3)
    scheduler.resourceOffers(driver, [offer("a1")])
    first = task_on(driver, "a1")
    scheduler.statusUpdate(driver, status(first, "TASK_UNREACHABLE", "a1", with_uuid=False))
    assert scheduler.placement.phase_of("a1") is SlotPhase.AWAITING_RESOLUTION
    # The agent comes back: its offer is declined briefly and the old task reconciled.
    driver.clear()
    scheduler.resourceOffers(driver, [offer("a1", offer_id="back")])
    assert launched_on(driver) == []
    assert driver.declined() == [("back", scheduler.plan.retry_refuse_seconds)]
    scheduler.tick(driver)
    asked = [task for args in driver.named("reconcile") for task in args[0]]
    assert {"task_id": {"value": first}, "agent_id": {"value": "a1"}} in asked
    # The master says the old task is gone: now a retry may go there.
    scheduler.statusUpdate(driver, status(first, "TASK_GONE", "a1", with_uuid=False))
    assert scheduler.placement.phase_of("a1") is SlotPhase.NEEDS_LAUNCH
    assert driver.named("revive")
    scheduler.resourceOffers(driver, [offer("a1")])
    assert len(driver.launched_tasks()) == 1
    clock.advance(1)


def test_unreachable_task_that_comes_back_running_is_kept_not_duplicated() -> None:
    scheduler, driver, _ = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    task = task_on(driver, "a1")
    scheduler.statusUpdate(driver, status(task, "TASK_UNREACHABLE", "a1", with_uuid=False))
    scheduler.statusUpdate(driver, status(task, "TASK_RUNNING", "a1", with_uuid=False))
    assert scheduler.placement.phase_of("a1") is SlotPhase.ACTIVE
    scheduler.resourceOffers(driver, [offer("a1")])
    assert len(driver.launched_tasks()) == 1
    finish(scheduler, driver, "a1")
    assert driver.stopped()


def test_doubtful_tasks_are_rechecked_periodically() -> None:
    scheduler, driver, clock = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    scheduler.statusUpdate(driver, status(task_on(driver, "a1"), "TASK_LOST", "a1"))
    driver.clear()
    scheduler.tick(driver)
    assert len(driver.named("reconcile")) == 1
    scheduler.tick(driver)
    assert len(driver.named("reconcile")) == 1  # backing off
    clock.advance(DOUBT_RECHECK_SECONDS + 2.1)
    scheduler.tick(driver)
    assert len(driver.named("reconcile")) == 2


def test_reregistration_reconciles_known_tasks_and_suppresses_again() -> None:
    scheduler, driver, _ = make_scheduler(expected=2)
    scheduler.resourceOffers(driver, [offer("a1"), offer("a2")])
    finish(scheduler, driver, "a2")
    running = task_on(driver, "a1")
    scheduler.disconnected(driver)
    assert not scheduler.connected
    driver.clear()
    scheduler.reregistered(driver, {"hostname": "m2", "port": 5050})
    reconciles = driver.named("reconcile")
    assert reconciles[0][0] == [{"task_id": {"value": running}, "agent_id": {"value": "a1"}}]
    assert reconciles[1][0] == []  # implicit reconciliation as well
    assert driver.named("suppress")
    # Offers after failover never give an agent a second task.
    scheduler.resourceOffers(driver, [offer("a1"), offer("a2")])
    assert driver.launched_tasks() == []


def test_unanswered_reconciliation_is_retried_with_backoff() -> None:
    scheduler, driver, clock = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    task = task_on(driver, "a1")
    driver.clear()
    scheduler.reregistered(driver, {})
    assert len(driver.named("reconcile")) == 2
    clock.advance(2.1)
    scheduler.tick(driver)
    assert len(driver.named("reconcile")) == 3
    clock.advance(2.1)
    scheduler.tick(driver)
    assert len(driver.named("reconcile")) == 3  # next try only after 4 s
    clock.advance(2.0)
    scheduler.tick(driver)
    assert len(driver.named("reconcile")) == 4
    scheduler.statusUpdate(driver, status(task, "TASK_RUNNING", "a1", with_uuid=False))
    clock.advance(60)
    scheduler.tick(driver)
    assert len(driver.named("reconcile")) == 4  # answered: no more


def test_unknown_running_task_is_killed() -> None:
    scheduler, driver, _ = make_scheduler(expected=1)
    scheduler.statusUpdate(driver, status("old-run.0.1", "TASK_RUNNING", "a1", with_uuid=False))
    assert driver.named("kill") == [({"value": "old-run.0.1"},)]
    scheduler.statusUpdate(driver, status("old-run.0.2", "TASK_FINISHED", "a1"))
    assert len(driver.named("kill")) == 1
    assert len(driver.named("ack")) == 1


def test_finished_is_final_whatever_comes_later() -> None:
    scheduler, driver, _ = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    finish(scheduler, driver, "a1", result="done")
    scheduler.statusUpdate(
        driver, status(task_on(driver, "a1"), "TASK_RUNNING", "a1", with_uuid=False)
    )
    scheduler.statusUpdate(driver, status(task_on(driver, "a1"), "TASK_LOST", "a1"))
    assert scheduler.placement.phase_of("a1") is SlotPhase.FINISHED
    assert scheduler.placement.slots["a1"].attempts[0].result == "done"


def reconciled_finished(task_id: str, agent: str) -> dict[str, Any]:
    """The master's answer to a reconciliation of a finished task: no uuid, no data."""
    update = status(task_id, "TASK_FINISHED", agent, reason="REASON_RECONCILIATION")
    del update["uuid"]
    update["source"] = "SOURCE_MASTER"
    return update


def test_a_reconciled_finish_waits_for_the_agents_update_with_the_result() -> None:
    """After a failover the master's reconciliation answer may be the first news of a task
    that finished; it carries no data (Mesos never puts it there). The run waits for the
    agent's own TASK_FINISHED, which brings the result, before it stops."""
    scheduler, driver, clock = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    task = task_on(driver, "a1")
    scheduler.statusUpdate(driver, reconciled_finished(task, "a1"))
    assert scheduler.placement.phase_of("a1") is SlotPhase.FINISHED
    clock.advance(RESULT_WAIT_SECONDS / 2)
    scheduler.tick(driver)
    assert not driver.stopped()

    agents_update = status(task, "TASK_FINISHED", "a1", data='{"hostname": "host-a1"}')
    scheduler.statusUpdate(driver, agents_update)
    assert driver.stopped()
    assert driver.named("ack") == [(agents_update,)]
    attempt = scheduler.placement.slots["a1"].attempts[0]
    assert json.loads(attempt.result or "")["hostname"] == "host-a1"
    assert attempt.source == "SOURCE_EXECUTOR"


def test_a_reconciled_finish_whose_result_never_comes_ends_the_run_in_time() -> None:
    scheduler, driver, clock = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    scheduler.statusUpdate(driver, reconciled_finished(task_on(driver, "a1"), "a1"))
    clock.advance(RESULT_WAIT_SECONDS - 0.1)
    scheduler.tick(driver)
    assert not driver.stopped()
    clock.advance(0.2)
    scheduler.tick(driver)
    assert driver.stopped()
    assert scheduler.placement.slots["a1"].attempts[0].result is None


def test_result_from_framework_message_is_kept() -> None:
    scheduler, driver, _ = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    task = task_on(driver, "a1")
    scheduler.frameworkMessage(
        driver, {"value": task}, {"value": "a1"}, encode_result_message(task, "from message")
    )
    scheduler.statusUpdate(driver, status(task, "TASK_FINISHED", "a1"))
    assert scheduler.placement.slots["a1"].attempts[0].result == "from message"
    scheduler.frameworkMessage(driver, {"value": "x"}, {"value": "a1"}, "not base64 json")


def test_launch_that_fails_to_send_keeps_the_agent_and_reconciles() -> None:
    scheduler, driver, clock = make_scheduler(expected=1)
    driver.fail_next.add("launch")
    scheduler.resourceOffers(driver, [offer("a1")])
    assert scheduler.placement.phase_of("a1") is SlotPhase.ACTIVE
    scheduler.tick(driver)
    asked = [task for args in driver.named("reconcile") for task in args[0]]
    assert asked == [{"task_id": {"value": task_on(driver, "a1")}, "agent_id": {"value": "a1"}}]
    scheduler.resourceOffers(driver, [offer("a1")])
    assert len(driver.launched_tasks()) == 1
    clock.advance(1)


def test_master_error_ends_the_run() -> None:
    scheduler, driver, _ = make_scheduler(expected=1)
    scheduler.error(driver, "Framework has been removed")
    assert driver.stopped()
    assert scheduler.fatal_error == "Framework has been removed"


def test_lost_agent_is_noted_and_its_task_reconciled() -> None:
    scheduler, driver, _ = make_scheduler(expected=1)
    scheduler.resourceOffers(driver, [offer("a1")])
    scheduler.slaveLost(driver, {"value": "a1"})
    scheduler.tick(driver)
    assert "a1" in scheduler.lost_agents
    assert driver.named("reconcile")


def test_agent_that_stays_lost_is_given_up_after_the_lost_agent_timeout() -> None:
    scheduler, driver, clock = make_scheduler(expected=2, lost_agent_timeout=30)
    scheduler.resourceOffers(driver, [offer("a1"), offer("a2")])
    finish(scheduler, driver, "a2")
    scheduler.statusUpdate(
        driver,
        status(
            task_on(driver, "a1"),
            "TASK_UNREACHABLE",
            "a1",
            reason="REASON_AGENT_REMOVED",
            message="Agent a1 is unreachable",
        ),
    )
    scheduler.slaveLost(driver, {"value": "a1"})
    scheduler.tick(driver)  # the wait starts
    clock.advance(29)
    scheduler.tick(driver)
    assert scheduler.placement.phase_of("a1") is SlotPhase.AWAITING_RESOLUTION
    assert not driver.stopped()
    clock.advance(2)
    scheduler.tick(driver)
    assert scheduler.placement.phase_of("a1") is SlotPhase.FAILED
    assert driver.stopped()
    assert launched_on(driver).count("a1") == 1  # never a second task on it
    assert scheduler.placement.slots["a1"].given_up == (
        "agent lost (removed by the master): task TASK_UNREACHABLE (reason "
        "REASON_AGENT_REMOVED: Agent a1 is unreachable); the agent did not come back within 30s"
    )


def test_lost_agent_that_offers_again_is_waited_for_not_given_up() -> None:
    scheduler, driver, clock = make_scheduler(expected=1, lost_agent_timeout=30)
    scheduler.resourceOffers(driver, [offer("a1")])
    task = task_on(driver, "a1")
    scheduler.statusUpdate(driver, status(task, "TASK_UNREACHABLE", "a1"))
    scheduler.tick(driver)
    clock.advance(25)
    scheduler.resourceOffers(driver, [offer("a1")])  # back: the wait starts over
    clock.advance(25)
    scheduler.tick(driver)
    assert scheduler.placement.phase_of("a1") is SlotPhase.AWAITING_RESOLUTION
    # Reconciliation says the old task still runs: it is kept, nothing new is launched.
    scheduler.statusUpdate(driver, status(task, "TASK_RUNNING", "a1", with_uuid=False))
    assert scheduler.placement.phase_of("a1") is SlotPhase.ACTIVE
    assert len(driver.launched_tasks()) == 1


def test_inverse_offers_are_declined_through_pymesos_dispatch() -> None:
    """pymesos hands INVERSE_OFFERS to `inverseOffers`; the probe declines them (the polite
    answer for a framework that does not move work off draining machines)."""
    from pymesos import MesosSchedulerDriver

    scheduler, _, _ = make_scheduler()
    mesos_driver = MesosSchedulerDriver(scheduler, {"user": "u", "name": "n"}, "127.0.0.1:1")
    declined: list[Any] = []
    mesos_driver.declineInverseOffer = (
        lambda offer_ids, filters=None: declined.append(offer_ids)
    )
    inverse = {
        "id": {"value": "io-1"},
        "agent_id": {"value": "a1"},
        "framework_id": {"value": "fw-1"},
        "unavailability": {"start": {"nanoseconds": 1}},
    }
    mesos_driver.on_event(
        {"type": "INVERSE_OFFERS", "inverse_offers": {"inverse_offers": [inverse]}}
    )
    assert declined == [[{"value": "io-1"}]]
    mesos_driver.on_event(
        {
            "type": "RESCIND_INVERSE_OFFER",
            "rescind_inverse_offer": {"inverse_offer_id": {"value": "io-1"}},
        }
    )
    assert declined == [[{"value": "io-1"}]]
