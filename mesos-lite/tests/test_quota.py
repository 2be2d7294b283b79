"""Quota and weights as Apache Mesos 1.11 has them, against a loopback master and agents:
UPDATE_QUOTA and GET_QUOTA (with the deprecated SET_QUOTA/REMOVE_QUOTA), GET/UPDATE_WEIGHTS,
Mesos's 400s, the `update_quotas`, `get_quotas` and `update_weights` ACLs, limits holding in
the offers a role gets, and quota and weights kept across a master restart (registry)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mesos_http import SchedulerSession, framework_info, request
from operator_client import OperatorClient, secured_cluster
from schema_strategies import valid_message

from mesos_lite.testing import LoopbackCluster, start_master
from mesos_lite.testing.network import wait_until

pytestmark = pytest.mark.usefixtures("local_only")

SECRETS = {"ops": "ops-Secret-1", "intruder": "intruder-Secret-2"}
ACLS = {
    "update_quotas": [
        {"principals": {"values": ["ops"]}, "roles": {"type": "ANY"}},
        {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}},
    ],
    "update_weights": [
        {"principals": {"values": ["ops"]}, "roles": {"type": "ANY"}},
        {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}},
    ],
    "get_quotas": [
        {"principals": {"values": ["ops"]}, "roles": {"type": "ANY"}},
        {"principals": {"values": ["intruder"]}, "roles": {"values": ["visible"]}},
        {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}},
    ],
}


def quantities(**values: float) -> dict[str, Any]:
    return {name: {"value": value} for name, value in values.items()}


def config(role: str, guarantees: dict[str, Any] | None = None, **limits: float) -> dict[str, Any]:
    body: dict[str, Any] = {"role": role, "limits": quantities(**limits)}
    if guarantees:
        body["guarantees"] = guarantees
    return body


class Operator(OperatorClient):
    def __init__(self, master_url: str, principal: str) -> None:
        super().__init__(master_url, (principal, SECRETS[principal]))

    def update(self, *configs: dict[str, Any], force: bool = False) -> tuple[int, bytes]:
        return self.call("UPDATE_QUOTA", {"force": force, "quota_configs": list(configs)})

    def quota(self) -> dict[str, Any]:
        status: dict[str, Any] = self.query("GET_QUOTA")["status"]
        return status


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    directory = tmp_path_factory.mktemp("quota")
    lite = secured_cluster(directory, 2, SECRETS, ACLS, "--registry=replicated_log")
    try:
        yield lite
    finally:
        lite.close()


@pytest.fixture
def ops(cluster: LoopbackCluster) -> Iterator[Operator]:
    operator = Operator(cluster.master_url, "ops")
    try:
        yield operator
    finally:
        roles = [c["role"] for c in operator.quota().get("configs", [])]
        assert operator.update(*(config(r) for r in roles)) == (200, b"")


def test_update_and_get_quota(ops: Operator) -> None:
    limited = config("limited", quantities(cpus=0.5), cpus=1, mem=512)
    assert ops.update(limited) == (200, b"")
    assert ops.quota() == {
        "infos": [
            {"role": "limited", "guarantee": [{"name": "cpus", "type": "SCALAR",
                                               "scalar": {"value": 0.5}}]}
        ],
        "configs": [limited],
    }
    # A config without guarantees or limits is the default quota: the role has none left.
    assert ops.update(config("limited")) == (200, b"")
    assert ops.quota() == {}


BAD_CONFIGS = [
    (config("r", quantities(cpus=2), cpus=1),
     "Invalid QuotaConfig: 'QuotaConfig.guarantees' cpus:2 is not contained within the "
     "'QuotaConfig.limits' cpus:1"),
    (config("r", quantities(cpus=-1)),
     "Invalid QuotaConfig: Invalid guarantee configuration {'cpus': -1}: Negative values not "
     "supported"),
    (config("r", mem=2e12),
     "Invalid QuotaConfig: Invalid 'QuotaConfig.limits': {'mem': 2000000000000} is invalid: "
     "values greater than 1 exabyte (1099511627776) are not supported"),
    (config("a/b", cpus=1), "Updating quota on nested role 'a/b' is not supported yet"),
    (config("-r", cpus=1),
     "Invalid QuotaConfig: Invalid 'QuotaConfig.role': Role component '-r' is invalid because "
     "it starts with a dash"),
    ({"limits": quantities(cpus=1)},
     "Failed to convert JSON into Call protobuf: Missing required fields: "
     "update_quota.quota_configs[0].role"),
    ({"role": "r", "limits": {"cpus": 1}},
     "Failed to convert JSON into Call protobuf: Not expecting a JSON number for field 'limits'"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_CONFIGS)
def test_bad_quota_configs_get_mesos_text(ops: Operator, bad: dict[str, Any], message: str) -> None:
    status, text = ops.update(bad)
    assert (status, text.decode()) == (400, message)
    assert ops.quota() == {}


def test_guarantees_beyond_capacity_need_force(ops: Operator) -> None:
    huge = config("big", quantities(cpus=100), cpus=100)
    assert ops.update(huge) == (
        400,
        b"Invalid QuotaConfig: total quota guarantees 'cpus:100' exceed cluster capacity "
        b"'cpus:4; disk:2048; mem:2048' (use 'force' flag to bypass this check)",
    )
    assert ops.update(huge, force=True) == (200, b"")
    assert [c["role"] for c in ops.quota()["configs"]] == ["big"]


def test_quota_calls_need_their_acls(cluster: LoopbackCluster, ops: Operator) -> None:
    intruder = Operator(cluster.master_url, "intruder")
    assert intruder.update(config("visible", cpus=1)) == (403, b"")
    assert ops.update(config("visible", cpus=1), config("hidden", cpus=2)) == (200, b"")
    # GET_QUOTA shows a principal only the roles get_quotas lets it see.
    visible = {"infos": [{"role": "visible"}], "configs": [config("visible", cpus=1)]}
    assert intruder.quota() == visible
    assert [c["role"] for c in ops.quota()["configs"]] == ["visible", "hidden"]
    assert intruder.call("REMOVE_QUOTA", {"role": "visible"}) == (403, b"")


def test_deprecated_set_and_remove_quota(ops: Operator) -> None:
    request = {"role": "old", "guarantee": [{"name": "cpus", "type": "SCALAR",
                                              "scalar": {"value": 1}}]}
    assert ops.call("SET_QUOTA", {"quota_request": request}) == (200, b"")
    assert ops.quota()["configs"] == [config("old", quantities(cpus=1), cpus=1)]
    assert ops.call("SET_QUOTA", {"quota_request": request}) == (
        400,
        b"Failed to validate set quota request: Cannot set quota for role 'old' which already "
        b"has quota",
    )
    assert ops.call("SET_QUOTA", {"quota_request": {"role": "x", "guarantee": []}}) == (
        400,
        b"Failed to validate set quota request: QuotaInfo with empty 'guarantee'",
    )
    too_much = {"role": "x", "guarantee": [{"name": "mem", "type": "SCALAR",
                                            "scalar": {"value": 10**6}}]}
    status, text = ops.call("SET_QUOTA", {"quota_request": too_much})
    assert status == 409, text
    assert text.startswith(b"Quota guarantees overcommit the cluster (use 'force' to bypass")
    assert ops.call("REMOVE_QUOTA", {"role": "old"}) == (200, b"")
    assert ops.call("REMOVE_QUOTA", {"role": "old"}) == (
        400,
        b"Failed to remove quota: Role 'old' has no quota set",
    )
    assert ops.quota() == {}


def offered_cpus(framework: SchedulerSession) -> float:
    """The cpus of the framework's outstanding offers (it never answers them)."""
    offered: dict[str, float] = {}
    for event in framework.events_since(0, "OFFERS"):
        for offer in event["offers"]["offers"]:
            offered[offer["id"]["value"]] = sum(
                r["scalar"]["value"] for r in offer["resources"] if r["name"] == "cpus"
            )
    for event in framework.events_since(0, "RESCIND"):
        offered.pop(event["rescind"]["offer_id"]["value"], None)
    return sum(offered.values())


