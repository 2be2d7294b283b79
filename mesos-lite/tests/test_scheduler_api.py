"""Conformance checks 4-13, 17 and 18: the v1 scheduler API."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from mesos_http import (
    SchedulerSession,
    command_task,
    framework_info,
    new_uuid_b64,
    request,
    scalar,
)

from mesos_lite.testing import ExternalCluster as Cluster


def test_subscribe_stream_and_heartbeat(master_url: str) -> None:
    session = SchedulerSession(master_url)
    try:
        subscribed = session.subscribe()
        assert session.status == 200
        assert session.stream_id
        assert session.events[0]["type"] == "SUBSCRIBED"
        body = subscribed["subscribed"]
        assert body["framework_id"]["value"]
        interval = body["heartbeat_interval_seconds"]
        assert interval > 0
        assert "master_info" in body
        session.wait_for(lambda e: e["type"] == "HEARTBEAT", interval + 5)
    finally:
        session.teardown()


def test_framework_id_has_master_id_prefix(scheduler: SchedulerSession, cluster: Cluster) -> None:
    master_id = cluster.state()["id"]
    assert scheduler.framework_id is not None
    assert scheduler.framework_id.startswith(master_id + "-")


def test_offers_arrive_with_required_fields(scheduler: SchedulerSession, cluster: Cluster) -> None:
    offers = scheduler.next_offers(timeout=10, start=0)
    agent_ids = {a["id"] for a in cluster.active_agents()}
    for offer in offers:
        assert {"id", "framework_id", "agent_id", "hostname", "resources"} <= set(offer)
        assert offer["framework_id"]["value"] == scheduler.framework_id
        assert offer["agent_id"]["value"] in agent_ids
        names = {r["name"] for r in offer["resources"]}
        assert {"cpus", "mem"} <= names


def test_call_without_stream_id_is_400(scheduler: SchedulerSession) -> None:
    status, text = scheduler.call("REVIVE", {}, stream_id=None)
    assert status == 400, text


def test_call_with_wrong_stream_id_is_400(scheduler: SchedulerSession) -> None:
    status, text = scheduler.call("REVIVE", {}, stream_id=str(uuid.uuid4()))
    assert status == 400, text


def test_malformed_json_is_400(scheduler: SchedulerSession) -> None:
    assert scheduler.stream_id is not None
    status, _, body = request(
        scheduler.url,
        "POST",
        "/api/v1/scheduler",
        b"{not json",
        {"Content-Type": "application/json", "Mesos-Stream-Id": scheduler.stream_id},
    )
    assert status == 400, body


def test_unknown_call_type_is_400(scheduler: SchedulerSession) -> None:
    status, text = scheduler.call("NOT_A_CALL", {})
    assert status == 400, text


def test_unknown_framework_is_refused(master_url: str) -> None:
    session = SchedulerSession(master_url, framework_id=f"{uuid.uuid4()}-0000")
    session.stream_id = str(uuid.uuid4())
    status, text = session.call("REVIVE", {})
    assert status in (400, 403), text


def _launch_one(scheduler: SchedulerSession, command: str) -> tuple[str, int]:
    offer = scheduler.next_offers(start=0)[0]
    mark = scheduler.mark()
    spec = command_task(offer, command)
    status, text = scheduler.launch(offer, [spec])
    assert status == 202, text
    return spec["task_id"]["value"], mark


def test_command_task_lifecycle(scheduler: SchedulerSession) -> None:
    task_id, mark = _launch_one(scheduler, "true")
    final = scheduler.wait_update(
        task_id, {"TASK_FINISHED", "TASK_FAILED", "TASK_ERROR", "TASK_LOST"}, start=mark
    )
    assert final["state"] == "TASK_FINISHED", final
    updates = scheduler.updates_of(task_id, mark)
    states = [u["state"] for u in updates]
    assert states.index("TASK_RUNNING") < states.index("TASK_FINISHED")
    if "TASK_STARTING" in states:
        assert states.index("TASK_STARTING") < states.index("TASK_RUNNING")
    for update in updates:
        assert update["uuid"]
        assert update["agent_id"]["value"]
        assert update["source"] == "SOURCE_EXECUTOR"
        status, text = scheduler.acknowledge(update)
        assert status == 202, text


@pytest.mark.slow
def test_unacknowledged_update_is_resent(scheduler: SchedulerSession) -> None:
    task_id, mark = _launch_one(scheduler, "sleep 30")
    first = scheduler.wait_update(
        task_id, {"TASK_STARTING", "TASK_RUNNING"}, start=mark, acknowledge=False
    )
    index = scheduler.events.index(
        next(
            e
            for e in scheduler.events[mark:]
            if e["type"] == "UPDATE" and e["update"]["status"]["uuid"] == first["uuid"]
        )
    )
    again = scheduler.wait_for(
        lambda e: e["type"] == "UPDATE" and e["update"]["status"]["uuid"] == first["uuid"],
        timeout=25,
        start=index + 1,
    )
    assert again["update"]["status"]["state"] == first["state"]


def test_failing_command_is_task_failed(scheduler: SchedulerSession) -> None:
    task_id, mark = _launch_one(scheduler, "exit 3")
    final = scheduler.wait_update(task_id, {"TASK_FINISHED", "TASK_FAILED"}, start=mark)
    assert final["state"] == "TASK_FAILED"
    assert final["source"] == "SOURCE_EXECUTOR"
    assert "3" in final.get("message", "")


def test_launch_beyond_offer_is_task_error(scheduler: SchedulerSession, cluster: Cluster) -> None:
    offer = scheduler.next_offers(start=0)[0]
    offered_cpus = sum(r["scalar"]["value"] for r in offer["resources"] if r["name"] == "cpus")
    mark = scheduler.mark()
    spec = command_task(offer, "true", cpus=offered_cpus + 100)
    status, text = scheduler.launch(offer, [spec])
    assert status == 202, text
    task_id = spec["task_id"]["value"]
    final = scheduler.wait_update(
        task_id, {"TASK_ERROR", "TASK_RUNNING", "TASK_FINISHED"}, start=mark
    )
    assert final["state"] == "TASK_ERROR"
    assert final["reason"] == "REASON_TASK_INVALID"
    assert "uuid" not in final
    tasks = [t["id"] for f in cluster.state()["frameworks"] for t in f["tasks"]]
    assert task_id not in tasks


def test_launch_on_unknown_offer_is_lost_or_dropped(scheduler: SchedulerSession) -> None:
    offer = scheduler.next_offers(start=0)[0]
    fake = {**offer, "id": {"value": offer["id"]["value"] + "-bogus"}}
    mark = scheduler.mark()
    spec = command_task(offer, "true")
    status, text = scheduler.launch(fake, [spec])
    assert status == 202, text
    final = scheduler.wait_update(
        spec["task_id"]["value"], {"TASK_LOST", "TASK_DROPPED", "TASK_ERROR"}, start=mark
    )
    assert final["reason"] == "REASON_INVALID_OFFERS"


def test_decline_filters_then_revive(scheduler: SchedulerSession) -> None:
    offers = scheduler.next_offers(start=0)
    declined_agent = offers[0]["agent_id"]["value"]
    others = [o for o in offers if o["agent_id"]["value"] != declined_agent]
    scheduler.decline(offers[:1], refuse_seconds=30)
    if others:
        scheduler.decline(others, refuse_seconds=30)
    mark = scheduler.mark()
    time.sleep(3)
    again = [
        o
        for e in scheduler.events_since(mark, "OFFERS")
        for o in e["offers"]["offers"]
        if o["agent_id"]["value"] == declined_agent
    ]
    assert not again, "declined agent was offered again within refuse_seconds"
    status, text = scheduler.call("REVIVE", {})
    assert status == 202, text
    scheduler.next_offers(timeout=5, start=mark, agent_id=declined_agent)


def test_suppress_then_revive(scheduler: SchedulerSession) -> None:
    offers = scheduler.next_offers(start=0)
    status, text = scheduler.call("SUPPRESS", {})
    assert status == 202, text
    scheduler.decline(offers, refuse_seconds=0.1)
    mark = scheduler.mark()
    time.sleep(3)
    assert not scheduler.events_since(mark, "OFFERS"), "offers after SUPPRESS"
    status, text = scheduler.call("REVIVE", {})
    assert status == 202, text
    scheduler.next_offers(timeout=5, start=mark)


def test_kill_running_task(scheduler: SchedulerSession) -> None:
    task_id, mark = _launch_one(scheduler, "sleep 60")
    running = scheduler.wait_update(task_id, {"TASK_RUNNING"}, start=mark)
    status, text = scheduler.call(
        "KILL", {"task_id": {"value": task_id}, "agent_id": running["agent_id"]}
    )
    assert status == 202, text
    final = scheduler.wait_update(
        task_id, {"TASK_KILLED", "TASK_FINISHED", "TASK_FAILED"}, start=mark
    )
    assert final["state"] == "TASK_KILLED"


def test_explicit_reconcile(scheduler: SchedulerSession) -> None:
    task_id, mark = _launch_one(scheduler, "sleep 60")
    running = scheduler.wait_update(task_id, {"TASK_RUNNING"}, start=mark)
    unknown_id = f"unknown-{uuid.uuid4()}"
    mark = scheduler.mark()
    status, text = scheduler.call(
        "RECONCILE",
        {
            "tasks": [
                {"task_id": {"value": task_id}, "agent_id": running["agent_id"]},
                {"task_id": {"value": unknown_id}},
            ]
        },
    )
    assert status == 202, text
    known = scheduler.wait_update(task_id, {"TASK_RUNNING"}, start=mark, acknowledge=False)
    assert known["reason"] == "REASON_RECONCILIATION"
    assert "uuid" not in known
    lost = scheduler.wait_update(
        unknown_id, {"TASK_LOST", "TASK_UNKNOWN"}, start=mark, acknowledge=False
    )
    assert lost["reason"] == "REASON_RECONCILIATION"
    assert "uuid" not in lost


def test_implicit_reconcile_reports_running_tasks(scheduler: SchedulerSession) -> None:
    task_id, mark = _launch_one(scheduler, "sleep 60")
    scheduler.wait_update(task_id, {"TASK_RUNNING"}, start=mark)
    time.sleep(0.5)
    mark = scheduler.mark()
    status, text = scheduler.call("RECONCILE", {"tasks": []})
    assert status == 202, text
    update = scheduler.wait_update(task_id, {"TASK_RUNNING"}, start=mark, acknowledge=False)
    assert update["reason"] == "REASON_RECONCILIATION"


def test_partition_aware_reconcile_of_unknown_task(master_url: str) -> None:
    session = SchedulerSession(
        master_url,
        framework_info("conformance-partition-aware", capabilities=[{"type": "PARTITION_AWARE"}]),
    )
    session.subscribe()
    try:
        unknown_id = f"unknown-{uuid.uuid4()}"
        status, text = session.call("RECONCILE", {"tasks": [{"task_id": {"value": unknown_id}}]})
        assert status == 202, text
        update = session.wait_update(unknown_id, {"TASK_UNKNOWN", "TASK_LOST"}, acknowledge=False)
        assert update["state"] == "TASK_UNKNOWN"
    finally:
        session.teardown()


def test_teardown_completes_framework_and_kills_tasks(master_url: str, cluster: Cluster) -> None:
    session = SchedulerSession(master_url, framework_info("conformance-teardown"))
    session.subscribe()
    task_id, mark = _launch_one(session, "sleep 60")
    session.wait_update(task_id, {"TASK_RUNNING"}, start=mark)
    status, text = session.call("TEARDOWN")
    assert status == 202, text
    session.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = cluster.state()
        completed = [f for f in state["completed_frameworks"] if f["id"] == session.framework_id]
        if completed:
            break
        time.sleep(0.2)
    assert completed, "framework not in completed_frameworks"
    assert session.framework_id not in [f["id"] for f in state["frameworks"]]
    finished = completed[0]["completed_tasks"] + completed[0]["tasks"]
    states = {t["id"]: t["state"] for t in finished}
    assert states.get(task_id) == "TASK_KILLED", states


def test_resubscribe_within_failover_timeout(master_url: str) -> None:
    session = SchedulerSession(
        master_url, framework_info("conformance-failover", failover_timeout=60.0)
    )
    session.subscribe()
    task_id, mark = _launch_one(session, "sleep 60")
    session.wait_update(task_id, {"TASK_RUNNING"}, start=mark)
    framework_id = session.framework_id
    session.close()
    time.sleep(1)
    again = SchedulerSession(master_url, session.info, framework_id=framework_id)
    try:
        subscribed = again.subscribe()
        assert subscribed["subscribed"]["framework_id"]["value"] == framework_id
        status, text = again.call("RECONCILE", {"tasks": [{"task_id": {"value": task_id}}]})
        assert status == 202, text
        update = again.wait_update(
            task_id,
            {"TASK_RUNNING", "TASK_FINISHED", "TASK_LOST", "TASK_KILLED", "TASK_FAILED"},
            acknowledge=False,
        )
        assert update["state"] == "TASK_RUNNING"
    finally:
        again.teardown()


def test_framework_message_to_unknown_executor_is_accepted(
    scheduler: SchedulerSession, cluster: Cluster
) -> None:
    agent = cluster.active_agents()[0]
    status, text = scheduler.call(
        "MESSAGE",
        {
            "agent_id": {"value": agent["id"]},
            "executor_id": {"value": "nobody"},
            "data": "aGVsbG8=",
        },
    )
    assert status == 202, text


def test_acknowledge_with_invalid_uuid_is_400(
    scheduler: SchedulerSession, cluster: Cluster
) -> None:
    agent = cluster.active_agents()[0]
    status, text = scheduler.call(
        "ACKNOWLEDGE",
        {"agent_id": {"value": agent["id"]}, "task_id": {"value": "t"}, "uuid": "bm90LWEtdXVpZA=="},
    )
    assert status == 400, text
    status, text = scheduler.call(
        "ACKNOWLEDGE",
        {"agent_id": {"value": agent["id"]}, "task_id": {"value": "t"}, "uuid": new_uuid_b64()},
    )
    assert status == 202, text


def test_subscribe_without_framework_info_is_400(master_url: str) -> None:
    status, _, body = request(
        master_url,
        "POST",
        "/api/v1/scheduler",
        json.dumps({"type": "SUBSCRIBE", "subscribe": {}}),
        {"Content-Type": "application/json"},
    )
    assert status == 400, body


def test_scalar_helper_is_protobuf_json() -> None:
    assert scalar("cpus", 1.5) == {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.5}}


def test_declined_resources_go_to_another_framework(master_url: str) -> None:
    """As in Mesos, an agent's resources are offered whole to one framework at a time; once
    declined (with a filter) they are offered to the other framework."""
    first = SchedulerSession(master_url, framework_info("fair-1"))
    second = SchedulerSession(master_url, framework_info("fair-2"))
    try:
        first.subscribe()
        offers = first.next_offers(start=0)
        second.subscribe()
        first.decline(offers, refuse_seconds=30)
        declined = {o["agent_id"]["value"] for o in offers}
        seen: set[str] = set()
        deadline = time.monotonic() + 10
        while not declined <= seen and time.monotonic() < deadline:
            seen = {
                o["agent_id"]["value"]
                for e in second.events_since(0, "OFFERS")
                for o in e["offers"]["offers"]
            }
            time.sleep(0.1)
        assert declined <= seen
    finally:
        first.teardown()
        second.teardown()


def test_an_operation_without_type_is_ignored_as_mesos_does(scheduler: SchedulerSession) -> None:
    """Master::accept logs "Ignoring unknown operation" for an operation whose type is unset
    (UNKNOWN): the ACCEPT is taken (202), nothing is launched."""
    offer = scheduler.next_offers(start=0)[0]
    mark = scheduler.mark()
    spec = command_task(offer, "true")
    status, text = scheduler.call(
        "ACCEPT",
        {"offer_ids": [offer["id"]], "operations": [{"launch": {"task_infos": [spec]}}]},
    )
    assert status == 202, text
    time.sleep(1.0)
    assert scheduler.updates_of(spec["task_id"]["value"], mark) == []
