"""Authentication and authorization flags of master and agent, checked at start-up with
Apache Mesos's messages, turned into what the daemons enforce."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mesos_lite.authentication import (
    AGENT_READONLY,
    AGENT_READWRITE,
    BASIC,
    MASTER_READONLY,
    MASTER_READWRITE,
    MASTER_SCHEDULER,
    BasicAuthenticator,
    HttpSecurity,
    agent_realm,
    master_realm,
)
from mesos_lite.authorization import AclsError, Authorizer, load_acls
from mesos_lite.credentials import Credential, CredentialsError, read_credential, read_credentials
from mesos_lite.flags import Flag, LoadedFlags

logger = logging.getLogger(__name__)

DEFAULT_AUTHENTICATOR = "crammd5"
DEFAULT_AUTHORIZER = "local"

_HTTP_FLAGS = [
    Flag("authenticate_http_readonly", "bool", False, "Require HTTP auth on read-only endpoints"),
    Flag("authenticate_http_readwrite", "bool", False, "Require HTTP auth on read-write ones"),
    Flag("http_authenticators", "str", BASIC, "HTTP authenticators (only 'basic')"),
    Flag("acls", help="ACLs for the local authorizer: JSON or file:///path"),
]
MASTER_SECURITY_FLAGS = [
    *_HTTP_FLAGS,
    Flag("authenticate_frameworks", "bool", False, "Only authenticated (v0) frameworks"),
    Flag("authenticate_agents", "bool", False, "Only authenticated agents may register"),
    Flag("authenticate_http_frameworks", "bool", False, "Authenticate HTTP schedulers"),
    Flag("http_framework_authenticators", help="Authenticators for HTTP schedulers ('basic')"),
    Flag("credentials", "path", help="JSON credentials file (file:///path or /path)"),
    Flag("authenticators", "str", DEFAULT_AUTHENTICATOR, "Framework/agent authenticator"),
    Flag("authorizers", "str", DEFAULT_AUTHORIZER, "Only 'local' (ACLs from --acls)"),
]
MASTER_SECURITY_ALIASES = {"authenticate": "authenticate_frameworks"}
AGENT_SECURITY_FLAGS = [
    *_HTTP_FLAGS,
    Flag("credential", "path", help="JSON {principal, secret} to authenticate with the master"),
    Flag("http_credentials", "path", help="JSON credentials for the agent's HTTP endpoints"),
    Flag("authenticatee", "str", DEFAULT_AUTHENTICATOR, "Authenticatee (only 'crammd5')"),
    Flag("authorizer", "str", DEFAULT_AUTHORIZER, "Only 'local' (ACLs from --acls)"),
]


class SecurityFlagError(Exception):
    """Start-up must stop; the message is Mesos's."""


@dataclass
class MasterSecurity:
    http: HttpSecurity
    authenticate_agents: bool
    # principal -> secret from --credentials (None without the flag).
    credentials: dict[str, str] | None


@dataclass
class AgentSecurity:
    http: HttpSecurity
    credential: Credential | None


def _authorizer(flags: LoadedFlags, name: str) -> Authorizer | None:
    if name != DEFAULT_AUTHORIZER:
        raise SecurityFlagError(
            f"Authorizer '{name}' not found. Check the spelling (compare to "
            f"'{DEFAULT_AUTHORIZER}') or verify that the authorizer was loaded successfully "
            "(see --modules)"
        )
    if not flags.acls:
        return None
    try:
        authorizer = load_acls(flags.acls)
    except AclsError as error:
        raise SecurityFlagError(f"Failed to load flag 'acls': {error}") from None
    logger.info("Authorization enabled")
    return authorizer


def _http_authenticator(
    realm: str, names_text: str, credentials: dict[str, str] | None
) -> BasicAuthenticator:
    names = [n for n in names_text.split(",") if n]
    if not names:
        raise SecurityFlagError(f"No HTTP authenticators specified for realm '{realm}'")
    for name in names:
        if name != BASIC:
            raise SecurityFlagError(
                f"Failed to create HTTP authenticator module '{name}': HTTP authenticator "
                f"'{name}' not found. Check the spelling (compare to '{BASIC}') or verify "
                "that the authenticator was loaded successfully (see --modules)"
            )
    if credentials is None:
        raise SecurityFlagError(
            f"Failed to create HTTP authenticator module '{BASIC}': No credentials provided "
            f"for the default '{BASIC}' HTTP authenticator for realm '{realm}'"
        )
    logger.info("Creating default '%s' HTTP authenticator for realm '%s'", BASIC, realm)
    return BasicAuthenticator(realm, credentials)


