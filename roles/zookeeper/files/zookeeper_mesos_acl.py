#!/usr/bin/env python3
"""Give the Mesos znode the ACL Mesos itself uses with digest authentication.

Mesos creates its znodes world-readable and writable only by the digest identity it connects
with; a path created before authentication was turned on (or by anyone else) stays open to
every client. This sets `world:anyone:r` + `digest:<user>:<hash>:cdrwa` on the path, creating
it (and its parents) when missing. Frameworks and tools can still read the leader without
credentials.

Reads its settings as JSON on stdin, so the password is never in argv (ps) or a file:
    {"cli": "/usr/share/zookeeper/bin/zkCli.sh", "server": "127.0.0.1:2181",
     "path": "/mesos", "username": "mesos", "password": "...", "check": false}
("check": true only reports whether the ACL would change, as Ansible's check mode).
and talks to ZooKeeper through zkCli.sh, whose commands also go through stdin.

Prints {"changed": true|false, "acl": [...]} on success (exit 0); on failure a message on
stderr (exit 1). Neither ever holds the password.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass

# zkCli prints each ACL entry as two lines: "'<scheme>,'<id>" then ": <perms>".
SCHEME_PREFIX = "'"
PERMS_PREFIX = ": "
NO_NODE = "Node does not exist"
NO_AUTH = "Insufficient permission"


class AclError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    cli: str
    server: str
    path: str
    username: str
    password: str
    check: bool = False

    @classmethod
    def from_json(cls, text: str) -> Settings:
        try:
            raw = json.loads(text)
            settings = cls(
                cli=str(raw["cli"]),
                server=str(raw["server"]),
                path=str(raw["path"]),
                username=str(raw["username"]),
                password=str(raw["password"]),
                check=bool(raw.get("check", False)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise AclError(f"expected JSON settings on stdin: {error}") from None
        if not settings.path.startswith("/") or not settings.username or not settings.password:
            raise AclError("path must be absolute, username and password non-empty")
        return settings

    def digest_id(self) -> str:
        """The id ZooKeeper's digest scheme stores: user:base64(sha1(user:password))."""
        hashed = hashlib.sha1(f"{self.username}:{self.password}".encode()).digest()
        return f"{self.username}:{base64.b64encode(hashed).decode()}"

    def wanted_acl(self) -> set[tuple[str, str, str]]:
        return {("world", "anyone", "r"), ("digest", self.digest_id(), "cdrwa")}


def run_cli(settings: Settings, commands: list[str]) -> str:
    script = "\n".join([*commands, "quit", ""])
    try:
        completed = subprocess.run(
            [settings.cli, "-server", settings.server],
            input=script,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AclError(f"could not run {settings.cli}: {error}") from None
    return completed.stdout + completed.stderr


def parse_acl(output: str) -> set[tuple[str, str, str]] | None:
    """The ACL entries getAcl printed, or None when the node does not exist."""
    if NO_NODE in output:
        return None
    entries: set[tuple[str, str, str]] = set()
    scheme_line: str | None = None
    for line in output.splitlines():
        if line.startswith(SCHEME_PREFIX) and ",'" in line:
            scheme_line = line
        elif line.startswith(PERMS_PREFIX) and scheme_line is not None:
            scheme, _, ident = scheme_line[1:].partition(",'")
            entries.add((scheme, ident, "".join(sorted(line[len(PERMS_PREFIX) :].strip()))))
            scheme_line = None
    return entries


def normalised(acl: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    return {(scheme, ident, "".join(sorted(perms))) for scheme, ident, perms in acl}


def parents(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: index + 1]) for index in range(len(parts))]


def describe(acl: set[tuple[str, str, str]]) -> list[str]:
    # The digest hash is not the password, but it is what an attacker would crack: show ids only.
    return sorted(f"{scheme}:{ident.split(':', 1)[0]}:{perms}" for scheme, ident, perms in acl)


def ensure_acl(settings: Settings) -> dict[str, object]:
    wanted = normalised(settings.wanted_acl())
    # ZooKeeper (3.6+) shows a digest id's hash only to a session authenticated as that id,
    # so asking authenticated also tells whether the ACL was set with this password.
    login = f"addauth digest {settings.username}:{settings.password}"
    current = parse_acl(run_cli(settings, [login, f"getAcl {settings.path}"]))
    if current is not None and normalised(current) == wanted:
        return {"changed": False, "acl": describe(wanted)}
    if settings.check:
        return {"changed": True, "acl": describe(wanted)}

    acl_text = f"world:anyone:r,digest:{settings.digest_id()}:cdrwa"
    commands = [login]
    commands += [f"create {path}" for path in parents(settings.path)]
    commands += [f"setAcl {settings.path} {acl_text}", f"getAcl {settings.path}"]
    output = run_cli(settings, commands)
    after = parse_acl(output)
    if after is None or normalised(after) != wanted:
        reason = (
            "the znode's ACL lets this identity not change it (another password or user "
            "set it; reset it with ZooKeeper's super user)"
            if NO_AUTH in output
            else f"it is {describe(after) if after else 'missing'}"
        )
        raise AclError(
            f"could not set {describe(wanted)} on {settings.path} at {settings.server}: {reason}"
        )
    return {"changed": True, "acl": describe(wanted)}


def main() -> int:
    try:
        settings = Settings.from_json(sys.stdin.read())
        result = ensure_acl(settings)
    except AclError as error:
        sys.stderr.write(f"zookeeper_mesos_acl: {error}\n")
        return 1
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
