"""Identifiers formed as Apache Mesos forms them."""

from __future__ import annotations

import itertools
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
