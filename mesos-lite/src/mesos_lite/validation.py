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
from mesos_lite.schema import ENUMS, MESSAGES

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


class _Field(NamedTuple):
    name: str
    kind: str  # a scalar name, "enum", "message", "id" (a message validated by id) or "role"
    target: str  # the enum or message name
    repeated: bool
    required: bool


def _compile(fields: dict[str, str]) -> tuple[_Field, ...]:
    compiled = []
    for name, spec in fields.items():
        repeated, required = spec.startswith("*"), spec.endswith("!")
        core = spec.strip("*!")
        if core.startswith("enum:"):
            kind, target = "enum", core[5:]
        elif core.startswith("id:"):
            kind, target = "id", core[3:]
        elif core in MESSAGES:
            kind, target = "message", core
        else:
            kind, target = core, core
        compiled.append(_Field(name, kind, target, repeated, required))
    return tuple(compiled)


_SCHEMA: dict[str, tuple[_Field, ...]] = {name: _compile(f) for name, f in MESSAGES.items()}


# ----- step 1: JSON -----
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not a JSON number")


def _checked_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"integer of {len(text)} digits is out of range")
    return int(text)


def _checked_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number '{text[:40]}' is out of range")
    return value


def _too_deep(value: Any) -> bool:
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            pending.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            pending.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def parse_json_object(raw: bytes, what: str) -> dict[str, Any]:
    """The JSON object in `raw`; ParseError with Mesos's wording when there is none."""
    try:
        body = json.loads(
            raw.decode("utf-8"),
            parse_constant=_refuse_constant,
            parse_int=_checked_int,
            parse_float=_checked_float,
        )
    except RecursionError:
        raise ParseError(
            f"Failed to parse body into JSON: nesting deeper than {MAX_DEPTH} levels"
        ) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ParseError(f"Failed to parse body into JSON: {error}") from None
    if _too_deep(body):
        raise ParseError(f"Failed to parse body into JSON: nesting deeper than {MAX_DEPTH} levels")
    if not isinstance(body, dict):
        raise ParseError(f"Failed to convert JSON into {what} protobuf: Expecting a JSON object")
    return body


# ----- step 2: the protobuf schema -----
def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _wrong_type(field: _Field, value: Any) -> ParseError:
    return ParseError(f"Not expecting a JSON {_json_type(value)} for field '{field.name}'")


def _check_number(field: _Field, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(field, value)
    if field.kind in ("double", "float"):
        return  # finite: parse_json_object refused the rest
    if field.kind == "scalar":
        if abs(value) > MAX_SCALAR:
            raise ParseError(f"Value {value} of field '{field.name}' is out of range")
        return
    low, high = _INTEGER_RANGES[field.kind]
    if not low <= int(value) <= high:
        raise ParseError(f"Value {value} of field '{field.name}' is out of range for {field.kind}")


def _check_value(field: _Field, value: Any, path: str) -> None:
    kind = field.kind
    if kind in ("message", "id"):
        if not isinstance(value, dict):
            raise _wrong_type(field, value)
        check_message(value, field.target, path + ".")
        if kind == "id":
            problem = id_problem(value["value"])
            if problem is not None:
                raise ValidateError(f"'{path}' is invalid: {problem}")
    elif kind in ("string", "role"):
        if not isinstance(value, str):
            raise _wrong_type(field, value)
        if kind == "role":
            problem = role_problem(value)
            if problem is not None:
                raise ValidateError(problem)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise _wrong_type(field, value)
    elif kind == "enum":
        if not isinstance(value, str):
            raise _wrong_type(field, value)
        if value not in ENUMS[field.target]:
            raise ParseError(f"Failed to find enum for '{value}'")
    elif kind == "bytes":
        if not isinstance(value, str):
            raise _wrong_type(field, value)
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error) as error:
            raise ParseError(
                f"Failed to base64 decode bytes field '{field.name}': {error}"
            ) from None
    else:
        _check_number(field, value)


def check_message(body: dict[str, Any], message: str, path: str = "") -> None:
    """Checks (and normalizes: nulls dropped, lone values of repeated fields listed) the
    known fields of `body` against `message`."""
    for field in _SCHEMA[message]:
        value = body.get(field.name)
        where = f"{path}{field.name}"
        if value is None:
            if field.name in body:
                del body[field.name]
            if field.required:
                raise ParseError(f"Missing required fields: {where}")
            continue
        if not field.repeated:
            if isinstance(value, list):
                raise ParseError(f"Not expecting a JSON array for field '{field.name}'")
            _check_value(field, value, where)
            continue
        if not isinstance(value, list):
            value = body[field.name] = [value]
        elif any(item is None for item in value):
            value = body[field.name] = [item for item in value if item is not None]
        for index, item in enumerate(value):
            if isinstance(item, list):
                raise ParseError(f"Not expecting a JSON array for field '{field.name}'")
            _check_value(field, item, f"{where}[{index}]")


def check_call(body: dict[str, Any], kind: str, what: str) -> None:
    """Raises ParseError/ValidateError (the full 400 message) if `body` is not a valid
    call of `kind` (a CALL_KINDS key)."""
    message, validated_name = CALL_KINDS[kind]
    try:
        check_message(body, message)
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
