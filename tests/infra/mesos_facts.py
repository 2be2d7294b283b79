"""Shared helpers for the testinfra modules: what the hosts are and how to ask them.

The modules run under molecule's verifier with the ansible backend, so host groups come
from the scenario's inventory. HTTP is asked from inside the hosts (python3 is there),
because the cluster's names resolve only on its docker network.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
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
MASTER_CREDENTIALS_FILE = "/etc/mesos/credentials"
AGENT_HTTP_CREDENTIALS_FILE = "/etc/mesos/agent-http-credentials.json"

# GET a URL from inside a host. With MESOS_HTTP_PRINCIPAL=<name> it sends HTTP Basic
# credentials, the secret read on the host from the daemons' credentials files, so no secret
# is ever part of a command (commands are logged); MESOS_HTTP_AUTH=principal:secret sends
# those as given (for wrong ones). Prints the body, or on an HTTP error
# "HTTP <status> <WWW-Authenticate>" and exits 3.
_HTTP_GET = """
import base64, json, os, sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1])
auth = os.environ.get("MESOS_HTTP_AUTH", "")
principal = os.environ.get("MESOS_HTTP_PRINCIPAL")
for path in sys.argv[2:] if principal else []:
    if os.path.exists(path):
        for entry in json.load(open(path))["credentials"]:
            if entry["principal"] == principal:
                auth = principal + ":" + entry["secret"]
if auth:
    request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
try:
    sys.stdout.write(urllib.request.urlopen(request, timeout=10).read().decode())
except urllib.error.HTTPError as error:
    challenge = error.headers.get("WWW-Authenticate", "")
    sys.stdout.write("HTTP %d %s" % (error.code, challenge))
    sys.exit(3)
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


@cache
def operator_principal() -> str | None:
    """The principal the roles' checks use (mesos_operator_principal) when the masters
    authenticate HTTP, else None."""
    master = group_hosts("mesos_masters")[0]
    variables = master.ansible.get_variables()
    if not variables.get("mesos_master_authenticate_http_readonly"):
        return None
    return str(variables["mesos_operator_principal"])


def http_get(host: Any, url: str, principal: str | None = None,
             wrong_secret: str | None = None) -> tuple[int, str]:
    """(status, body) of GET url from inside host, as `principal` (its secret looked up on the
    host) or with `wrong_secret`; the body of an HTTP error is its WWW-Authenticate header."""
    if wrong_secret is not None:
        env = f"MESOS_HTTP_AUTH='{principal}:{wrong_secret}' "
    else:
        env = f"MESOS_HTTP_PRINCIPAL='{principal}' " if principal else ""
    files = f"{MASTER_CREDENTIALS_FILE} {AGENT_HTTP_CREDENTIALS_FILE}"
    result = host.run(f"{env}python3 -c '{_HTTP_GET}' {url} {files}")
    if result.rc == 3:
        status, _, challenge = result.stdout.removeprefix("HTTP ").partition(" ")
        return int(status), challenge
    assert result.rc == 0, f"GET {url} from {host.backend.get_hostname()} failed: {result.stderr}"
    return 200, str(result.stdout)


def http_get_json(host: Any, url: str) -> Any:
    """GET as the operator (when the cluster authenticates HTTP) and parse the JSON body."""
    status, body = http_get(host, url, operator_principal())
    assert status == 200, f"GET {url} from {host.backend.get_hostname()}: HTTP {status} {body}"
    return json.loads(body)


def read_json_file(host: Any, path: str, written_by: str) -> dict[str, Any]:
    """A JSON file on host, which `written_by` (a playbook) should have left there."""
    found = host.file(path)
    assert found.exists, f"{path} missing on {host.backend.get_hostname()}: did {written_by} run?"
    data: dict[str, Any] = json.loads(found.content_string)
    return data


def zookeeper_url(host: Any, flag_value: str) -> str:
    """The zk:// URL a --zk/--master flag means (the roles pass file:///etc/mesos/zk when
    ZooKeeper authentication is on), without its user:password@ part."""
    url = flag_value
    if url.startswith("file://"):
        url = host.file(url[len("file://"):]).content_string.strip()
    return re.sub(r"^zk://[^@/]*@", "zk://", url)


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


def reverse_dns_name(host: Any, ip: str) -> str:
    """The name ``host``'s resolver gives ``ip`` (getnameinfo, as Mesos's net::getHostname
    asks it: the IP itself when no name resolves)."""
    return str(host.check_output(
        "python3 -c 'import socket, sys; print(socket.getnameinfo((sys.argv[1], 0), 0)[0])' %s",
        ip))


def master_url(host: Any) -> str:
    """The master's own endpoint: it listens on its --ip, as Mesos does, not on loopback."""
    return f"http://{env_file(host, MASTER_ENV_FILE)['MESOS_IP']}:{MASTER_PORT}"


def agent_url(host: Any) -> str:
    return f"http://{env_file(host, AGENT_ENV_FILE)['MESOS_IP']}:{AGENT_PORT}"


def leading_master() -> Any:
    """The master host that reports itself elected."""
    for master in group_hosts("mesos_masters"):
        metrics = http_get_json(master, f"{master_url(master)}/metrics/snapshot")
        if metrics.get("master/elected") == 1:
            return master
    raise AssertionError("no master reports master/elected = 1")


def leading_master_state() -> dict[str, Any]:
    """/master/state of the master that reports itself elected."""
    master = leading_master()
    state: dict[str, Any] = http_get_json(master, f"{master_url(master)}/master/state")
    return state


def master_agent_ids() -> dict[str, str]:
    """hostname -> agent id, as the leading master's /master/slaves lists its agents."""
    master = leading_master()
    slaves = http_get_json(master, f"{master_url(master)}/master/slaves")["slaves"]
    return {str(slave["hostname"]): str(slave["id"]) for slave in slaves}
