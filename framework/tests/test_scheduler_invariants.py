"""Whatever order offers, updates, rescinds and failovers come in, no agent ever holds two
live tasks of a run, and no agent gets more than --max-attempts tasks."""

from __future__ import annotations

from collections import Counter

from fakes import FakeClock, FakeDriver, new_scheduler, offer, plan, status
from hypothesis import given, settings
from hypothesis import strategies as st

from mesos_probe.scheduler_host.task_states import FAILED_STATES, FINISHED, KNOWN_STATES

AGENTS = ["a0", "a1", "a2", "a3", "a4"]
STATES = sorted(KNOWN_STATES)

events = st.lists(
    st.one_of(
        st.tuples(st.just("offers"), st.lists(st.sampled_from(AGENTS), min_size=1, max_size=6)),
        st.tuples(st.just("status"), st.integers(0, 30), st.sampled_from(STATES), st.booleans()),
        st.tuples(st.just("rescind"), st.integers(0, 30)),
        st.tuples(st.just("failover"), st.booleans()),
        st.tuples(st.just("tick"), st.floats(0, 20)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(events=events, expected=st.integers(1, 4), max_attempts=st.integers(1, 3))
def test_never_two_live_tasks_on_one_agent(
    events: list[tuple], expected: int, max_attempts: int
) -> None:
    clock = FakeClock()
    scheduler = new_scheduler(plan(max_attempts=max_attempts), "r", expected, clock)
    driver = FakeDriver()
    scheduler.registered(driver, {"value": "fw"}, {})
    dead: set[str] = set()  # tasks that got a definitive end (they can never run again)

    for event in events:
        launched = driver.launched_tasks()
        if event[0] == "offers":
            scheduler.resourceOffers(driver, [offer(agent) for agent in event[1]])
        elif event[0] == "status" and launched:
            task = launched[event[1] % len(launched)]
            task_id, agent = task["task_id"]["value"], task["agent_id"]["value"]
            if task_id in dead:
                continue  # Mesos never reports a task again after TASK_FINISHED/FAILED/GONE...
            scheduler.statusUpdate(driver, status(task_id, event[2], agent, with_uuid=event[3]))
            if event[2] == FINISHED or event[2] in FAILED_STATES:
                dead.add(task_id)
        elif event[0] == "rescind":
            scheduler.offerRescinded(driver, {"value": f"offer-{event[1]}"})
        elif event[0] == "failover":
            scheduler.disconnected(driver)
            if event[1]:
                scheduler.reregistered(driver, {})
        elif event[0] == "tick":
            clock.advance(event[1])
            scheduler.tick(driver)

        launched = driver.launched_tasks()
        live = Counter(
            t["agent_id"]["value"] for t in launched if t["task_id"]["value"] not in dead
        )
        assert max(live.values(), default=0) <= 1, live
        per_agent = Counter(t["agent_id"]["value"] for t in launched)
        assert max(per_agent.values(), default=0) <= max_attempts
        assert len(per_agent) <= expected
        assert len({t["task_id"]["value"] for t in launched}) == len(launched)
