"""The protobuf (proto2) wire format of the v1 APIs' `application/x-protobuf` content type.

Driven by the same message table that validates JSON calls (schema/): `decode` turns bytes
into the dict the JSON path produces (enums by name, bytes base64, 64-bit integers as ints),
so the validation layer then checks it as it checks JSON; `encode` turns the event and
response dicts mesos-lite builds into bytes. As protobuf's own parser does: unknown fields
(and known ones on an unexpected wire type) are skipped, groups included; an enum number the
table does not know leaves the field unset; a non-repeated message given twice is merged,
a scalar given twice keeps the last; packed repeated scalars are read. Unlike it, strings
must be UTF-8 (a Python str cannot carry anything else) and nesting stops at MAX_DEPTH.
Keys of an outgoing dict that the table lacks are not written.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import struct
from typing import Any, NamedTuple

from mesos_lite.schema import ENUMS, MESSAGES, field_spec

logger = logging.getLogger(__name__)

# protobuf's default recursion limit (io::CodedInputStream).
MAX_DEPTH = 100

_VARINT, _FIXED64, _LENGTH, _START_GROUP, _END_GROUP, _FIXED32 = 0, 1, 2, 3, 4, 5
_WIRE_TYPES = {
    "string": _LENGTH,
    "bytes": _LENGTH,
    "role": _LENGTH,
    "message": _LENGTH,
    "map": _LENGTH,
    "double": _FIXED64,
    "scalar": _FIXED64,
    "float": _FIXED32,
}
_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")
_U64 = (1 << 64) - 1


class WireError(ValueError):
    """The bytes are not a protobuf encoding of the message."""


class _Field(NamedTuple):
    name: str
    number: int
    kind: str  # a scalar name, "enum" or "message"
    target: str  # the enum or message name
    repeated: bool
    wire_type: int
    tag: bytes  # the encoded key (number << 3 | wire type)


class _Message(NamedTuple):
    by_number: dict[int, _Field]
    in_order: tuple[_Field, ...]  # by field number, as protobuf serializes


def _varint(value: int) -> bytes:
    value &= _U64  # negative int32/int64: ten bytes of two's complement, as protobuf
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _compile(fields: dict[str, str]) -> _Message:
    compiled = []
    for name, described in fields.items():
        spec = field_spec(described)
        if spec.number is None:
            continue  # a JSON-only field
        kind = "message" if spec.kind == "id" else spec.kind
        # A map field is on the wire a repeated entry message {key = 1; value = 2}.
        target = _map_entry(spec.target) if kind == "map" else spec.target
        wire_type = _WIRE_TYPES.get(kind, _VARINT)
        tag = _varint((spec.number << 3) | wire_type)
        field = _Field(name, spec.number, kind, target, spec.repeated, wire_type, tag)
        compiled.append(field)
    compiled.sort(key=lambda f: f.number)
    return _Message({f.number: f for f in compiled}, tuple(compiled))


_MAP_ENTRIES: dict[str, dict[str, str]] = {}


def _map_entry(value_message: str) -> str:
    name = f"map<string, {value_message}>"
    _MAP_ENTRIES[name] = {"key": "string 1", "value": f"{value_message} 2"}
    return name


_TABLE: dict[str, _Message] = {name: _compile(fields) for name, fields in MESSAGES.items()}
_TABLE.update({name: _compile(fields) for name, fields in _MAP_ENTRIES.items()})
_ENUM_NAMES: dict[str, dict[int, str]] = {
    name: {number: value for value, number in values.items()} for name, values in ENUMS.items()
}


# ----- decoding -----
def decode(data: bytes, message: str) -> dict[str, Any]:
    """The dict (JSON shape) of `message` encoded in `data`; WireError if malformed."""
    return _decode(memoryview(data), _TABLE[message], 1)


def _read_varint(data: memoryview, position: int) -> tuple[int, int]:
    result = shift = 0
    for index in range(position, min(position + 10, len(data))):
        byte = data[index]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & _U64, index + 1
        shift += 7
    raise WireError("truncated or overlong varint")


def _skip(data: memoryview, position: int, wire_type: int, number: int, depth: int) -> int:
    """The position after an (unknown) field's value."""
    if wire_type == _VARINT:
        return _read_varint(data, position)[1]
    if wire_type == _FIXED64:
        end = position + 8
    elif wire_type == _FIXED32:
        end = position + 4
    elif wire_type == _LENGTH:
        length, position = _read_varint(data, position)
        end = position + length
    elif wire_type == _START_GROUP:
        if depth > MAX_DEPTH:
            raise WireError("nesting too deep")
        while True:
            key, position = _read_varint(data, position)
            if key & 7 == _END_GROUP:
                if key >> 3 != number:
                    raise WireError("mismatched end of group")
                return position
            position = _skip(data, position, key & 7, key >> 3, depth + 1)
    else:
        raise WireError(f"invalid wire type {wire_type}")
    if end > len(data):
        raise WireError("field runs past the end of the message")
    return end


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _scalar(field: _Field, value: int) -> Any:
    """A varint's value as the field's type (None: an enum number the table lacks)."""
    kind = field.kind
    if kind == "enum":
        return _ENUM_NAMES[field.target].get(_signed(value, 32))
    if kind == "bool":
        return value != 0
    if kind == "int64":
        return _signed(value, 64)
    if kind == "int32":
        return _signed(value, 32)
    if kind == "uint32":
        return value & 0xFFFFFFFF
    return value  # uint64


