"""Finding the leading Mesos master from --master, and asking it how many agents it has.

--master takes `host[:port]`, a comma list of them, or `zk://host:2181,.../path`.
pymesos follows one address (and 307 redirects) or a zk:// URL, but not a comma list, so
the leader is resolved here first; every wait is bounded by the caller's deadline.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5050
PER_REQUEST_TIMEOUT = 3.0
RETRY_PAUSE = 0.5


class MasterError(Exception):
    """The master could not be reached or did not answer as a Mesos master does."""


class AuthenticationError(MasterError):
    """The master refused the credentials, or wanted some (HTTP 401)."""


class AuthorizationError(MasterError):
    """The master knows who we are but its ACLs refuse what we asked (HTTP 403, or an
    ERROR event refusing the framework's registration)."""


def authentication_failed(principal: str | None, master: str) -> AuthenticationError:
    if principal:
        return AuthenticationError(
            f"authentication failed for principal '{principal}' at master {master}: "
            "check --principal/--secret-file"
        )
    return AuthenticationError(
        f"the master at {master} requires authentication (HTTP 401): "
        "pass --principal and --secret-file"
    )


@dataclass(frozen=True)
class MasterSpec:
    raw: str
    addresses: tuple[str, ...] = ()
    zk_hosts: str = ""
    zk_path: str = ""

    @property
    def is_zookeeper(self) -> bool:
        return bool(self.zk_hosts)

    def driver_uri(self, leader: str) -> str:
        """What pymesos follows: the zk:// URL (it tracks elections), else the leader."""
        return f"zk://{self.zk_hosts}{self.zk_path}" if self.is_zookeeper else leader


def _host_port(item: str) -> str:
    item = item.strip()
    if "://" in item:
        parts = urlsplit(item)
        if parts.scheme not in ("http",):
            raise ValueError(
                f"unsupported scheme {parts.scheme!r} in {item!r} (pymesos has no TLS)"
            )
        item = parts.netloc
    host, sep, port_text = item.rpartition(":")
    if not sep:
        host, port_text = item, str(DEFAULT_PORT)
    if not host or any(c.isspace() for c in host):
        raise ValueError(f"{item!r} is not host:port")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"{item!r}: port {port_text!r} is not a number") from None
    if not 0 < port < 65536:
        raise ValueError(f"{item!r}: port {port} is out of range")
    return f"{host}:{port}"


def parse_master(value: str) -> MasterSpec:
    text = value.strip()
    if not text:
        raise ValueError("--master is empty")
    if text.startswith("zk://"):
        rest = text[len("zk://") :]
        hosts, slash, path = rest.partition("/")
        if "@" in hosts:
            raise ValueError(
                "credentials in zk:// URLs are not supported (pymesos cannot use them)"
            )
        if not slash or not path.strip("/"):
            raise ValueError(f"{text!r} has no znode path; expected zk://host:2181,.../mesos")
        for item in hosts.split(","):
            _host_port(item if ":" in item else f"{item}:2181")
        return MasterSpec(raw=text, zk_hosts=hosts, zk_path="/" + path.strip("/"))
    if text.startswith("file://"):
        raise ValueError("file:// master URLs are not supported; pass the URL itself")
    addresses = tuple(_host_port(item) for item in text.split(",") if item.strip())
    if not addresses:
        raise ValueError(f"{value!r} names no master")
    return MasterSpec(raw=text, addresses=addresses)


def basic_auth_header(principal: str | None, secret: str | None) -> dict[str, str]:
    if not principal or secret is None:
        return {}
    token = base64.b64encode(f"{principal}:{secret}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _request(
    address: str,
    path: str,
    timeout: float,
    headers: dict[str, str],
    method: str = "GET",
    body: bytes | None = None,
) -> http.client.HTTPResponse:
    host, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    connection.request(method, path, body=body, headers=headers)
    return connection.getresponse()


def check_scheduler_credentials(
    leader: str, timeout: float, principal: str | None, secret: str | None
) -> None:
    """Raise AuthenticationError if the scheduler API refuses our credentials.

    The master authenticates a call before it reads it, so an empty call (which it then
    rejects with 400, creating nothing) tells whether SUBSCRIBE would get 401. pymesos
    turns a refused SUBSCRIBE into an unreliable error (0.3.15 can fail with a TypeError
    while formatting it), so this is where the clear message comes from. Anything other
    than 401 is left to the driver.
    """
    headers = {"Content-Type": "application/json", **basic_auth_header(principal, secret)}
    try:
        response = _request(leader, "/api/v1/scheduler", timeout, headers, "POST", b"{}")
        response.read()
    except (OSError, http.client.HTTPException) as error:
        logger.debug("could not check credentials at %s: %s", leader, _describe(error))
        return
    logger.debug(
        "credentials check: %s/api/v1/scheduler answered HTTP %d to an empty call",
        leader,
        response.status,
    )
    if response.status == 401:
        raise authentication_failed(principal, leader)


def _leader_via_http(
    address: str, timeout: float, headers: dict[str, str], principal: str | None
) -> str | None:
    """The leader according to `address`'s /master/redirect, or None if it knows none."""
    response = _request(address, "/master/redirect", timeout, headers)
    location = response.getheader("Location") or ""
    response.read()
    if response.status == 401:
        raise authentication_failed(principal, address)
    if response.status in (301, 302, 307) and location:
        netloc = urlsplit(location if "//" in location else "//" + location).netloc
        return _host_port(netloc) if netloc else address
    if response.status == 503:
        return None
    raise MasterError(f"{address}/master/redirect answered HTTP {response.status}")


