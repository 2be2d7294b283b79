"""Authentication and authorization against a locked-down cluster, as Apache Mesos 1.11
behaves: 401 + WWW-Authenticate per realm, 403 for ACL denials, the scheduler's ERROR event,
TASK_ERROR/REASON_TASK_UNAUTHORIZED, view_* filtering, agent credentials, ZooKeeper digest
ACLs, and no secret in /flags, /state or logs."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymesos_programs
import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from mesos_http import (
    OperatorStream,
    SchedulerSession,
    command_task,
    framework_info,
    post_json,
    request,
)

from mesos_lite.testing import Daemon, ZooKeeperServer, start_agent, start_master, wait_for_agents

# Every test here starts its own daemons.
pytestmark = pytest.mark.usefixtures("local_only")

SECRETS = {
    "ops": "ops-Secret-1",
    "fw": "fw-Secret-2",
    "other": "other-Secret-3",
    "agent": "agent-Secret-4",
}
WRONG_SECRET = "wrong-Secret-5"
ZK_PASSWORD = "zk-Secret-6"
AGENT_HTTP_SECRET = "agent-http-Secret-7"
DENY_OTHERS = {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}
ACLS = {
    "register_frameworks": [{"principals": {"values": ["other"]}, "roles": {"type": "NONE"}}],
    # Nobody may run tasks as 'nobody'; other users fall to permissive (true).
    "run_tasks": [{"principals": {"type": "NONE"}, "users": {"values": ["nobody"]}}],
    "view_frameworks": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}}, DENY_OTHERS],
    "view_tasks": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}}, DENY_OTHERS],
    "view_executors": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}}, DENY_OTHERS],
    "view_flags": [
        {"principals": {"values": ["ops"]}, "flags": {"type": "ANY"}},
        {"principals": {"type": "ANY"}, "flags": {"type": "NONE"}},
    ],
    "teardown_frameworks": [
        {"principals": {"values": ["ops"]}, "framework_principals": {"type": "ANY"}},
        {"principals": {"type": "ANY"}, "framework_principals": {"type": "NONE"}},
    ],
}


def basic(principal: str, secret: str | None = None) -> dict[str, str]:
    token = f"{principal}:{secret if secret is not None else SECRETS[principal]}"
    return {"Authorization": "Basic " + base64.b64encode(token.encode()).decode()}


@dataclass
class Secured:
    directory: Path
    master: Daemon
    master_url: str
    agent: Daemon
    agent_url: str

    def get(self, path: str, principal: str | None = None) -> tuple[int, dict[str, str], bytes]:
        return request(self.master_url, "GET", path, headers=basic(principal) if principal else {})


def write_json(path: Path, body: object) -> Path:
    path.write_text(json.dumps(body))
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    directory = tmp_path_factory.mktemp("secured")
    credentials = write_json(
        directory / "credentials",
        {"credentials": [{"principal": p, "secret": s} for p, s in SECRETS.items()]},
    )
    acls = write_json(directory / "acls.json", ACLS)
    master, port = start_master(
        directory,
        "--registry=in_memory",
        "--allocation_interval=200ms",
        f"--credentials=file://{credentials}",
        f"--acls=file://{acls}",
        "--authenticate_frameworks",
        "--authenticate_http_frameworks",
        "--http_framework_authenticators=basic",
        "--authenticate_agents",
        "--authenticate_http_readonly",
        "--authenticate_http_readwrite",
    )
    master_url = f"http://127.0.0.1:{port}"
    agent_credential = write_json(
        directory / "agent-credential", {"principal": "agent", "secret": SECRETS["agent"]}
    )
    agent_http = write_json(
        directory / "agent-http-credentials",
        {
            "credentials": [
                {"principal": "ops", "secret": AGENT_HTTP_SECRET},
                {"principal": "viewer", "secret": AGENT_HTTP_SECRET},
                {"principal": "guest", "secret": AGENT_HTTP_SECRET},
            ]
        },
    )
    agent_acls = {key: ACLS[key] for key in ACLS if key.startswith("view_")}
    # 'ops' may read every sandbox, 'viewer' those of executors running as root (the object
    # is the executor's user), nobody else any; only 'ops' may read the agent's logs.
    agent_acls["access_sandboxes"] = [
        {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
        {"principals": {"values": ["viewer"]}, "users": {"values": ["root"]}},
        DENY_OTHERS,
    ]
    agent_acls["access_mesos_logs"] = [
        {"principals": {"values": ["ops"]}, "logs": {"type": "ANY"}},
        {"principals": {"type": "ANY"}, "logs": {"type": "NONE"}},
    ]
    agent, agent_port = start_agent(
        directory,
        f"127.0.0.1:{port}",
        "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31099]",
        f"--credential=file://{agent_credential}",
        f"--http_credentials=file://{agent_http}",
        "--authenticate_http_readonly",
        "--authenticate_http_readwrite",
        f"--acls={json.dumps(agent_acls)}",
        f"--log_dir={directory / 'agent-logs'}",
    )
    cluster = Secured(directory, master, master_url, agent, f"http://127.0.0.1:{agent_port}")
    try:
        deadline = time.monotonic() + 15
        while not json.loads(cluster.get("/master/slaves", "ops")[2])["slaves"]:
            assert time.monotonic() < deadline, master.output()[-2000:]
            time.sleep(0.1)
        yield cluster
    finally:
        agent.stop()
        master.stop()


READONLY = ["/master/state", "/state", "/master/state-summary", "/master/frameworks",
            "/master/slaves", "/master/tasks", "/master/flags", "/metrics/snapshot"]


@pytest.mark.parametrize("path", READONLY)
def test_read_only_endpoints_need_credentials(secured: Secured, path: str) -> None:
    status, headers, body = secured.get(path)
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="mesos-master-readonly"'
    assert body == b""
    wrong = request(secured.master_url, "GET", path, headers=basic("ops", WRONG_SECRET))
    assert wrong[0] == 401
    assert secured.get(path, "ops")[0] == 200


@pytest.mark.parametrize(
    ("path", "realm"),
    [
        ("/master/state/", "readonly"),
        ("/master/tasks//", "readonly"),
        ("/metrics/snapshot/", "readonly"),
        ("/master/state/anything", "readonly"),
        ("/api/v1/scheduler/", "scheduler"),
        ("/api/v1/", "readwrite"),
    ],
)
def test_paths_libprocess_routes_need_the_endpoints_credentials(
    secured: Secured, path: str, realm: str
) -> None:
    """A path routed to an endpoint by its prefix (trailing '/') is that endpoint, realm
    included: no way around authentication."""
    status, headers, _ = request(secured.master_url, "POST" if "api" in path else "GET", path)
    assert status == 401
    assert headers["WWW-Authenticate"] == f'Basic realm="mesos-master-{realm}"'


def test_open_endpoints_need_no_credentials(secured: Secured) -> None:
    assert secured.get("/health")[0] == 200
    assert secured.get("/master/health")[0] == 200
    assert secured.get("/version")[0] == 200
    assert secured.get("/master/redirect")[0] == 307


def test_operator_api_is_read_write(secured: Secured) -> None:
    status, headers, _ = post_json(secured.master_url, "/api/v1", {"type": "GET_HEALTH"})
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="mesos-master-readwrite"'
    status, _, body = post_json(
        secured.master_url, "/api/v1", {"type": "GET_HEALTH"}, basic("fw")
    )
    assert (status, json.loads(body)["get_health"]) == (200, {"healthy": True})


def test_scheduler_api_needs_credentials(secured: Secured) -> None:
    body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info()}}
    status, headers, _ = post_json(secured.master_url, "/api/v1/scheduler", body)
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="mesos-master-scheduler"'
    status, _, _ = post_json(
        secured.master_url, "/api/v1/scheduler", body, basic("fw", WRONG_SECRET)
    )
    assert status == 401


def test_pymesos_scheduler_with_credentials_runs_a_task(secured: Secured) -> None:
    result = pymesos_programs.run_scheduler(
        secured.master_url.removeprefix("http://"),
        None,
        1,
        timeout=20,
        task_command="true",
        principal="fw",
        secret=SECRETS["fw"],
    )
    assert result.framework_id is not None
    assert [u["state"] for u in result.updates][-1] == "TASK_FINISHED"
    state = json.loads(secured.get("/master/state", "ops")[2])
    frameworks = state["frameworks"] + state["completed_frameworks"]
    ours = [f for f in frameworks if f["id"] == result.framework_id]
    # The master records the authenticated principal when FrameworkInfo has none.
    assert ours and ours[0]["principal"] == "fw"


def framework_ids(secured: Secured) -> set[str]:
    state = json.loads(secured.get("/master/state", "ops")[2])
    return {f["id"] for f in state["frameworks"] + state["completed_frameworks"]}


def test_pymesos_scheduler_with_a_wrong_secret_never_subscribes(secured: Secured) -> None:
    before = framework_ids(secured)
    # pymesos ends its driver with this error on a 401.
    with pytest.raises(RuntimeError, match="Failed with HTTP 401"):
        pymesos_programs.run_scheduler(
            secured.master_url.removeprefix("http://"),
            None,
            1,
            timeout=0.5,
            task_command="true",
            principal="fw",
            secret=WRONG_SECRET,
        )
    assert framework_ids(secured) == before


def test_register_frameworks_acl_refuses_with_an_error_event(secured: Secured) -> None:
    session = SchedulerSession(secured.master_url)
    session.auth_headers = basic("other")
    with pytest.raises(AssertionError, match="no matching event"):
        session.subscribe(timeout=5)
    assert session.status == 200
    assert [e["type"] for e in session.events] == ["ERROR"]
    assert session.events[0]["error"]["message"] == (
        "Not authorized to register framework  with roles { * }"
    )
    assert session.closed


def test_principal_must_match_the_authenticated_one(secured: Secured) -> None:
    body = {
        "type": "SUBSCRIBE",
        "subscribe": {"framework_info": framework_info(principal="ops")},
    }
    status, _, text = post_json(secured.master_url, "/api/v1/scheduler", body, basic("fw"))
    assert status == 400
    assert text.decode() == (
        "Failed to validate scheduler::Call: Authenticated principal 'fw' does not match "
        "principal 'ops' set in `FrameworkInfo`"
    )


@pytest.fixture
def fw_session(secured: Secured) -> Iterator[SchedulerSession]:
    session = SchedulerSession(secured.master_url, framework_info(name="secured-fw"))
    session.auth_headers = basic("fw")
    session.subscribe()
    try:
        yield session
    finally:
        session.teardown()


def test_run_tasks_acl_gives_task_error(fw_session: SchedulerSession) -> None:
    offer = fw_session.next_offers(start=0)[0]
    task = command_task(offer, "true", task_id="as-nobody")
    task["command"]["user"] = "nobody"
    status, text = fw_session.launch(offer, [task])
    assert status == 202, text
    update = fw_session.wait_update("as-nobody", {"TASK_ERROR"})
    assert update["reason"] == "REASON_TASK_UNAUTHORIZED"
    assert update["source"] == "SOURCE_MASTER"
    assert update["message"] == (
        f"Principal 'fw' no authorized to launch task as-nobody of framework "
        f"{fw_session.framework_id} under user 'nobody'"
    )


def test_view_acls_filter_what_operators_see(
    secured: Secured, fw_session: SchedulerSession
) -> None:
    as_ops = json.loads(secured.get("/master/state", "ops")[2])
    assert fw_session.framework_id in [f["id"] for f in as_ops["frameworks"]]
    assert "flags" in as_ops
    as_fw = json.loads(secured.get("/master/state", "fw")[2])
    assert as_fw["frameworks"] == []
    assert "flags" not in as_fw
    # Mesos has no ACL for agents: they stay visible.
    assert [a["id"] for a in as_fw["slaves"]] == [a["id"] for a in as_ops["slaves"]]
    assert json.loads(secured.get("/master/frameworks", "fw")[2])["frameworks"] == []
    assert secured.get("/master/flags", "fw")[0] == 403
    status, _, _ = post_json(secured.master_url, "/api/v1", {"type": "GET_FLAGS"}, basic("fw"))
    assert status == 403
    for principal, expected in (("ops", 1), ("fw", 0)):
        status, _, body = post_json(
            secured.master_url, "/api/v1", {"type": "GET_STATE"}, basic(principal)
        )
        frameworks = json.loads(body)["get_state"]["get_frameworks"]["frameworks"]
        ids = [f["framework_info"]["id"]["value"] for f in frameworks]
        seen = [i for i in ids if i == fw_session.framework_id]
        assert (status, len(seen)) == (200, expected)


def test_another_principal_cannot_take_over_a_framework(
    secured: Secured, fw_session: SchedulerSession
) -> None:
    intruder = SchedulerSession(
        secured.master_url, framework_info(name="secured-fw"), fw_session.framework_id
    )
    intruder.auth_headers = basic("ops")
    with pytest.raises(AssertionError, match="no matching event"):
        intruder.subscribe(timeout=5)
    assert [e["error"]["message"] for e in intruder.events] == [
        "Changing framework's principal is not allowed."
    ]
    # The rightful scheduler keeps its stream.
    status, _ = fw_session.call("REVIVE", {})
    assert status == 202


def test_operator_event_stream_is_filtered(secured: Secured) -> None:
    streams = {}
    for principal in ("ops", "fw"):
        stream = OperatorStream(secured.master_url)
        stream.session.auth_headers = basic(principal)
        subscribed = stream.open()
        streams[principal] = (stream, subscribed)
    session = SchedulerSession(secured.master_url, framework_info(name="watched"))
    session.auth_headers = basic("fw")
    session.subscribe()
    try:

        def added(event: dict) -> bool:
            if event["type"] != "FRAMEWORK_ADDED":
                return False
            info = event["framework_added"]["framework"]["framework_info"]
            return bool(info["id"]["value"] == session.framework_id)

        streams["ops"][0].wait_for(added)
        time.sleep(0.5)
        assert not [e for e in streams["fw"][0].session.events if added(e)]
        fw_state = streams["fw"][1]["subscribed"]["get_state"]
        assert fw_state["get_frameworks"].get("frameworks", []) == []
    finally:
        session.teardown()
        for stream, _ in streams.values():
            stream.close()


def test_teardown_acl(secured: Secured, fw_session: SchedulerSession) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = f"frameworkId={fw_session.framework_id}"
    status, _, _ = request(
        secured.master_url, "POST", "/master/teardown", body, {**form, **basic("fw")}
    )
    assert status == 403
    status, _, _ = request(secured.master_url, "POST", "/master/teardown", body, form)
    assert status == 401
    status, _, _ = request(
        secured.master_url, "POST", "/master/teardown", body, {**form, **basic("ops")}
    )
    assert status == 200
    state = json.loads(secured.get("/master/state", "ops")[2])
    assert fw_session.framework_id in [f["id"] for f in state["completed_frameworks"]]
    assert fw_session.framework_id not in [f["id"] for f in state["frameworks"]]


def test_agent_endpoints_need_credentials(secured: Secured) -> None:
    status, headers, _ = request(secured.agent_url, "GET", "/state")
    assert (status, headers["WWW-Authenticate"]) == (401, 'Basic realm="mesos-agent-readonly"')
    status, headers, _ = post_json(secured.agent_url, "/api/v1", {"type": "GET_HEALTH"})
    assert (status, headers["WWW-Authenticate"]) == (401, 'Basic realm="mesos-agent-readwrite"')
    ops = basic("ops", AGENT_HTTP_SECRET)
    assert request(secured.agent_url, "GET", "/state", headers=ops)[0] == 200
    # The agent's own credentials file, not the master's.
    assert request(secured.agent_url, "GET", "/state", headers=basic("ops"))[0] == 401
    assert request(secured.agent_url, "GET", "/health")[0] == 200
    # Executors are not asked for Basic credentials (Mesos uses JWT there).
    status, _, _ = post_json(secured.agent_url, "/api/v1/executor", {"type": "SUBSCRIBE"})
    assert status not in (401, 403)


def test_agent_view_acls_filter_its_state(
    secured: Secured, fw_session: SchedulerSession
) -> None:
    fw_session.launch_running("sleep 30", "watched-task")

    def agent_state(principal: str) -> dict:
        headers = basic(principal, AGENT_HTTP_SECRET)
        status, _, body = request(secured.agent_url, "GET", "/state", headers=headers)
        assert status == 200
        return dict(json.loads(body))

    def agent_tasks(principal: str) -> list[str]:
        status, _, body = post_json(
            secured.agent_url, "/api/v1", {"type": "GET_TASKS"},
            basic(principal, AGENT_HTTP_SECRET),
        )
        assert status == 200
        return [t["task_id"]["value"] for t in json.loads(body)["get_tasks"]["launched_tasks"]]

    as_ops = agent_state("ops")
    executors = [e for f in as_ops["frameworks"] for e in f["executors"]]
    assert "watched-task" in [t["id"] for e in executors for t in e["tasks"]]
    assert "flags" in as_ops
    as_viewer = agent_state("viewer")
    assert (as_viewer["frameworks"], "flags" in as_viewer) == ([], False)
    assert "watched-task" in agent_tasks("ops")
    assert agent_tasks("viewer") == []
    flags = request(
        secured.agent_url, "GET", "/flags", headers=basic("viewer", AGENT_HTTP_SECRET)
    )
    assert flags[0] == 403


def test_access_sandboxes_acl_guards_agent_files(
    secured: Secured, fw_session: SchedulerSession
) -> None:
    """Mesos's ACCESS_SANDBOX on the agent's /files: the subject is the principal, the object
    the user the executor runs as (root: the framework's); a denied principal gets 403 on
    browse, read, download."""
    fw_session.launch_running("echo sandbox-secret; sleep 30", "sandboxed-task")
    ops, guest = basic("ops", AGENT_HTTP_SECRET), basic("guest", AGENT_HTTP_SECRET)
    viewer = basic("viewer", AGENT_HTTP_SECRET)
    status, _, body = request(secured.agent_url, "GET", "/state", headers=ops)
    assert status == 200
    directory = next(
        e["directory"]
        for f in json.loads(body)["frameworks"]
        for e in f["executors"]
        if e["id"] == "sandboxed-task"
    )
    deadline = time.monotonic() + 10
    read = f"/files/read?path={directory}/stdout&offset=0"
    while b"sandbox-secret" not in request(secured.agent_url, "GET", read, headers=ops)[2]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    for path in (
        f"/files/browse?path={directory}",
        read,
        f"/files/download?path={directory}/stdout",
        f"/files/read.json?path={directory}/stdout&offset=0",
    ):
        status, _, body = request(secured.agent_url, "GET", path, headers=guest)
        assert (status, body) == (403, b""), path
        assert request(secured.agent_url, "GET", path, headers=ops)[0] == 200, path
        # Allowed for executors of user root only: this one runs as root.
        assert request(secured.agent_url, "GET", path, headers=viewer)[0] == 200, path
    # What is not attached stays 404 for everyone (no oracle of other paths).
    assert request(secured.agent_url, "GET", "/files/browse?path=/etc", headers=guest)[0] == 404


def test_access_mesos_logs_acl_guards_the_agent_log(secured: Secured) -> None:
    # Mesos attaches the agent's log file as /slave/log (not its --log_dir directory).
    path = "/files/read?path=/slave/log&offset=0"
    ops, viewer = basic("ops", AGENT_HTTP_SECRET), basic("viewer", AGENT_HTTP_SECRET)
    status, _, body = request(secured.agent_url, "GET", path, headers=ops)
    assert status == 200 and "data" in json.loads(body), body
    assert request(secured.agent_url, "GET", path, headers=viewer)[:3:2] == (403, b"")
    log_dir = secured.directory / "agent-logs"
    assert request(secured.agent_url, "GET", f"/files/browse?path={log_dir}", headers=ops)[0] == 404


def test_agents_without_or_with_wrong_credentials_are_refused(secured: Secured) -> None:
    port = secured.master_url.rsplit(":", 1)[1]
    wrong = write_json(
        secured.directory / "wrong-credential", {"principal": "agent", "secret": WRONG_SECRET}
    )
    bad, _ = start_agent(
        secured.directory, f"127.0.0.1:{port}", f"--credential=file://{wrong}", wait=False
    )
    anonymous, _ = start_agent(secured.directory, f"127.0.0.1:{port}")
    try:
        assert bad.process.wait(15) == 1
        assert f"Master 127.0.0.1:{port} refused authentication" in bad.output()
        time.sleep(1.0)
        assert anonymous.alive()
        assert "master answered 401" in anonymous.output()
        slaves = json.loads(secured.get("/master/slaves", "ops")[2])["slaves"]
        assert len(slaves) == 1
        master_log = secured.master.output()
        assert "Failed to authenticate agent at" in master_log
        assert "because it is not authenticated" in master_log
    finally:
        bad.stop()
        anonymous.stop()


def test_no_secret_in_flags_state_or_logs(secured: Secured) -> None:
    flags = json.loads(secured.get("/master/flags", "ops")[2])["flags"]
    assert flags["credentials"] == str(secured.directory / "credentials")
    agent_flags = json.loads(
        request(secured.agent_url, "GET", "/flags", headers=basic("ops", AGENT_HTTP_SECRET))[2]
    )["flags"]
    assert agent_flags["credential"] == str(secured.directory / "agent-credential")
    shown = [
        json.dumps(flags),
        json.dumps(agent_flags),
        secured.get("/master/state", "ops")[2].decode(),
        secured.master.output(),
        secured.agent.output(),
    ]
    for secret in [*SECRETS.values(), WRONG_SECRET, AGENT_HTTP_SECRET]:
        for text in shown:
            assert secret not in text
            assert base64.b64encode(secret.encode()).decode() not in text


def test_bad_credentials_file_stops_the_master(tmp_path: Path) -> None:
    old = tmp_path / "credentials"
    old.write_text("fw fw-secret\n")
    master, _ = start_master(tmp_path, "--registry=in_memory", f"--credentials={old}", wait=False)
    assert master.process.wait(15) == 1
    assert "Invalid json format:" in master.output()
    assert "(see --credentials flag)" in master.output()
    assert "fw-secret" not in master.output()


def test_zookeeper_digest_acl(zookeeper: ZooKeeperServer, tmp_path: Path) -> None:
    path = f"/secured-{int(time.time() * 1000)}"
    zk_file = tmp_path / "zk"
    zk_file.write_text(f"zk://mesos:{ZK_PASSWORD}@{zookeeper.hosts}{path}")
    zk_file.chmod(0o600)
    master, port = start_master(
        tmp_path, f"--zk=file://{zk_file}", "--quorum=1", "--registry=in_memory"
    )
    # Agents and schedulers read the leader without credentials.
    agent, _ = start_agent(
        tmp_path,
        f"zk://{zookeeper.hosts}{path}",
        "--resources=cpus:1;mem:256;disk:256;ports:[31000-31009]",
    )
    reader = KazooClient(hosts=zookeeper.hosts)
    reader.start()
    try:
        wait_for_agents(f"http://127.0.0.1:{port}", 1)
        children = reader.get_children(path)
        assert any(c.startswith("json.info_") for c in children)
        leader = sorted(c for c in children if c.startswith("json.info_"))[0]
        data, _ = reader.get(f"{path}/{leader}")
        assert json.loads(data)["address"]["port"] == port
        # ... but cannot change what the master wrote.
        with pytest.raises(NoAuthError):
            reader.set(f"{path}/{leader}", b"{}")
        with pytest.raises(NoAuthError):
            reader.create(f"{path}/intruder", b"")
        flags = json.loads(request(f"http://127.0.0.1:{port}", "GET", "/master/flags")[2])
        assert flags["flags"]["zk"] == str(zk_file)
        assert ZK_PASSWORD not in master.output() + agent.output()
    finally:
        reader.stop()
        reader.close()
        agent.stop()
        master.stop()


def test_pymesos_reads_an_acl_protected_leader(
    zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    path = f"/secured-pymesos-{int(time.time() * 1000)}"
    master, port = start_master(
        tmp_path,
        f"--zk=zk://mesos:{ZK_PASSWORD}@{zookeeper.hosts}{path}",
        "--quorum=1",
        "--registry=in_memory",
    )
    agent, _ = start_agent(
        tmp_path,
        f"127.0.0.1:{port}",
        "--resources=cpus:1;mem:256;disk:256;ports:[31000-31009]",
    )
    try:
        wait_for_agents(f"http://127.0.0.1:{port}", 1)
        flags = json.loads(request(f"http://127.0.0.1:{port}", "GET", "/master/flags")[2])
        assert flags["flags"]["zk"] == f"zk://mesos:******@{zookeeper.hosts}{path}"
        result = pymesos_programs.run_scheduler(
            f"zk://{zookeeper.hosts}{path}", None, 1, timeout=20, task_command="true"
        )
        assert [u["state"] for u in result.updates][-1:] == ["TASK_FINISHED"]
    finally:
        agent.stop()
        master.stop()

