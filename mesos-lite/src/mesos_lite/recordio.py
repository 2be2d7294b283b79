"""RecordIO framing (docs/recordio.md): each record is `<decimal length>\\n<bytes>`."""

from __future__ import annotations

import json
from typing import Any

# Records larger than this are refused rather than buffered (a malformed length prefix
# would otherwise make the reader wait for gigabytes).
MAX_RECORD_BYTES = 64 * 1024 * 1024


class RecordIOError(ValueError):
    pass


def encode(record: bytes) -> bytes:
    return str(len(record)).encode("ascii") + b"\n" + record


def encode_json(event: dict[str, Any]) -> bytes:
    return encode(json.dumps(event, separators=(",", ":")).encode("utf-8"))


class Decoder:
    """Incremental decoder: feed() bytes as they arrive, get the complete records."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        records: list[bytes] = []
        while True:
            newline = self._buffer.find(b"\n")
            if newline < 0:
                if len(self._buffer) > 20:
                    raise RecordIOError("Record length prefix is too long")
                return records
            prefix = self._buffer[:newline]
            if not prefix.isdigit():
                raise RecordIOError(f"Invalid record length prefix {prefix[:20]!r}")
            length = int(prefix)
            if length > MAX_RECORD_BYTES:
                raise RecordIOError(f"Record of {length} bytes exceeds the limit")
            end = newline + 1 + length
            if len(self._buffer) < end:
                return records
            records.append(self._buffer[newline + 1 : end])
            self._buffer = self._buffer[end:]
