"""Shared helpers for the testinfra modules: what the hosts are and how to ask them.

The modules run under molecule's verifier with the ansible backend, so host groups come
from the scenario's inventory. HTTP is asked from inside the hosts (python3 is there),
because the cluster's names resolve only on its docker network.
"""

from __future__ import annotations

import json
import os
from typing import Any

import testinfra

ZOOKEEPER_SERVICE = "zookeeper"
MASTER_SERVICE = "mesos-master"
AGENT_SERVICE = "mesos-agent"
MASTER_ENV_FILE = "/etc/default/mesos-master"
AGENT_ENV_FILE = "/etc/default/mesos-agent"
MASTER_PORT = 5050
AGENT_PORT = 5051
ZOOKEEPER_CLIENT_PORT = 2181
LAST_RUN_FILE = "/var/lib/mesos-probe/last-run.json"

_HTTP_GET = """
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())
"""

_FOUR_LETTER_WORD = """
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) as s:
    s.sendall(sys.argv[3].encode())
    s.shutdown(socket.SHUT_WR)
    sys.stdout.write(b"".join(iter(lambda: s.recv(4096), b"")).decode())
"""


def inventory_host(name: str) -> Any:
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=_inventory_path())


def _inventory_path() -> str:
    return os.environ["MOLECULE_INVENTORY_FILE"]


def group_hosts(group: str) -> list[Any]:
    return testinfra.get_hosts([f"ansible://{group}"], ansible_inventory=_inventory_path())


def http_get_json(host: Any, url: str) -> Any:
    result = host.run(f"python3 -c '{_HTTP_GET}' {url}")
    assert result.rc == 0, f"GET {url} from {host.backend.get_hostname()} failed: {result.stderr}"
    return json.loads(result.stdout)


def four_letter_word(host: Any, word: str, port: int = ZOOKEEPER_CLIENT_PORT) -> str:
    result = host.run(f"python3 -c '{_FOUR_LETTER_WORD}' 127.0.0.1 {port} {word}")
    assert result.rc == 0, f"ZooKeeper '{word}' on {host.backend.get_hostname()}: {result.stderr}"
    return str(result.stdout)


def zookeeper_mode(host: Any) -> str:
    """leader, follower or standalone, from the server's `srvr` answer."""
    srvr = four_letter_word(host, "srvr")
    modes = [line.split(":", 1)[1].strip() for line in srvr.splitlines()
             if line.startswith("Mode:")]
    assert modes, f"no Mode line in {host.backend.get_hostname()}'s srvr answer: {srvr}"
    return modes[0]


def env_file(host: Any, path: str) -> dict[str, str]:
    """Parse a systemd EnvironmentFile (KEY=value lines, optional quotes)."""
    values: dict[str, str] = {}
    for raw_line in host.file(path).content_string.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def hostname_of(host: Any) -> str:
    return str(host.check_output("hostname"))


def master_url(host: Any) -> str:
    """The master's own endpoint: it listens on its --ip, as Mesos does, not on loopback."""
    return f"http://{env_file(host, MASTER_ENV_FILE)['MESOS_IP']}:{MASTER_PORT}"


def agent_url(host: Any) -> str:
    return f"http://{env_file(host, AGENT_ENV_FILE)['MESOS_IP']}:{AGENT_PORT}"


def leading_master_state() -> dict[str, Any]:
    """/master/state of the master that reports itself elected."""
    for master in group_hosts("mesos_masters"):
        metrics = http_get_json(master, f"{master_url(master)}/metrics/snapshot")
        if metrics.get("master/elected") == 1:
            state: dict[str, Any] = http_get_json(master, f"{master_url(master)}/master/state")
            return state
    raise AssertionError("no master reports master/elected = 1")
