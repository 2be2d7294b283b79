"""HTTP Basic authentication by realm, as libprocess and Apache Mesos 1.11 do it.

Every route belongs to a realm (or to none: always open). A realm with an authenticator
requires `Authorization: Basic base64(principal:secret)` matching a credential; anything else
gets 401 with `WWW-Authenticate: Basic realm="<realm>"` and an empty body. The authenticated
principal is kept on the request for authorization (see `principal_of`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mesos_lite.agent_protocol import AGENT_PATH
from mesos_lite.authorization import Authorizer
from mesos_lite.routing import endpoint_path

logger = logging.getLogger(__name__)

# Realm names from src/master/constants.hpp and src/slave/constants.hpp.
MASTER_READONLY = "mesos-master-readonly"
MASTER_READWRITE = "mesos-master-readwrite"
MASTER_SCHEDULER = "mesos-master-scheduler"
AGENT_READONLY = "mesos-agent-readonly"
AGENT_READWRITE = "mesos-agent-readwrite"
BASIC = "basic"

PRINCIPAL_KEY = "mesos_lite.principal"

# Routes libprocess serves without a realm.
MASTER_OPEN_PATHS = frozenset(
    {
        "/health",
        "/master/health",
        "/version",
        "/redirect",
        "/master/redirect",
        # mesos-lite's agent link: agents authenticate there with --credential when the
        # master has --authenticate_agents (Mesos: CRAM-MD5 over libprocess).
        AGENT_PATH,
    }
)
MASTER_SCHEDULER_PATHS = frozenset({"/api/v1/scheduler", "/master/api/v1/scheduler"})
# As master.cpp's route() calls: the maintenance, machine, weights and quota endpoints are in
# the read-write realm (/maintenance/status is read-only).
_MASTER_READWRITE_ENDPOINTS = (
    "/api/v1",
    "/teardown",
    "/maintenance/schedule",
    "/machine/down",
    "/machine/up",
    "/weights",
    "/quota",
)
MASTER_READWRITE_PATHS = frozenset(
    {"/logging/toggle"}
    | set(_MASTER_READWRITE_ENDPOINTS)
    | {f"/master{path}" for path in _MASTER_READWRITE_ENDPOINTS}
)
AGENT_OPEN_PATHS = frozenset(
    {
        "/health",
        "/slave(1)/health",
        "/version",
        # Mesos authenticates executors with JWT tokens (--authenticate_http_executors),
        # which mesos-lite does not implement; the executor API is never behind Basic auth.
        "/api/v1/executor",
        "/slave(1)/api/v1/executor",
    }
)
AGENT_READWRITE_PATHS = frozenset({"/api/v1", "/slave(1)/api/v1", "/logging/toggle"})


def master_realm(path: str) -> str | None:
    if path in MASTER_OPEN_PATHS:
        return None
    if path in MASTER_SCHEDULER_PATHS:
        return MASTER_SCHEDULER
    if path in MASTER_READWRITE_PATHS:
        return MASTER_READWRITE
    return MASTER_READONLY


def agent_realm(path: str) -> str | None:
    if path in AGENT_OPEN_PATHS:
        return None
    if path in AGENT_READWRITE_PATHS:
        return AGENT_READWRITE
    return AGENT_READONLY


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(principal, secret) from an Authorization header, parsed as libprocess parses it
    (exactly `Basic <base64>`, and one ':' in the decoded text)."""
    if header is None:
        return None
    parts = header.split(" ")
    if len(parts) != 2 or parts[0] != "Basic":
        return None
    try:
        decoded = base64.b64decode(parts[1], validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    pieces = decoded.split(":")
    if len(pieces) != 2:
        return None
    return pieces[0], pieces[1]


def check_secret(credentials: dict[str, str], principal: str, secret: str) -> bool:
    expected = credentials.get(principal)
    return expected is not None and hmac.compare_digest(
        expected.encode("utf-8"), secret.encode("utf-8")
    )


@dataclass
class BasicAuthenticator:
    realm: str
    credentials: dict[str, str]

    def authenticate(self, header: str | None) -> str | None:
        """The authenticated principal, or None."""
        pair = basic_credentials(header)
        if pair is None or not check_secret(self.credentials, *pair):
            return None
        return pair[0]

    def challenge(self) -> web.Response:
        return web.Response(status=401, headers={"WWW-Authenticate": f'Basic realm="{self.realm}"'})


@dataclass
class HttpSecurity:
    """What a daemon's HTTP server enforces: authenticators by realm and the authorizer."""

    realm_of: Callable[[str], str | None]
    authenticators: dict[str, BasicAuthenticator] = field(default_factory=dict)
    authorizer: Authorizer | None = None

    def approved(self, request: web.Request, action: str, obj: str | None) -> bool:
        if self.authorizer is None:
            return True
        return self.authorizer.approved(action, principal_of(request), obj)


def principal_of(request: web.Request) -> str | None:
    principal = request.get(PRINCIPAL_KEY)
    return principal if isinstance(principal, str) else None


def forbidden(message: str = "") -> web.Response:
    return web.Response(status=403, text=message)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def authentication_middleware(security: HttpSecurity) -> Callable[..., Awaitable[Any]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Unknown paths are 404 before any authentication, as in libprocess.
        if request.match_info.http_exception is None:
            realm = security.realm_of(endpoint_path(request))
            authenticator = security.authenticators.get(realm) if realm else None
            if authenticator is not None:
                principal = authenticator.authenticate(request.headers.get("Authorization"))
                if principal is None:
                    # Never log the header: it carries the secret.
                    logger.info(
                        "Rejected unauthenticated HTTP %s for %s from %s (realm '%s')",
                        request.method,
                        request.path,
                        request.remote,
                        realm,
                    )
                    return authenticator.challenge()
                request[PRINCIPAL_KEY] = principal
        return await handler(request)

    return middleware