def test_a_role_is_never_offered_beyond_its_limit(cluster: LoopbackCluster, ops: Operator) -> None:
    assert ops.update(config("capped", cpus=1.5)) == (200, b"")
    framework = SchedulerSession(cluster.master_url, framework_info("capped", roles=["capped"],
                                 capabilities=[{"type": "MULTI_ROLE"}]))
    framework.subscribe()
    try:
        framework.next_offers(start=0)
        time.sleep(1.0)  # several allocation rounds (100ms each)
        assert offered_cpus(framework) == pytest.approx(1.5)
        # Lowering the limit rescinds offers down to it.
        assert ops.update(config("capped", cpus=0.5)) == (200, b"")
        time.sleep(1.0)
        assert offered_cpus(framework) <= 0.5 + 1e-9
        # Without quota the role gets the cluster.
        assert ops.update(config("capped")) == (200, b"")
        time.sleep(1.0)
        assert offered_cpus(framework) == pytest.approx(4)
    finally:
        framework.teardown()


def weight(role: str, value: float) -> dict[str, Any]:
    return {"weight": value, "role": role}


def test_update_and_get_weights(cluster: LoopbackCluster, ops: Operator) -> None:
    assert ops.call("UPDATE_WEIGHTS", {"weight_infos": [weight("heavy", 2.5)]}) == (200, b"")
    status, text = ops.call("GET_WEIGHTS")
    assert status == 200
    assert weight("heavy", 2.5) in json.loads(text)["get_weights"]["weight_infos"]
    status, text = ops.call("GET_ROLES")
    roles = json.loads(text)["get_roles"]["roles"]
    assert {"name": "heavy", "weight": 2.5, "frameworks": []} in roles
    assert ops.call("UPDATE_WEIGHTS", {"weight_infos": [weight("heavy", 0)]}) == (
        400,
        b"Failed to validate update weights request JSON for role 'heavy': Invalid weight '0': "
        b"Weights must be positive",
    )
    assert ops.call("UPDATE_WEIGHTS", {"weight_infos": [weight("..", 1)]}) == (
        400,
        b"Failed to validate update weights request JSON: Invalid role '..': Role '..' cannot "
        b"include '..' as a path component",
    )
    intruder = Operator(cluster.master_url, "intruder")
    assert intruder.call("UPDATE_WEIGHTS", {"weight_infos": [weight("heavy", 1)]}) == (403, b"")


