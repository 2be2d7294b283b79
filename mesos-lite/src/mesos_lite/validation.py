"""The one validation layer every v1 call passes through (httpd.read_json_call).

Two steps, as Apache Mesos takes them:
1. the body must be JSON Mesos's parser accepts (no NaN/Infinity, no integer of thousands of
   digits, no number that overflows a double, nesting of at most MAX_DEPTH levels) holding an
   object: else "Failed to parse body into JSON: ...";
2. the object must convert into the call's protobuf message (schema.py): every known field of
   the JSON type its proto field takes, enums among their values, numbers in their proto type's
   range, bytes base64, required fields present: else "Failed to convert JSON into Call
   protobuf: ..." naming the field, as stout's JSON-to-protobuf conversion words it. Ids and role
   names Mesos checks with validateID / roles::validate give "Failed to validate ...".
Like that conversion, `null` means unset (the key is dropped) and a single value given for a
repeated field counts as a list of one (the value is wrapped), so the handlers that run next
only ever see well-typed values.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any, NamedTuple

from mesos_lite.ids import id_problem, role_problem
from mesos_lite.schema import ENUMS, MESSAGES, field_spec

# picojson's (Mesos's JSON parser) default nesting limit.
MAX_DEPTH = 100
# CPython's int-from-string limit (sys.get_int_max_str_digits): longer integers are refused
# as malformed rather than raising deep inside the decoder.
MAX_INTEGER_DIGITS = 4300
# Mesos keeps scalar resources as fixed-point int64 thousandths: larger values overflow.
MAX_SCALAR = float(2**63 // 1000)

_INTEGER_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}

# Which message a call on each path converts into, and how Mesos names it when validating.
CALL_KINDS: dict[str, tuple[str, str]] = {
    "scheduler": ("SchedulerCall", "scheduler::Call"),
    "executor": ("ExecutorCall", "Executor::Call"),
    "operator": ("OperatorCall", "v1::Call"),
    "agent": ("AgentCall", "agent call"),
}


class ParseError(ValueError):
    """The body does not convert into the call's protobuf message."""


class ValidateError(ValueError):
    """The message converts but a value fails Mesos's validation (ids, roles)."""


class NestingError(ParseError):
    """The body nests deeper than MAX_DEPTH (Mesos's JSON parser refuses it)."""


class _PathError(Exception):
    """An error whose message names the field's full path, prefixed while it propagates
    (paths are only built on failure: the success path stays cheap)."""

    def __init__(self, make: type[ValueError], template: str, parts: list[str]) -> None:
        super().__init__(template)
        self.make, self.template, self.parts = make, template, parts

    def error(self) -> ValueError:
        path = "".join(self.parts).lstrip(".")
        return self.make(self.template.format(path=path))


class _Field(NamedTuple):
    name: str
    # a scalar name, "enum", "message", "id" (a message validated by id), "map" (string keys,
    # message values) or "role"
    kind: str
    target: str  # the enum or message name
    repeated: bool
    required: bool


class _Message(NamedTuple):
    fields: dict[str, _Field]
    required: tuple[str, ...]
    # For {"value": ...}-like messages (ids, Scalar): the one field and its kind, checked
    # inline on the common path (a dict of just that key, well typed).
    single: tuple[str, str] | None


def _compile(fields: dict[str, str]) -> _Message:
    compiled = {}
    for name, described in fields.items():
        spec = field_spec(described)
        compiled[name] = _Field(name, spec.kind, spec.target, spec.repeated, spec.required)
    required_names = tuple(f.name for f in compiled.values() if f.required)
    only = next(iter(compiled.values())) if len(compiled) == 1 else None
    single = (only.name, only.kind) if only and only.kind in ("string", "scalar") else None
    return _Message(compiled, required_names, single)


_SCHEMA: dict[str, _Message] = {name: _compile(f) for name, f in MESSAGES.items()}


# ----- step 1: JSON -----
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not a JSON number")


def _checked_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number '{text[:40]}' is out of range")
    return value


# Integers: CPython refuses more than sys.get_int_max_str_digits() (4300) digits itself.
_TOO_DEEP = f"Failed to parse body into JSON: nesting deeper than {MAX_DEPTH} levels"
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_checked_float)


def _too_deep(value: Any, depth: int) -> bool:
    """Whether a value (of a field the schema does not know) nests past MAX_DEPTH."""
    pending = [(value, depth)]
    while pending:
        item, level = pending.pop()
        if level > MAX_DEPTH:
            return True
        children = item.values() if type(item) is dict else item
        pending.extend((c, level + 1) for c in children if type(c) in (dict, list))
    return False


def parse_json_value(raw: bytes) -> Any:
    """The JSON value in `raw` (strict JSON); ParseError when there is none."""
    try:
        body = _DECODER.decode(raw.decode("utf-8"))
    except RecursionError:
        raise NestingError(_TOO_DEEP) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ParseError(f"Failed to parse body into JSON: {error}") from None
    return body


def parse_json_object(raw: bytes, what: str) -> dict[str, Any]:
    """The JSON object in `raw`; ParseError with Mesos's wording when there is none."""
    body = parse_json_value(raw)
    if type(body) is not dict:
        raise ParseError(f"Failed to convert JSON into {what} protobuf: Expecting a JSON object")
    return body


# ----- step 2: the protobuf schema -----
_JSON_TYPES = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}


def _wrong_type(field: _Field, value: Any) -> ParseError:
    kind = _JSON_TYPES.get(type(value), "object")
    return ParseError(f"Not expecting a JSON {kind} for field '{field.name}'")


