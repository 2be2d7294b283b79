"""Issue 16, item 3: the master's agent link answers only the agent that registered, for the
tasks on that agent; a REGISTER cannot take a connected agent's stream."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator

import pytest
from mesos_http import SchedulerSession, framework_info, request

from mesos_lite.agent_protocol import AGENT_PATH
from mesos_lite.testing import Daemon, start_agent, start_master, wait_for_agents
from mesos_lite.testing import ExternalCluster as Cluster

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
SECRETS = {"agent": "agent-Secret-1", "fw": "fw-Secret-2"}


def _basic(principal: str) -> dict[str, str]:
    token = base64.b64encode(f"{principal}:{SECRETS[principal]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _forged_finish(agent_id: str, framework_id: str, task_id: str) -> dict[str, object]:
    return {
        "type": "STATUS_UPDATE",
        "agent_id": {"value": agent_id},
        "update": {
            "framework_id": {"value": framework_id},
            "status": {
                "task_id": {"value": task_id},
                "state": "TASK_FINISHED",
                "source": "SOURCE_EXECUTOR",
                "data": base64.b64encode(b"forged result").decode(),
                "uuid": base64.b64encode(uuid.uuid4().bytes).decode(),
            },
        },
        "latest_state": "TASK_FINISHED",
    }


def _task_state(master_url: str, task_id: str) -> str:
    state = json.loads(request(master_url, "GET", "/master/state")[2])
    for framework in state["frameworks"]:
        for task in framework["tasks"]:
            if task["id"] == task_id:
                return str(task["state"])
    return "absent"


def test_status_update_for_a_task_of_another_agent_is_dropped(
    scheduler: SchedulerSession, cluster: Cluster
) -> None:
    task_id = f"victim-{uuid.uuid4().hex[:8]}"
    running = scheduler.launch_running("sleep 60", task_id)
    real_agent = running["agent_id"]["value"]
    other_agent = next(a["id"] for a in cluster.active_agents() if a["id"] != real_agent)
    mark = scheduler.mark()
    status, _, text = request(
        cluster.master_url,
        "POST",
        AGENT_PATH,
        json.dumps(_forged_finish(other_agent, str(scheduler.framework_id), task_id)),
        JSON_HEADERS,
    )
    assert status in (202, 400, 403), text
    time.sleep(1.0)
    assert scheduler.updates_of(task_id, mark) == []
    assert _task_state(cluster.master_url, task_id) == "TASK_RUNNING"
    scheduler.call("KILL", {"task_id": {"value": task_id}, "agent_id": running["agent_id"]})


@pytest.fixture(scope="module")
def authenticated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Daemon]]:
    directory = tmp_path_factory.mktemp("agent-link")
    credentials = directory / "credentials"
    credentials.write_text(
        json.dumps({"credentials": [{"principal": p, "secret": s} for p, s in SECRETS.items()]})
    )
    credential = directory / "agent-credential"
    credential.write_text(json.dumps({"principal": "agent", "secret": SECRETS["agent"]}))
    master, port = start_master(
        directory,
        "--registry=in_memory",
        "--allocation_interval=200ms",
        f"--credentials=file://{credentials}",
        "--authenticate_agents",
    )
    agent, _ = start_agent(
        directory,
        f"127.0.0.1:{port}",
        "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31099]",
        f"--credential=file://{credential}",
    )
    master_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_agents(master_url, 1)
        yield master_url, agent
    finally:
        agent.stop()
        master.stop()


def test_only_the_agents_principal_speaks_for_it(
    authenticated: tuple[str, Daemon], local_only: None
) -> None:
    master_url, _ = authenticated
    session = SchedulerSession(master_url, framework_info(f"link-{uuid.uuid4().hex[:6]}"))
    session.subscribe()
    try:
        task_id = f"victim-{uuid.uuid4().hex[:8]}"
        running = session.launch_running("sleep 60", task_id)
        agent_id = running["agent_id"]["value"]
        mark = session.mark()
        forged = _forged_finish(agent_id, str(session.framework_id), task_id)
        status, _, _ = request(
            master_url, "POST", AGENT_PATH, json.dumps(forged), {**JSON_HEADERS, **_basic("fw")}
        )
        assert status == 403
        time.sleep(1.0)
        assert session.updates_of(task_id, mark) == []
        assert _task_state(master_url, task_id) == "TASK_RUNNING"
    finally:
        session.teardown()


def test_register_cannot_steal_a_connected_agents_stream(
    authenticated: tuple[str, Daemon], local_only: None
) -> None:
    master_url, _ = authenticated
    state = json.loads(request(master_url, "GET", "/master/state")[2])
    victim = state["slaves"][0]
    body = {
        "type": "REGISTER",
        "agent_info": {
            "hostname": "thief",
            "port": 1,
            "id": {"value": victim["id"]},
            "resources": [],
        },
        "ip": "127.0.0.1",
        "version": "1.11.0",
    }
    # Even with the agent's own credential: the agent is connected on its stream.
    status, _, text = request(
        master_url,
        "POST",
        AGENT_PATH,
        json.dumps(body),
        {**JSON_HEADERS, **_basic("agent")},
        timeout=3,
    )
    assert status == 409, (status, text[:200])
    after = json.loads(request(master_url, "GET", "/master/state")[2])["slaves"][0]
    assert after["hostname"] == victim["hostname"]
    assert after["active"]