def _leader_via_zookeeper(spec: MasterSpec, timeout: float) -> str | None:
    client = KazooClient(hosts=spec.zk_hosts, timeout=max(timeout, 1.0))
    try:
        client.start(timeout=max(timeout, 1.0))
    except KazooTimeoutError:
        raise MasterError(f"ZooKeeper at {spec.zk_hosts} did not answer") from None
    try:
        try:
            children = client.get_children(spec.zk_path)
        except NoNodeError:
            return None
        contenders = sorted(c for c in children if c.startswith("json.info_"))
        if not contenders:
            return None
        data, _ = client.get(f"{spec.zk_path}/{contenders[0]}")
        info: dict[str, Any] = json.loads(data.decode("utf-8"))
        address = info.get("address", {})
        host = address.get("ip") or address.get("hostname") or info.get("hostname")
        port = address.get("port") or info.get("port")
        if not host or not port:
            raise MasterError(f"leader znode {contenders[0]} has no address: {info}")
        return f"{host}:{port}"
    finally:
        client.stop()
        client.close()


def _leader_via_masters(
    spec: MasterSpec, timeout: float, headers: dict[str, str], principal: str | None
) -> tuple[str | None, str]:
    """(leader, problem) after asking each listed master's /master/redirect once.

    A standby can still name a leader that just died, so a named leader is trusted only
    when it answers itself: first one that redirects to itself, else one that at least
    answers HTTP. A named leader that cannot be reached is never returned.
    """
    problem = "no answer"
    answers: dict[str, str | None] = {}
    candidates: list[str] = []
    for address in spec.addresses:
        try:
            named = _leader_via_http(address, timeout, headers, principal)
        except (OSError, http.client.HTTPException) as error:
            problem = f"{address}: {_describe(error)}"
            continue
        answers[address] = named
        if named is None:
            problem = f"{address} knows no leader (HTTP 503)"
        elif named not in candidates:
            candidates.append(named)
    reachable: list[str] = []
    for candidate in candidates:
        if candidate in answers:
            own_view = answers[candidate]
        else:
            try:
                own_view = _leader_via_http(candidate, timeout, headers, principal)
            except (OSError, http.client.HTTPException) as error:
                problem = f"leader {candidate} (named by a master) is unreachable: " + (
                    _describe(error)
                )
                continue
        if own_view == candidate:
            return candidate, ""
        reachable.append(candidate)
    if reachable:
        return reachable[0], ""
    return None, problem


def current_leader(
    spec: MasterSpec, timeout: float, principal: str | None = None, secret: str | None = None
) -> tuple[str | None, str]:
    """One look for the leading master: (host:port, "") or (None, why none was found).

    With zk:// the leader is the lowest json.info_ contender in ZooKeeper (Mesos's
    election); with a list of masters it is the one their /master/redirect names.
    Raises AuthenticationError (401) and MasterError for an unusable ZooKeeper answer.
    """
    if spec.is_zookeeper:
        leader = _leader_via_zookeeper(spec, timeout)
        if leader:
            return leader, ""
        return None, f"no master has registered under {spec.zk_path} in ZooKeeper"
    return _leader_via_masters(spec, timeout, basic_auth_header(principal, secret), principal)


def find_leader(
    spec: MasterSpec, deadline: float, principal: str | None = None, secret: str | None = None
) -> str:
    """host:port of the leading master; MasterError once `deadline` (monotonic) passes."""
    last_problem = "no answer"
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise MasterError(
                f"no leading Mesos master found at {spec.raw} in time: {last_problem}"
            )
        per_request = max(0.2, min(PER_REQUEST_TIMEOUT, remaining))
        try:
            leader, last_problem = current_leader(spec, per_request, principal, secret)
            if leader:
                return leader
        except AuthenticationError:
            raise  # retrying the same credentials cannot help
        except MasterError as error:
            last_problem = str(error)
        logger.debug("leader not found yet: %s", last_problem)
        time.sleep(min(RETRY_PAUSE, max(0.0, deadline - time.monotonic())))


def master_state(
    leader: str, timeout: float, principal: str | None = None, secret: str | None = None
) -> dict[str, Any]:
    headers = basic_auth_header(principal, secret)
    try:
        response = _request(leader, "/master/state", timeout, headers)
        body = response.read()
    except (OSError, http.client.HTTPException) as error:
        raise MasterError(f"{leader}/master/state: {_describe(error)}") from error
    if response.status == 401:
        raise authentication_failed(principal, leader)
    if response.status == 403:
        raise AuthorizationError(
            f"principal '{principal}' may not read {leader}/master/state (HTTP 403): "
            "the master's ACLs (get_endpoints) refuse it"
        )
    if response.status != 200:
        raise MasterError(f"{leader}/master/state answered HTTP {response.status}")
    try:
        state: dict[str, Any] = json.loads(body.decode("utf-8"))
    except ValueError as error:
        raise MasterError(f"{leader}/master/state is not JSON: {error}") from error
    return state


def active_agents(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [agent for agent in state.get("slaves", []) if agent.get("active", True)]


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve host ({error.strerror})"
    return str(error) or type(error).__name__