def _add_operator_authenticators(
    http: HttpSecurity,
    flags: LoadedFlags,
    readonly_realm: str,
    readwrite_realm: str,
    credentials: dict[str, str] | None,
) -> None:
    """--authenticate_http_readonly / --authenticate_http_readwrite: Basic authentication of
    the read-only and the read-write operator endpoints, each in its own realm."""
    for realm, wanted in (
        (readonly_realm, flags.authenticate_http_readonly),
        (readwrite_realm, flags.authenticate_http_readwrite),
    ):
        if wanted:
            http.authenticators[realm] = _http_authenticator(
                realm, flags.http_authenticators, credentials
            )


def master_security(flags: LoadedFlags) -> MasterSecurity:
    if flags.authenticate_frameworks:
        logger.info("Master only allowing authenticated frameworks to register")
    else:
        logger.info("Master allowing unauthenticated frameworks to register")
    if flags.authenticate_agents:
        logger.info("Master only allowing authenticated agents to register")
    else:
        logger.info("Master allowing unauthenticated agents to register")
    if flags.authenticate_http_frameworks:
        logger.info("Master only allowing authenticated HTTP frameworks to register")
    else:
        logger.info("Master allowing HTTP frameworks to register without authentication")

    credentials: dict[str, str] | None = None
    if flags.credentials:
        try:
            credentials = read_credentials(flags.credentials, "credentials")
        except CredentialsError as error:
            raise SecurityFlagError(str(error)) from None

    names = flags.authenticators.split(",") if flags.authenticators else []
    if not names:
        raise SecurityFlagError("No authenticator specified")
    if len(names) > 1:
        raise SecurityFlagError("Multiple authenticators not supported")
    if names[0] != DEFAULT_AUTHENTICATOR:
        raise SecurityFlagError(
            f"Authenticator '{names[0]}' not found. Check the spelling (compare to "
            f"'{DEFAULT_AUTHENTICATOR}') or verify that the authenticator was loaded "
            "successfully (see --modules)"
        )
    logger.info("Using default '%s' authenticator", DEFAULT_AUTHENTICATOR)

    http = HttpSecurity(master_realm)
    _add_operator_authenticators(http, flags, MASTER_READONLY, MASTER_READWRITE, credentials)
    if flags.authenticate_http_frameworks:
        if flags.http_framework_authenticators is None:
            raise SecurityFlagError(
                "Missing `--http_framework_authenticators` flag. This must be used in "
                "conjunction with `--authenticate_http_frameworks`"
            )
        http.authenticators[MASTER_SCHEDULER] = _http_authenticator(
            MASTER_SCHEDULER, flags.http_framework_authenticators, credentials
        )
    if flags.authenticate_frameworks and not flags.authenticate_http_frameworks:
        logger.warning(
            "--authenticate_frameworks applies to driver (v0) frameworks only; HTTP API "
            "schedulers such as pymesos are authenticated only with "
            "--authenticate_http_frameworks"
        )
    if flags.authenticate_agents and credentials is None:
        logger.warning("--authenticate_agents without --credentials: no agent can authenticate")
    http.authorizer = _authorizer(flags, flags.authorizers)
    return MasterSecurity(http, bool(flags.authenticate_agents), credentials)


def agent_security(flags: LoadedFlags) -> AgentSecurity:
    credential: Credential | None = None
    if flags.credential:
        try:
            credential = read_credential(flags.credential)
        except CredentialsError as error:
            raise SecurityFlagError(str(error)) from None
        logger.info("Agent using credential for: %s", credential.principal)
    http_credentials: dict[str, str] | None = None
    if flags.http_credentials:
        try:
            http_credentials = read_credentials(flags.http_credentials, "http_credentials")
        except CredentialsError as error:
            raise SecurityFlagError(str(error)) from None
    if flags.authenticatee != DEFAULT_AUTHENTICATOR:
        raise SecurityFlagError(
            f"Could not create authenticatee module '{flags.authenticatee}': authenticatee "
            "not found (mesos-lite only has the default 'crammd5')"
        )
    http = HttpSecurity(agent_realm)
    _add_operator_authenticators(http, flags, AGENT_READONLY, AGENT_READWRITE, http_credentials)
    http.authorizer = _authorizer(flags, flags.authorizer)
    return AgentSecurity(http, credential)