def test_quota_and_weights_survive_a_master_restart(
    cluster: LoopbackCluster, ops: Operator
) -> None:
    kept = config("kept", quantities(mem=64), mem=128)
    assert ops.update(kept) == (200, b"")
    assert ops.call("UPDATE_WEIGHTS", {"weight_infos": [weight("kept", 3)]}) == (200, b"")
    # The maintenance schedule is kept by the same registry.
    schedule = {
        "windows": [
            {
                "machine_ids": [{"hostname": "agent0.test", "ip": "127.0.0.1"}],
                "unavailability": {"start": {"nanoseconds": 10**18}},
            }
        ]
    }
    update = {"schedule": schedule}
    assert ops.call("UPDATE_MAINTENANCE_SCHEDULE", update) == (200, b"")
    assert cluster.master_daemon is not None
    cluster.master_daemon.stop()
    cluster.master_daemon, _ = start_master(
        cluster.workdir, *cluster.master_flags, port=cluster.master_port, name="master"
    )
    assert ops.quota()["configs"] == [kept]
    status, text = ops.call("GET_WEIGHTS")
    assert status == 200, text
    assert weight("kept", 3) in json.loads(text)["get_weights"]["weight_infos"]
    status, text = ops.call("GET_MAINTENANCE_SCHEDULE")
    assert json.loads(text)["get_maintenance_schedule"] == update
    assert ops.call("UPDATE_MAINTENANCE_SCHEDULE", {"schedule": {}}) == (200, b"")
    cluster.wait_for_agents(2)


def test_a_malformed_quota_section_fails_recovery(tmp_path: Path) -> None:
    """A registry whose quota section is not QuotaConfigs is corrupt: the master exits with
    the reason, as on any registry it cannot recover, rather than leading without it."""
    work_dir = tmp_path / "master"
    work_dir.mkdir()
    (work_dir / "registry").write_text(json.dumps({"quota_configs": [{"limits": 5}]}))
    master, _ = start_master(tmp_path, "--registry=replicated_log", wait=False)
    try:
        wait_until(lambda: not master.alive(), 20, "the master to exit")
        assert "Recovery failed: malformed registry section" in master.output()
    finally:
        master.stop()


def test_guarantees_are_held_back_from_other_roles(cluster: LoopbackCluster, ops: Operator) -> None:
    """Unsatisfied guarantees keep their share of the unallocated resources from other roles
    (Mesos's required headroom), and the guaranteed role gets them when it comes."""
    assert ops.update(config("guaranteed", quantities(cpus=3))) == (200, b"")

    def subscribed(role: str) -> SchedulerSession:
        info = framework_info(role, roles=[role], capabilities=[{"type": "MULTI_ROLE"}])
        framework = SchedulerSession(cluster.master_url, info)
        framework.subscribe()
        return framework

    other = subscribed("other")
    guaranteed: SchedulerSession | None = None
    try:
        other.next_offers(start=0)
        time.sleep(1.0)
        assert offered_cpus(other) == pytest.approx(1)
        guaranteed = subscribed("guaranteed")
        guaranteed.next_offers(start=0)
        time.sleep(1.0)
        assert offered_cpus(guaranteed) == pytest.approx(3)
    finally:
        other.teardown()
        if guaranteed is not None:
            guaranteed.teardown()


