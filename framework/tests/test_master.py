"""--master parsing and leader discovery against small loopback HTTP servers."""

from __future__ import annotations

import json
import time

import pytest
from event_stream import QuietHandler, serve_on_loopback
from mesos_lite.testing import unused_address

from mesos_probe.scheduler_host.leader_lookup import (
    MasterError,
    current_leader,
    find_leader,
    master_state,
    parse_master,
)


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("127.0.0.1:5050", ("127.0.0.1:5050",)),
        ("m1", ("m1:5050",)),
        ("m1:5050,m2:5051", ("m1:5050", "m2:5051")),
        ("http://m1:6000", ("m1:6000",)),
    ],
)
def test_host_port_forms(text: str, addresses: tuple[str, ...]) -> None:
    spec = parse_master(text)
    assert spec.addresses == addresses
    assert not spec.is_zookeeper


def test_zookeeper_url() -> None:
    spec = parse_master("zk://z1:2181,z2:2181/mesos")
    assert spec.is_zookeeper
    assert spec.zk_hosts == "z1:2181,z2:2181" and spec.zk_path == "/mesos"
    assert spec.driver_uri("ignored:1") == "zk://z1:2181,z2:2181/mesos"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("m1:http", "not a number"),
        ("m1:70000", "out of range"),
        ("zk://z1:2181", "no znode path"),
        ("zk://u:p@z1:2181/mesos", "credentials"),
        ("https://m1:5050", "no TLS"),
        ("file:///etc/mesos/zk", "file://"),
    ],
)
def test_bad_master_values_are_named(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_master(text)


class FakeMaster:
    """/master/redirect and /master/state like a Mesos master."""

    def __init__(self, leader: str | None, agents: int = 3) -> None:
        outer = self
        self.leader = leader
        self.agents = agents
        self.requests: list[tuple[str, str | None]] = []

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Authorization")))
                if self.path == "/master/redirect":
                    if outer.leader is None:
                        self.send_response(503)
                        self.send_header("Content-Length", "0")
                    else:
                        self.send_response(307)
                        self.send_header("Location", f"//{outer.leader}")
                        self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/master/state":
                    slaves = [
                        {"id": f"a{i}", "hostname": f"h{i}", "active": True}
                        for i in range(outer.agents)
                    ]
                    slaves.append({"id": "gone", "hostname": "hx", "active": False})
                    body = json.dumps({"slaves": slaves}).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

        self.server, self.address = serve_on_loopback(Handler)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_master(masters: list[FakeMaster], leader: str | None, agents: int = 3) -> FakeMaster:
    """A scripted master naming `leader` (None: no leader elected), closed after the test."""
    master = FakeMaster(leader, agents)
    masters.append(master)
    return master


def start_leader(masters: list[FakeMaster]) -> FakeMaster:
    """A scripted master that names itself the leader."""
    leader = start_master(masters, leader=None)
    leader.leader = leader.address
    return leader


def test_follows_the_redirect_to_the_leader_across_a_list(masters: list[FakeMaster]) -> None:
    leader = start_leader(masters)
    follower = start_master(masters, leader=leader.address)
    dead = unused_address()
    spec = parse_master(f"{dead},{follower.address}")
    assert find_leader(spec, time.monotonic() + 5) == leader.address


def test_a_stale_standby_naming_a_dead_leader_is_not_believed(
    masters: list[FakeMaster],
) -> None:
    # Right after a failover: one standby still names the dead former leader, another
    # already names the new one. Only a leader that answers for itself is returned.
    dead = unused_address()
    stale = start_master(masters, leader=dead)
    leader = start_leader(masters)
    informed = start_master(masters, leader=leader.address)

    spec = parse_master(f"{stale.address},{informed.address}")
    assert current_leader(spec, 2.0) == (leader.address, "")

    alone, problem = current_leader(parse_master(stale.address), 2.0)
    assert alone is None and dead in problem and "unreachable" in problem


def test_unreachable_master_fails_within_the_deadline() -> None:
    spec = parse_master(unused_address())
    started = time.monotonic()
    with pytest.raises(MasterError, match="connection refused"):
        find_leader(spec, started + 1.5)
    assert time.monotonic() - started < 3


def test_no_leader_elected_is_reported(masters: list[FakeMaster]) -> None:
    lonely = start_master(masters, leader=None)
    with pytest.raises(MasterError, match="knows no leader"):
        find_leader(parse_master(lonely.address), time.monotonic() + 1)


def test_state_counts_agents_and_sends_credentials(masters: list[FakeMaster]) -> None:
    master = start_master(masters, leader=None, agents=2)
    state = master_state(master.address, 2, principal="fw", secret="s3cret")
    assert [a["id"] for a in state["slaves"] if a["active"]] == ["a0", "a1"]
    assert master.requests[-1] == ("/master/state", "Basic Znc6czNjcmV0")  # fw:s3cret
