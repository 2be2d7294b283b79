"""Command-line and environment flags, parsed the way Apache Mesos (stout) parses them.

`--name=value`, `--name` / `--no-name` for booleans, `MESOS_<NAME>` environment variables
(command line wins), `file:///path` values read from the file. A flag no Mesos daemon knows
aborts start-up with "Failed to load unknown flag '<name>'"; a flag Mesos knows but
mesos-lite does not implement is accepted with a one-line warning.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mesos_lite.durations import format_duration, parse_bytes, parse_duration

logger = logging.getLogger(__name__)

Parser = Callable[[str], Any]


class FlagError(Exception):
    """The flags cannot be loaded; the message is what the daemon prints before exiting."""


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"Expecting a boolean (e.g., true or false) but got '{text}'")


def parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"Failed to convert '{text}' to number") from None


def parse_float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"Failed to convert '{text}' to number") from None


KIND_PARSERS: dict[str, Parser] = {
    "str": str,
    # stout's Path: the value is the path (a `file://` prefix is dropped); the file is
    # never read by the flag loader, so /flags shows the path, never what the file holds.
    "path": str,
    # stout's SecurePathOrValue (--zk, --master): a `file://` value is read, but /flags
    # shows the path instead of the contents.
    "secure": str,
    "bool": parse_bool,
    "int": parse_int,
    "float": parse_float,
    "duration": parse_duration,
    "bytes": parse_bytes,
}


@dataclass(frozen=True)
class Flag:
    """A flag mesos-lite implements."""

    name: str
    kind: str = "str"
    default: Any = None
    help: str = ""


@dataclass
class LoadedFlags:
    values: dict[str, Any]
    # The raw text of every flag that was given, by canonical name, for /master/flags.
    given: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None


def _read_file_value(name: str, value: str) -> str:
    if not value.startswith("file://"):
        return value
    path = value[len("file://") :]
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as error:
        raise FlagError(
            f"Failed to load flag '{name}': Error reading file '{path}': {error.strerror}"
        ) from None


# Flags Mesos declares as stout Paths even where mesos-lite does not implement them: their
# files hold secrets, so they are never read here.
PATH_FLAGS = frozenset({"credentials", "credential", "http_credentials", "jwt_secret_key"})
_URL_PASSWORD = re.compile(r"^(zk://[^:@/]*:)[^@/]*@")


def strip_file_scheme(value: str) -> str:
    return value[len("file://") :] if value.startswith("file://") else value


def hide_url_password(text: str) -> str:
    """zk://user:pass@hosts/path -> zk://user:******@hosts/path, for /flags and logs."""
    return _URL_PASSWORD.sub(r"\1******@", text)


def _split_argument(argument: str) -> tuple[str, str | None]:
    body = argument[2:]
    name, sep, value = body.partition("=")
    return name.replace("-", "_"), (value if sep else None)


def load_flags(
    implemented: Sequence[Flag],
    known: Mapping[str, bool],
    aliases: Mapping[str, str],
    argv: Sequence[str],
    environ: Mapping[str, str],
) -> LoadedFlags:
    """Parse argv (without the program name) and MESOS_* variables into flag values.

    `known` maps every flag name Mesos accepts (implemented or not) to whether it is boolean.
    """
    kinds = {flag.name: flag.kind for flag in implemented}
    is_bool = dict(known)
    for flag in implemented:
        is_bool[flag.name] = flag.kind == "bool"
    raw: dict[str, str] = {}

    # Environment first; only names Mesos knows are read (others are silently ignored).
    for name in is_bool:
        env_value = environ.get("MESOS_" + name.upper())
        if env_value is not None:
            raw[aliases.get(name, name)] = env_value

    seen_on_command_line: set[str] = set()
    for argument in argv:
        if not argument.startswith("--"):
            raise FlagError(f"Failed to load unknown flag '{argument}'")
        name, value = _split_argument(argument)
        if value is None and name.startswith("no_") and is_bool.get(name[3:]):
            name, value = name[3:], "false"
        if name not in is_bool:
            raise FlagError(f"Failed to load unknown flag '{name}'")
        if value is None:
            if not is_bool[name]:
                raise FlagError(f"Failed to load non-boolean flag '{name}': Missing value")
            value = "true"
        canonical = aliases.get(name, name)
        if canonical in seen_on_command_line:
            raise FlagError(f"Flag '{name}' is already loaded")
        seen_on_command_line.add(canonical)
        raw[canonical] = value

    values: dict[str, Any] = {flag.name: flag.default for flag in implemented}
    ignored: list[str] = []
    for name, given_text in raw.items():
        kind = kinds.get(name)
        if kind == "path" or name in PATH_FLAGS:
            path = strip_file_scheme(given_text)
            raw[name] = path
            if kind is None:
                ignored.append(name)
            else:
                values[name] = path
            continue
        text = _read_file_value(name, given_text)
        secure_file = kind == "secure" and given_text.startswith("file://")
        raw[name] = strip_file_scheme(given_text) if secure_file else text
        if kind is None:
            if is_bool.get(name):
                try:
                    parse_bool(text)
                except ValueError as error:
                    raise FlagError(f"Failed to load flag '{name}': {error}") from None
            ignored.append(name)
            continue
        try:
            values[name] = KIND_PARSERS[kind](text)
        except ValueError as error:
            raise FlagError(f"Failed to load flag '{name}': {error}") from None
    return LoadedFlags(values=values, given=raw, ignored=sorted(ignored))


def warn_ignored(loaded: LoadedFlags) -> None:
    for name in loaded.ignored:
        logger.warning(
            "Flag --%s is accepted for compatibility with Apache Mesos but has no effect in "
            "mesos-lite",
            name,
        )


def flags_as_strings(implemented: Sequence[Flag], loaded: LoadedFlags) -> dict[str, str]:
    """Every flag's value as text, as Mesos reports them in /flags and GET_FLAGS."""
    shown: dict[str, str] = {}
    for flag in implemented:
        if flag.name in loaded.given:
            shown[flag.name] = loaded.given[flag.name]
        elif flag.default is not None:
            shown[flag.name] = _default_text(flag)
    for name in loaded.ignored:
        shown[name] = loaded.given[name]
    # Mesos would show an inline ZooKeeper password; mesos-lite never shows a secret.
    return {name: hide_url_password(value) for name, value in sorted(shown.items())}


def _default_text(flag: Flag) -> str:
    if flag.kind == "bool":
        return "true" if flag.default else "false"
    if isinstance(flag.default, str):
        return flag.default
    if flag.kind == "duration":
        return format_duration(float(flag.default))
    return str(flag.default)


def usage(program: str, implemented: Sequence[Flag]) -> str:
    lines = [f"Usage: {program} [options]", ""]
    for flag in implemented:
        form = f"--[no-]{flag.name}" if flag.kind == "bool" else f"--{flag.name}=VALUE"
        default = f" (default: {_default_text(flag)})" if flag.default is not None else ""
        lines.append(f"  {form:<40} {flag.help}{default}")
    return "\n".join(lines)


def environment() -> Mapping[str, str]:
    return os.environ