def _decode(data: memoryview, message: _Message, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise WireError("nesting too deep")
    body: dict[str, Any] = {}
    position, end = 0, len(data)
    while position < end:
        key, position = _read_varint(data, position)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire_type == _END_GROUP:
            raise WireError("end of group outside a group")
        field = message.by_number.get(number)
        packed = (
            field is not None
            and field.repeated
            and wire_type == _LENGTH
            and field.wire_type != _LENGTH
        )
        if field is None or (field.wire_type != wire_type and not packed):
            position = _skip(data, position, wire_type, number, depth)
            continue
        if packed:
            length, position = _read_varint(data, position)
            if position + length > end:
                raise WireError("field runs past the end of the message")
            values = _packed(field, data[position : position + length])
            position += length
            body.setdefault(field.name, []).extend(values)
            continue
        value, position = _value(field, data, position, depth)
        if value is None:
            continue
        if field.kind == "map":
            body.setdefault(field.name, {})[value.get("key", "")] = value.get("value", {})
        elif field.repeated:
            body.setdefault(field.name, []).append(value)
        elif field.kind == "message" and field.name in body:
            _merge(body[field.name], value)
        else:
            body[field.name] = value
    return body


def _value(field: _Field, data: memoryview, position: int, depth: int) -> tuple[Any, int]:
    wire_type = field.wire_type
    if wire_type == _VARINT:
        raw, position = _read_varint(data, position)
        return _scalar(field, raw), position
    if wire_type == _FIXED64:
        if position + 8 > len(data):
            raise WireError("field runs past the end of the message")
        return _DOUBLE.unpack_from(data, position)[0], position + 8
    if wire_type == _FIXED32:
        if position + 4 > len(data):
            raise WireError("field runs past the end of the message")
        return _FLOAT.unpack_from(data, position)[0], position + 4
    length, position = _read_varint(data, position)
    end = position + length
    if end > len(data):
        raise WireError("field runs past the end of the message")
    chunk = data[position:end]
    if field.kind in ("message", "map"):
        return _decode(chunk, _TABLE[field.target], depth + 1), end
    if field.kind == "bytes":
        return base64.b64encode(chunk).decode("ascii"), end
    try:
        return bytes(chunk).decode("utf-8"), end
    except UnicodeDecodeError:
        raise WireError(f"field '{field.name}' is not UTF-8") from None


def _packed(field: _Field, chunk: memoryview) -> list[Any]:
    values: list[Any] = []
    position = 0
    size = {_FIXED64: 8, _FIXED32: 4}.get(field.wire_type)
    while position < len(chunk):
        if size is not None:
            if position + size > len(chunk):
                raise WireError("packed field runs past its end")
            unpack = _DOUBLE if size == 8 else _FLOAT
            values.append(unpack.unpack_from(chunk, position)[0])
            position += size
            continue
        raw, position = _read_varint(chunk, position)
        value = _scalar(field, raw)
        if value is not None:
            values.append(value)
    return values


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    """protobuf's MergeFrom: repeated fields concatenate, messages merge, scalars replace."""
    for name, value in other.items():
        current = into.get(name)
        if isinstance(current, list):
            current.extend(value)
        elif isinstance(current, dict):
            _merge(current, value)
        else:
            into[name] = value


# ----- encoding -----
def encode(body: dict[str, Any], message: str) -> bytes:
    """`body` (JSON shape) as `message`'s protobuf encoding."""
    out = bytearray()
    _encode(body, _TABLE[message], out)
    return bytes(out)


def _encode(body: dict[str, Any], message: _Message, out: bytearray) -> None:
    for field in message.in_order:
        value = body.get(field.name)
        if value is None:
            continue
        items: list[Any]
        if field.kind == "map":
            items = [{"key": key, "value": item} for key, item in value.items()]
        else:
            items = value if field.repeated else [value]
        for item in items:
            if field.kind == "enum" and item not in ENUMS[field.target]:
                # A value the proto does not define cannot be sent: left out, as protobuf
                # leaves an unknown enum number out of a parsed message.
                _unknown_enum_value(field, item)
                continue
            out += field.tag
            _encode_value(field, item, out)


@functools.cache
def _unknown_enum_value(field: _Field, value: Any) -> None:
    logger.warning("Not sending '%s': not a value of %s (%s)", value, field.target, field.name)


def _encode_value(field: _Field, value: Any, out: bytearray) -> None:
    kind = field.kind
    if kind in ("message", "map"):
        inner = bytearray()
        _encode(value, _TABLE[field.target], inner)
        out += _varint(len(inner))
        out += inner
    elif kind in ("string", "role"):
        raw = str(value).encode("utf-8")
        out += _varint(len(raw))
        out += raw
    elif kind == "bytes":
        try:
            raw = base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error, TypeError) as error:
            raise WireError(f"field '{field.name}' is not base64: {error}") from None
        out += _varint(len(raw))
        out += raw
    elif field.wire_type == _FIXED64:
        out += _DOUBLE.pack(float(value))
    elif field.wire_type == _FIXED32:
        out += _FLOAT.pack(float(value))
    elif kind == "enum":
        out += _varint(ENUMS[field.target][value])
    else:
        out += _varint(int(value))