CHANGING_CALLS = {
    "UPDATE_QUOTA": "UpdateQuota",
    "SET_QUOTA": "SetQuota",
    "REMOVE_QUOTA": "RemoveQuota",
    "UPDATE_WEIGHTS": "UpdateWeights",
    "UPDATE_MAINTENANCE_SCHEDULE": "UpdateMaintenanceSchedule",
    "START_MAINTENANCE": "Machines",
    "STOP_MAINTENANCE": "Machines",
}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), call_type=st.sampled_from(sorted(CHANGING_CALLS)))
def test_well_typed_changing_calls_never_get_a_5xx(
    ops: Operator, data: st.DataObject, call_type: str
) -> None:
    """Calls the validation layer lets through (any well-typed body) get 200 or Mesos's 4xx
    from the handlers, never a 5xx or a traceback."""
    body = data.draw(valid_message(CHANGING_CALLS[call_type]))
    status, text = ops.call(call_type, body)
    assert status in (200, 400, 403, 409), (status, text[:300], body)
    assert b"Traceback" not in text
    # Leave no machine DOWN or scheduled for the next example or test.
    down = ops.query("GET_MAINTENANCE_STATUS")["status"].get("down_machines", [])
    if down:
        assert ops.call("STOP_MAINTENANCE", {"machines": down}) == (200, b""), down
    assert ops.call("UPDATE_MAINTENANCE_SCHEDULE", {"schedule": {}}) == (200, b"")


def test_v0_quota_and_weights_endpoints_run_the_v1_calls(ops: Operator) -> None:
    """/master/quota (deprecated: GET, POST a QuotaRequest, DELETE /master/quota/<role>) and
    /master/weights (GET, PUT an array of WeightInfo), as Mesos's handlers answer them."""
    url, headers = ops.url, {**ops.headers, "Content-Type": "application/json"}
    guarantee = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}]
    body = json.dumps({"role": "v0", "guarantee": guarantee})
    assert request(url, "POST", "/master/quota", body, headers)[::2] == (200, b"")
    status, _, text = request(url, "GET", "/quota", None, ops.headers)
    assert status == 200
    assert json.loads(text)["configs"] == [config("v0", quantities(cpus=1), cpus=1)]
    assert request(url, "DELETE", "/master/quota/v0", None, ops.headers)[::2] == (200, b"")
    assert request(url, "DELETE", "/master/quota/v0", None, ops.headers)[::2] == (
        400,
        b"Failed to remove quota: Role 'v0' has no quota set",
    )
    bad = '{"role": "v0", "guarantee": "lots"}'
    status, _, text = request(url, "POST", "/master/quota", bad, headers)
    assert status == 400
    assert text.startswith(b"Failed to validate set quota request JSON '" + bad.encode())
    assert request(url, "PUT", "/master/quota", body, headers)[0] == 405

    weights = json.dumps([{"role": "v0-weighted", "weight": 2.5}])
    assert request(url, "PUT", "/master/weights", weights, headers)[::2] == (200, b"")
    status, _, text = request(url, "GET", "/master/weights", None, ops.headers)
    assert status == 200
    assert {"role": "v0-weighted", "weight": 2.5} in json.loads(text)
    status, _, text = request(url, "PUT", "/weights", "[{", headers)
    assert status == 400
    assert text.startswith(b"Failed to parse update weights request JSON '[{'")
    intruder = Operator(url, "intruder")
    assert request(url, "PUT", "/weights", weights, intruder.headers)[0] == 403


V0_PATHS = [
    ("POST", "/master/quota"),
    ("PUT", "/master/weights"),
    ("POST", "/master/maintenance/schedule"),
    ("POST", "/master/machine/down"),
    ("POST", "/master/machine/up"),
    ("DELETE", "/master/quota/a/b/{x}"),
]
HOSTILE_BODIES = [
    "", "null", "[" * 100_000, "{" * 50_000, '{"role": "' + "x" * 100_000 + '"}', "1e999",
    '[{"role": "r", "weight": 1e999}]', '[{"hostname": {"$gt": 1}}]', "\ud800", "[null, 1, []]",
    '{"windows": [{"unavailability": {"start": {"nanoseconds": 1' + "0" * 5000 + "}}}]}",
]


@pytest.mark.parametrize(("method", "path"), V0_PATHS)
def test_v0_endpoints_never_answer_hostile_bodies_with_a_5xx(
    ops: Operator, method: str, path: str
) -> None:
    """Bad bodies get a 4xx; a body that is an object of unknown fields is, as in Mesos, an
    empty message (a schedule of no windows: 200)."""
    headers = {**ops.headers, "Content-Type": "application/json"}
    for body in HOSTILE_BODIES:
        status, _, text = request(ops.url, method, path, body.encode("utf-8", "surrogatepass"),
                                  headers)
        assert status < 500, (path, body[:40], status, text[:200])
        if not body.startswith('{"role"'):
            assert status >= 400, (path, body[:40], status)
        assert b"Traceback" not in text
    assert request(ops.url, "GET", "/master/health")[0] == 200
