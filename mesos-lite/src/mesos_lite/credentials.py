"""Credential files, read as Apache Mesos 1.11 reads them (JSON only; the old
`principal secret` text format was dropped in 1.11).

--credentials / --http_credentials: {"credentials": [{"principal": "p", "secret": "s"}, ...]}
--credential (agent):               {"principal": "p", "secret": "s"}

Error texts are Mesos's, followed by " (see --<flag> flag)" as the daemons print them.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


class CredentialsError(Exception):
    """A credentials file cannot be used; the message is what the daemon exits with."""


@dataclass(frozen=True)
class Credential:
    principal: str
    # Never logged or shown; repr hides it so a stray log line cannot leak it.
    secret: str = ""

    def __repr__(self) -> str:
        return f"Credential(principal={self.principal!r}, secret=<hidden>)"


def strip_file_scheme(value: str) -> str:
    """A Path flag's value: Mesos accepts both `file:///path` and `/path`."""
    return value[len("file://") :] if value.startswith("file://") else value


def _read(path: str, what: str) -> str | None:
    """The file's text, or None when it is empty (Mesos treats that as "no credentials")."""
    logger.info("Loading %s for authentication from '%s'", what, path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise CredentialsError(
            f"Failed to read {what} file '{path}': {error.strerror or error}"
        ) from None
    except UnicodeDecodeError as error:
        raise CredentialsError(f"Failed to read {what} file '{path}': {error}") from None
    if not text:
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        logger.warning("Failed to stat %s file '%s': %s", what, path, error.strerror)
    else:
        if mode & stat.S_IRWXO:
            logger.warning(
                "Permissions on %s file '%s' are too open; it is recommended that your "
                "%s file is NOT accessible by others",
                what,
                path,
                what,
            )
    return text


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise CredentialsError(f"Invalid json format: {error}") from None


def _credential_from(item: Any, where: str) -> Credential:
    if not isinstance(item, dict):
        raise CredentialsError(f"Expecting a JSON object for '{where}'")
    principal = item.get("principal")
    if principal is None:
        raise CredentialsError(f"Missing required fields: {where}principal")
    if not isinstance(principal, str):
        raise CredentialsError(
            f"Not expecting a JSON {type(principal).__name__} for field 'principal'"
        )
    secret = item.get("secret", "")
    if not isinstance(secret, str):
        raise CredentialsError(f"Not expecting a JSON {type(secret).__name__} for field 'secret'")
    return Credential(principal, secret)


def read_credentials(path_flag: str, flag: str = "credentials") -> dict[str, str]:
    """principal -> secret from a --credentials / --http_credentials file."""
    path = strip_file_scheme(path_flag)
    suffix = f" (see --{flag} flag)"
    try:
        text = _read(path, "credentials")
        if text is None:
            raise CredentialsError("Credentials file must contain at least one credential")
        body = _parse_json(text)
        if not isinstance(body, dict):
            raise CredentialsError("Invalid json format: expecting a JSON object")
        items = body.get("credentials", [])
        if not isinstance(items, list):
            raise CredentialsError(
                "Failed to parse credentials: Not expecting a JSON "
                f"{type(items).__name__} for field 'credentials'"
            )
        credentials: dict[str, str] = {}
        for index, item in enumerate(items):
            try:
                credential = _credential_from(item, f"credentials[{index}].")
            except CredentialsError as error:
                raise CredentialsError(f"Failed to parse credentials: {error}") from None
            credentials[credential.principal] = credential.secret
        return credentials
    except CredentialsError as error:
        raise CredentialsError(f"{error}{suffix}") from None


def read_credential(path_flag: str) -> Credential:
    """The agent's --credential file."""
    path = strip_file_scheme(path_flag)
    suffix = " (see --credential flag)"
    try:
        text = _read(path, "credential")
        if text is None:
            raise CredentialsError(f"Empty credential file '{path}'")
        body = _parse_json(text)
        try:
            return _credential_from(body, "")
        except CredentialsError as error:
            raise CredentialsError(f"Failed to parse credential: {error}") from None
    except CredentialsError as error:
        raise CredentialsError(f"{error}{suffix}") from None
