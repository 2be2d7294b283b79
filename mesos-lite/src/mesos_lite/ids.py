"""Identifiers formed as Apache Mesos forms them."""

from __future__ import annotations

import itertools
import os
import re
import uuid


def new_uuid() -> str:
    return str(uuid.uuid4())


class IdSequence:
    """`<prefix>-<letter><n>` ids (agents "S0", offers "O1") or `<prefix>-NNNN` (frameworks)."""

    def __init__(self, prefix: str, letter: str, width: int = 0, start: int = 0) -> None:
        self._prefix = prefix
        self._letter = letter
        self._width = width
        self._counter = itertools.count(start)

    def next(self) -> str:
        number = next(self._counter)
        return f"{self._prefix}-{self._letter}{number:0{self._width}d}"


# iscntrl() or a path separator (POSIX or Windows).
_INVALID_ID_CHARACTER = re.compile(r"[\x00-\x1f\x7f/\\]")
# Linux's NAME_MAX: Mesos maps ids to directory names, so one must fit in one.
NAME_MAX = 255


def id_problem(value: str) -> str | None:
    """Why `value` is not a valid Mesos id (common/validation.cpp validateID), or None."""
    if not value:
        return "ID must not be empty"
    if len(value) > NAME_MAX:
        return f"ID must not be greater than {NAME_MAX} characters"
    if value in (".", ".."):
        return f"'{value}' is disallowed"
    if _INVALID_ID_CHARACTER.search(value):
        return f"'{value}' contains invalid characters"
    return None


# Whitespace, slash-free components: what Mesos's roles::validate refuses in a role component.
_ROLE_INVALID_CHARACTERS = frozenset("\x09\x0a\x0b\x0c\x0d\x20\x7f\\")


def role_problem(role: str) -> str | None:
    """Why `role` is not a valid (hierarchical) Mesos role name, or None."""
    if role == "*":
        return None
    if not role:
        return "Empty role name is invalid"
    if role.startswith("/"):
        return f"Role '{role}' cannot start with a slash"
    if role.endswith("/"):
        return f"Role '{role}' cannot end with a slash"
    if "//" in role:
        return f"Role '{role}' cannot contain two adjacent slashes"
    for component in role.split("/"):
        if component in (".", "..", "*"):
            return f"Role '{role}' cannot include '{component}' as a path component"
        if component.startswith("-"):
            return f"Role component '{component}' is invalid because it starts with a dash"
        if any(c in _ROLE_INVALID_CHARACTERS or ord(c) < 0x20 for c in component):
            return (
                f"Role component '{component}' is invalid because it contains backslash, "
                "whitespace or control characters"
            )
    return None


class UnsafePathError(ValueError):
    """A path built from ids that would leave the directory it must stay in."""


def contained_path(root: str, *parts: str) -> str:
    """`root/part/...` where every part is one valid path component (an id or a fixed
    name), checked again on the joined text so nothing can climb out of `root`."""
    for part in parts:
        problem = id_problem(part)
        if problem is not None:
            raise UnsafePathError(f"Refusing path component {part!r}: {problem}")
    path = os.path.join(root, *parts)
    base = os.path.normpath(root)
    if os.path.commonpath([base, os.path.normpath(path)]) != base:
        raise UnsafePathError(f"Refusing path {path!r} outside {root!r}")
    return path