def _check_number(field: _Field, value: Any) -> None:
    if type(value) is not int and type(value) is not float:
        raise _wrong_type(field, value)
    if field.kind in ("double", "float"):
        # JSON bodies hold finite numbers only (parse_json_object); a protobuf double may not.
        if not math.isfinite(value):
            raise ParseError(f"Value {value} of field '{field.name}' is out of range")
        return
    if field.kind == "scalar":
        if not abs(value) <= MAX_SCALAR:  # NaN too
            raise ParseError(f"Value {value} of field '{field.name}' is out of range")
        return
    low, high = _INTEGER_RANGES[field.kind]
    if not low <= int(value) <= high:
        raise ParseError(f"Value {value} of field '{field.name}' is out of range for {field.kind}")


def _check_value(field: _Field, value: Any, depth: int) -> None:
    kind = field.kind
    if kind in ("message", "id"):
        if type(value) is not dict:
            raise _wrong_type(field, value)
        message = _SCHEMA[field.target]
        single = message.single
        if single is not None and len(value) == 1:
            inner: Any = value.get(single[0])
            if type(inner) is str:
                fast = single[1] == "string"
            else:
                fast = single[1] == "scalar" and type(inner) in (int, float)
                fast = fast and abs(inner) <= MAX_SCALAR  # False for NaN
            if not fast:
                _check(value, message, depth)
        else:
            _check(value, message, depth)
        if kind == "id":
            problem = id_problem(value["value"])
            if problem is not None:
                raise _PathError(ValidateError, "'{path}' is invalid: " + problem, [])
    elif kind == "map":
        if type(value) is not dict:
            raise _wrong_type(field, value)
        entry = _Field(field.name, "message", field.target, False, False)
        for key, item in value.items():
            try:
                if type(item) is not dict:
                    raise _wrong_type(entry, item)
                _check_value(entry, item, depth + 1)
            except _PathError as error:
                error.parts.insert(0, f"[{key}]")
                raise
    elif kind == "string":
        if type(value) is not str:
            raise _wrong_type(field, value)
    elif kind == "role":
        if type(value) is not str:
            raise _wrong_type(field, value)
        problem = role_problem(value)
        if problem is not None:
            raise ValidateError(problem)
    elif kind == "bool":
        if type(value) is not bool:
            raise _wrong_type(field, value)
    elif kind == "enum":
        if type(value) is not str:
            raise _wrong_type(field, value)
        if value not in ENUMS[field.target]:
            raise ParseError(f"Failed to find enum for '{value}'")
    elif kind == "bytes":
        if type(value) is not str:
            raise _wrong_type(field, value)
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error) as error:
            raise ParseError(
                f"Failed to base64 decode bytes field '{field.name}': {error}"
            ) from None
    else:
        _check_number(field, value)


def _unknown_optional_enum(field: _Field, value: Any) -> bool:
    return not field.required and type(value) is str and value not in ENUMS[field.target]


def _check(body: dict[str, Any], message: _Message, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise NestingError(_TOO_DEEP)
    fields = message.fields
    nulls = None
    for key, value in body.items():
        field = fields.get(key)
        if field is None:
            if type(value) in (dict, list) and _too_deep(value, depth + 1):
                raise NestingError(_TOO_DEEP)
            continue
        if value is None or (field.kind == "enum" and _unknown_optional_enum(field, value)):
            # stout drops a null, and a value an optional enum does not know (proto2: the
            # field is then unset), rather than refusing the call.
            nulls = [*(nulls or []), key]
            continue
        try:
            if not field.repeated:
                if type(value) is list:
                    raise ParseError(f"Not expecting a JSON array for field '{key}'")
                _check_value(field, value, depth + 1)
                continue
            items = value
            if type(items) is not list:
                items = body[key] = [value]
            elif None in items:
                items = body[key] = [item for item in items if item is not None]
            if field.kind == "enum" and any(_unknown_optional_enum(field, i) for i in items):
                items = body[key] = [i for i in items if not _unknown_optional_enum(field, i)]
            for index, item in enumerate(items):
                try:
                    if type(item) is list:
                        raise ParseError(f"Not expecting a JSON array for field '{key}'")
                    _check_value(field, item, depth + 1)
                except _PathError as error:
                    error.parts.insert(0, f"[{index}]")
                    raise
        except _PathError as error:
            error.parts.insert(0, "." + key)
            raise
    for key in nulls or ():
        del body[key]
    for key in message.required:
        if key not in body:
            raise _PathError(ParseError, "Missing required fields: {path}", ["." + key])


def check_message(body: dict[str, Any], message: str) -> None:
    """Checks (and normalizes: nulls dropped, lone values of repeated fields listed) the
    known fields of `body` against `message`."""
    try:
        _check(body, _SCHEMA[message], 1)
    except _PathError as error:
        raise error.error() from None


def check_call(body: dict[str, Any], kind: str, what: str) -> None:
    """Raises ParseError/ValidateError (the full 400 message) if `body` is not a valid
    call of `kind` (a CALL_KINDS key)."""
    message, validated_name = CALL_KINDS[kind]
    try:
        check_message(body, message)
    except NestingError:
        raise
    except ParseError as problem:
        raise ParseError(f"Failed to convert JSON into {what} protobuf: {problem}") from None
    except ValidateError as problem:
        raise ValidateError(f"Failed to validate {validated_name}: {problem}") from None


def call_kind(path: str) -> str:
    """The CALL_KINDS key of a call POSTed to `path`."""
    if path.endswith("/api/v1/scheduler"):
        return "scheduler"
    if path.endswith("/api/v1/executor"):
        return "executor"
    if path.endswith("/api/v1"):
        return "operator"
    return "agent"
