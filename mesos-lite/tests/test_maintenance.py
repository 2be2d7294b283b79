"""Maintenance primitives as Apache Mesos 1.11 has them, against a loopback master and agents:
the schedule and status round trip, Mesos's 400s for bad schedules, ACLs on the maintenance
calls, unavailability in offers, inverse offers and the frameworks' answers in the status, and
START/STOP_MAINTENANCE removing, refusing and readmitting agents."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mesos_http import SchedulerSession, command_task, framework_info, request
from operator_client import OperatorClient, secured_cluster

from mesos_lite.testing import LoopbackCluster
from mesos_lite.testing.network import wait_until

pytestmark = pytest.mark.usefixtures("local_only")

SECRETS = {"ops": "ops-Secret-1", "intruder": "intruder-Secret-2"}
OPS_ONLY = [
    {"principals": {"values": ["ops"]}, "machines": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "machines": {"type": "NONE"}},
]
ACLS = {
    "update_maintenance_schedules": OPS_ONLY,
    "start_maintenances": OPS_ONLY,
    "stop_maintenances": OPS_ONLY,
    "get_maintenance_statuses": OPS_ONLY,
    "get_maintenance_schedules": OPS_ONLY,
}
START = {"nanoseconds": int(time.time() * 1e9) + 3600 * 10**9}
HOUR = {"nanoseconds": 3600 * 10**9}


def machine(index: int) -> dict[str, str]:
    return {"hostname": f"agent{index}.test", "ip": "127.0.0.1"}


def window(*machines: dict[str, str], duration: dict[str, int] = HOUR) -> dict[str, Any]:
    return {"machine_ids": list(machines), "unavailability": {"start": START, "duration": duration}}


class Operator(OperatorClient):
    def __init__(self, master_url: str, principal: str | None = "ops") -> None:
        super().__init__(master_url, (principal, SECRETS[principal]) if principal else None)

    def schedule(self, *windows: dict[str, Any]) -> tuple[int, bytes]:
        return self.call("UPDATE_MAINTENANCE_SCHEDULE", {"schedule": {"windows": list(windows)}})


def maintenance_cluster(directory: Path) -> LoopbackCluster:
    return secured_cluster(directory, 2, SECRETS, ACLS)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    lite = maintenance_cluster(tmp_path_factory.mktemp("maintenance"))
    try:
        yield lite
    finally:
        lite.close()


@pytest.fixture
def ops(cluster: LoopbackCluster) -> Iterator[Operator]:
    operator = Operator(cluster.master_url)
    try:
        yield operator
    finally:
        assert operator.schedule() == (200, b"")


def test_schedule_and_status_round_trip(ops: Operator) -> None:
    sent = {"windows": [window(machine(0)), window(machine(1), duration={"nanoseconds": 10})]}
    assert ops.call("UPDATE_MAINTENANCE_SCHEDULE", {"schedule": sent}) == (200, b"")
    assert ops.query("GET_MAINTENANCE_SCHEDULE") == {"schedule": sent}
    status = ops.query("GET_MAINTENANCE_STATUS")["status"]
    assert [m["id"] for m in status["draining_machines"]] == [machine(0), machine(1)]
    assert "down_machines" not in status
    # Hostnames are not case-sensitive: the same machine (as first named), not a second one.
    upper = {**machine(0), "hostname": "AGENT0.test"}
    assert ops.schedule(window(upper)) == (200, b"")
    status = ops.query("GET_MAINTENANCE_STATUS")["status"]
    assert [m["id"] for m in status["draining_machines"]] == [machine(0)]
    # An empty schedule puts every machine back UP.
    assert ops.schedule() == (200, b"")
    assert ops.query("GET_MAINTENANCE_SCHEDULE") == {"schedule": {}}
    assert ops.query("GET_MAINTENANCE_STATUS") == {"status": {}}


BAD_SCHEDULES = [
    ([{"machine_ids": [], "unavailability": {"start": START}}],
     "List of machines in the maintenance window is empty"),
    ([window({"hostname": "", "ip": ""})], "Both 'hostname' and 'ip' for a machine are empty"),
    ([window({"ip": "300.1.2.3"})], "Failed to parse IPv4: 300.1.2.3"),
    ([window({"hostname": "h", "ip": "::1"})], "Failed to parse IPv4: ::1"),
    ([window(machine(0)), window({"hostname": "AGENT0.TEST", "ip": "127.0.0.1"})],
     'Machine \'{"hostname":"AGENT0.TEST","ip":"127.0.0.1"}\' appears more than once in the '
     "schedule"),
    ([window(machine(0), duration={"nanoseconds": -1})], "Unavailability 'duration' is negative"),
    ([{"machine_ids": [machine(0)]}],
     "Failed to convert JSON into Call protobuf: Missing required fields: "
     "update_maintenance_schedule.schedule.windows[0].unavailability"),
    ([{"machine_ids": "agent0", "unavailability": {"start": START}}],
     "Failed to convert JSON into Call protobuf: Not expecting a JSON string for field "
     "'machine_ids'"),
]


@pytest.mark.parametrize(("windows", "message"), BAD_SCHEDULES)
def test_bad_schedules_are_refused_with_mesos_text(
    ops: Operator, windows: list[dict[str, Any]], message: str
) -> None:
    status, text = ops.call("UPDATE_MAINTENANCE_SCHEDULE", {"schedule": {"windows": windows}})
    assert (status, text.decode()) == (400, message)
    assert ops.query("GET_MAINTENANCE_SCHEDULE") == {"schedule": {}}


def test_maintenance_calls_need_their_acls(cluster: LoopbackCluster, ops: Operator) -> None:
    intruder = Operator(cluster.master_url, "intruder")
    assert intruder.schedule(window(machine(0))) == (403, b"")
    assert Operator(cluster.master_url, None).schedule(window(machine(0)))[0] == 401
    # A bad schedule is a 400 before the principal is looked at, as in Mesos.
    assert intruder.schedule(window({"ip": "x"})) == (400, b"Failed to parse IPv4: x")
    assert ops.schedule(window(machine(0))) == (200, b"")
    # The intruder sees nothing of it.
    assert intruder.query("GET_MAINTENANCE_SCHEDULE") == {"schedule": {}}
    assert intruder.query("GET_MAINTENANCE_STATUS") == {"status": {}}
    assert intruder.call("START_MAINTENANCE", {"machines": [machine(0)]}) == (403, b"")
    assert ops.query("GET_MAINTENANCE_STATUS")["status"]["draining_machines"] == [
        {"id": machine(0)}
    ]


def test_start_and_stop_need_scheduled_machines(ops: Operator) -> None:
    unknown = {"hostname": "elsewhere", "ip": "10.1.1.1"}
    assert ops.call("START_MAINTENANCE", {"machines": [unknown]}) == (
        400,
        b'Machine \'{"hostname":"elsewhere","ip":"10.1.1.1"}\' is not part of a maintenance '
        b"schedule",
    )
    # A machine with an agent but no schedule is UP: it cannot go DOWN directly.
    assert ops.call("START_MAINTENANCE", {"machines": [machine(0)]}) == (
        400,
        b'Machine \'{"hostname":"agent0.test","ip":"127.0.0.1"}\' is not in DRAINING mode and '
        b"cannot be brought down",
    )
    assert ops.call("START_MAINTENANCE", {"machines": []}) == (400, b"List of machines is empty")
    assert ops.schedule(window(machine(0))) == (200, b"")
    assert ops.call("STOP_MAINTENANCE", {"machines": [machine(0)]}) == (
        400,
        b'Machine \'{"hostname":"agent0.test","ip":"127.0.0.1"}\' is not in DOWN mode and '
        b"cannot be brought up",
    )


def agent_id_on(cluster: LoopbackCluster, index: int) -> str:
    return next(
        a["id"] for a in cluster.state()["slaves"] if a["hostname"] == f"agent{index}.test"
    )


def test_inverse_offers_reach_the_framework_and_its_answers_show(
    cluster: LoopbackCluster, ops: Operator
) -> None:
    agent_id = agent_id_on(cluster, 1)
    framework = SchedulerSession(cluster.master_url, framework_info("maintenance-io"))
    framework.subscribe()
    try:
        framework.next_offers(start=0, agent_id=agent_id)  # held: resources offered on agent1
        mark = framework.mark()
        assert ops.schedule(window(machine(1))) == (200, b"")
        # Its offers are rescinded and made again with the unavailability.
        offers = framework.next_offers(start=mark, agent_id=agent_id)
        on_agent = [o for o in offers if o["agent_id"]["value"] == agent_id]
        assert on_agent[0]["unavailability"] == window(machine(1))["unavailability"]
        event = framework.wait_for(lambda e: e["type"] == "INVERSE_OFFERS", start=mark)
        (inverse,) = event["inverse_offers"]["inverse_offers"]
        assert inverse["agent_id"]["value"] == agent_id
        assert inverse["framework_id"]["value"] == framework.framework_id
        assert inverse["unavailability"] == window(machine(1))["unavailability"]

        mark = framework.mark()
        status, text = framework.call(
            "DECLINE_INVERSE_OFFERS",
            {"inverse_offer_ids": [inverse["id"]], "filters": {"refuse_seconds": 0.3}},
        )
        assert status == 202, text
        draining = ops.query("GET_MAINTENANCE_STATUS")["status"]["draining_machines"]
        (answer,) = draining[0]["statuses"]
        assert answer["status"] == "DECLINE"
        assert answer["framework_id"]["value"] == framework.framework_id
        # Once the filter expires, a new inverse offer; accepting it shows too.
        event = framework.wait_for(lambda e: e["type"] == "INVERSE_OFFERS", start=mark)
        (inverse,) = event["inverse_offers"]["inverse_offers"]
        accept = {"inverse_offer_ids": [inverse["id"]]}
        status, text = framework.call("ACCEPT_INVERSE_OFFERS", accept)
        assert status == 202, text
        draining = ops.query("GET_MAINTENANCE_STATUS")["status"]["draining_machines"]
        assert [s["status"] for s in draining[0]["statuses"]] == ["ACCEPT"]

        # A new window rescinds the outstanding inverse offer and forgets the answers.
        mark = framework.mark()
        assert ops.schedule(window(machine(1), duration={"nanoseconds": 5})) == (200, b"")
        assert "statuses" not in ops.query("GET_MAINTENANCE_STATUS")["status"][
            "draining_machines"
        ][0]
        event = framework.wait_for(lambda e: e["type"] == "INVERSE_OFFERS", start=mark)
        (inverse,) = event["inverse_offers"]["inverse_offers"]
        assert inverse["unavailability"]["duration"] == {"nanoseconds": 5}
        mark = framework.mark()
        assert ops.schedule() == (200, b"")
        framework.wait_for(
            lambda e: e["type"] == "RESCIND_INVERSE_OFFER"
            and e["rescind_inverse_offer"]["inverse_offer_id"] == inverse["id"],
            start=mark,
        )
    finally:
        framework.teardown()


@pytest.fixture
def doomed(tmp_path: Path) -> Iterator[LoopbackCluster]:
    """Its own cluster: START_MAINTENANCE shuts an agent down."""
    lite = maintenance_cluster(tmp_path)
    try:
        yield lite
    finally:
        lite.close()


def test_start_maintenance_removes_agents_and_stop_readmits(doomed: LoopbackCluster) -> None:
    ops = Operator(doomed.master_url)
    agent_id = agent_id_on(doomed, 1)
    framework = SchedulerSession(doomed.master_url, framework_info("maintenance-down"))
    framework.subscribe()
    try:
        offers = framework.next_offers(start=0, agent_id=agent_id)
        offer = next(o for o in offers if o["agent_id"]["value"] == agent_id)
        task = command_task(offer, "sleep 60", "doomed-task")
        assert framework.launch(offer, [task])[0] == 202
        framework.wait_update("doomed-task", {"TASK_RUNNING"})
        assert ops.schedule(window(machine(1))) == (200, b"")
        mark = framework.mark()
        assert ops.call("START_MAINTENANCE", {"machines": [machine(1)]}) == (200, b"")

        lost = framework.wait_update("doomed-task", {"TASK_LOST"}, start=mark)
        assert lost["reason"] == "REASON_SLAVE_REMOVED"
        assert lost["message"] == "Operator initiated 'Machine DOWN'"
        framework.wait_for(
            lambda e: e["type"] == "FAILURE" and e["failure"]["agent_id"]["value"] == agent_id,
            start=mark,
        )
        assert agent_id not in [a["id"] for a in doomed.state()["slaves"]]
        # The agent was told to shut down: it exits, its task with it.
        wait_until(lambda: not doomed.agent_daemons[1].alive(), 20, "agent1 to exit")
        assert doomed.agent_daemons[1].process.returncode == 0
        status = ops.query("GET_MAINTENANCE_STATUS")["status"]
        assert status == {"down_machines": [machine(1)]}
        assert ops.schedule() == (
            400,
            b'Machine \'{"hostname":"agent1.test","ip":"127.0.0.1"}\' is deactivated and cannot '
            b"be removed from the schedule",
        )
        # Shut down by the master, the agent forgot its id (Mesos removes meta/slaves/latest);
        # while DOWN, the agent (restarted afresh, on another port) is refused and told to
        # shut down again.
        assert not (doomed.agent_work_dir(1) / "meta" / "slaves" / "latest").exists()
        doomed.start_agent(1)
        wait_until(lambda: not doomed.agent_daemons[2].alive(), 20, "refused agent1 to exit")
        assert "because 'Machine is `DOWN`'" in doomed.log("agent1")
        assert len(doomed.active_agents()) == 1

        assert ops.call("STOP_MAINTENANCE", {"machines": [machine(1)]}) == (200, b"")
        assert ops.query("GET_MAINTENANCE_STATUS") == {"status": {}}
        assert ops.query("GET_MAINTENANCE_SCHEDULE") == {"schedule": {}}
        doomed.start_agent(1)
        doomed.wait_for_agents(2)
    finally:
        framework.teardown()


def test_v0_maintenance_endpoints_run_the_v1_calls(ops: Operator) -> None:
    """/master/maintenance/schedule (GET, POST a Schedule), /master/maintenance/status,
    /master/machine/down and /master/machine/up (POST an array of MachineID), as Mesos's
    handlers answer them: the same checks and ACLs as the v1 calls."""
    url, headers = ops.url, {**ops.headers, "Content-Type": "application/json"}
    sent = {"windows": [window(machine(0))]}
    assert request(url, "POST", "/master/maintenance/schedule", json.dumps(sent), headers)[
        ::2
    ] == (200, b"")
    status, _, text = request(url, "GET", "/maintenance/schedule", None, ops.headers)
    assert (status, json.loads(text)) == (200, sent)
    # /maintenance/status is in the read-only realm, which this master does not authenticate:
    # no principal, and the get_maintenance_statuses ACL lets it see no machine.
    status, _, text = request(url, "GET", "/master/maintenance/status", None, ops.headers)
    assert (status, json.loads(text)) == (200, {})
    draining = ops.query("GET_MAINTENANCE_STATUS")["status"]["draining_machines"]
    assert [m["id"] for m in draining] == [machine(0)]
    # Up for a machine that is not down: the v1 call's own check.
    status, _, text = request(url, "POST", "/master/machine/up", json.dumps([machine(0)]), headers)
    assert status == 400, text
    assert request(url, "POST", "/master/machine/down", "{}", headers)[0] == 400
    assert request(url, "GET", "/master/machine/down", None, ops.headers)[0] == 405
    missing = json.dumps({"windows": [{"machine_ids": [machine(1)]}]})
    status, _, text = request(url, "POST", "/master/maintenance/schedule", missing, headers)
    assert status == 400
    assert b"unavailability" in text
    intruder = Operator(url, "intruder")
    intruder_headers = {**intruder.headers, "Content-Type": "application/json"}
    status, _, _ = request(url, "POST", "/master/maintenance/schedule", json.dumps(sent),
                           intruder_headers)
    assert status == 403
