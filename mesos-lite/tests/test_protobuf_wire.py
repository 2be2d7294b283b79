"""The protobuf codec (mesos_lite.protobuf_wire) against bytes written by hand.

The known-answer vectors below were derived by hand from the field and enum numbers of
Mesos 1.11's protos (include/mesos/v1/scheduler/scheduler.proto, executor/executor.proto,
master/master.proto, agent/agent.proto, mesos.proto) and the proto2 wire format: a key is
the varint (field number << 3 | wire type), wire types 0 varint, 1 fixed64, 2 length
delimited. A wrong number in the schema table turns them red, which a round trip through
the codec alone could not.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schema_strategies import valid_message

from mesos_lite import protobuf_wire
from mesos_lite.protobuf_wire import WireError, decode, encode
from mesos_lite.schema import ENUMS, MESSAGES

# (message, JSON-shaped dict, bytes), each derived by hand in its comment.
KNOWN_ANSWERS: list[tuple[str, dict[str, Any], str]] = [
    (
        # scheduler.Call: type = 2 (SUBSCRIBE = 1), subscribe = 3; Call.Subscribe:
        # framework_info = 1; FrameworkInfo: user = 1, name = 2.
        "SchedulerCall",
        {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "n"}}},
        "10 01  1a 08  0a 06  0a 01 75  12 01 6e",
    ),
    (
        # FrameworkInfo: failover_timeout = 4 (double: wire type 1), capabilities = 10
        # (Capability.type = 1, MULTI_ROLE = 6), roles = 12.
        "FrameworkInfo",
        {
            "user": "u",
            "name": "n",
            "failover_timeout": 1.5,
            "capabilities": [{"type": "MULTI_ROLE"}],
            "roles": ["a"],
        },
        "0a 01 75  12 01 6e  21 00 00 00 00 00 00 f8 3f  52 02 08 06  62 01 61",
    ),
    (
        # executor.Call: executor_id = 1, framework_id = 2, type = 3 (MESSAGE = 3),
        # message = 6; Call.Message: data = 2 (not 1!).
        "ExecutorCall",
        {
            "executor_id": {"value": "e"},
            "framework_id": {"value": "f"},
            "type": "MESSAGE",
            "message": {"data": "aGk="},
        },
        "0a 03 0a 01 65  12 03 0a 01 66  18 03  32 04 12 02 68 69",
    ),
    (
        # scheduler.Event: type = 1 (UPDATE = 4), update = 5; Event.Update: status = 1;
        # TaskStatus: task_id = 1, state = 2 (TASK_RUNNING = 1), uuid = 11,
        # container_status = 13; ContainerStatus: executor_pid = 3, container_id = 4.
        "SchedulerEvent",
        {
            "type": "UPDATE",
            "update": {
                "status": {
                    "task_id": {"value": "t"},
                    "state": "TASK_RUNNING",
                    "uuid": "AAE=",
                    "container_status": {
                        "container_id": {"value": "c"},
                        "executor_pid": 300,
                    },
                }
            },
        },
        "08 04  2a 17  0a 15  0a 03 0a 01 74  10 01  5a 02 00 01"
        "  6a 08  18 ac 02  22 03 0a 01 63",
    ),
    (
        # scheduler.Event: FAILURE = 6, failure = 7; Event.Failure: status = 3 (int32:
        # -1 is ten bytes of two's complement).
        "SchedulerEvent",
        {"type": "FAILURE", "failure": {"status": -1}},
        "08 06  3a 0b  18 ff ff ff ff ff ff ff ff ff 01",
    ),
    (
        # Resource: name = 1, type = 2 (SCALAR = 0), scalar = 3 (Value.Scalar.value = 1,
        # double), role = 6, reservations = 13 (ReservationInfo: type = 4 (STATIC = 1),
        # role = 3).
        "Resource",
        {
            "name": "cpus",
            "type": "SCALAR",
            "scalar": {"value": 0.5},
            "role": "r",
            "reservations": [{"type": "STATIC", "role": "r"}],
        },
        "0a 04 63 70 75 73  10 00  1a 09 09 00 00 00 00 00 00 e0 3f  32 01 72"
        "  6a 05 1a 01 72 20 01",
    ),
    (
        # Value.Range: begin = 1, end = 2 (uint64).
        "Range",
        {"begin": 1, "end": 2**64 - 1},
        "08 01  10 ff ff ff ff ff ff ff ff ff 01",
    ),
    (
        # master.Call: type = 1, GET_STATE = 9.
        "MasterCall",
        {"type": "GET_STATE"},
        "08 09",
    ),
    (
        # agent.Call: type = 1, GET_CONTAINERS = 10 (10 is GET_AGENTS in master.Call).
        "AgentOperatorCall",
        {"type": "GET_CONTAINERS"},
        "08 0a",
    ),
    (
        # master.Response: type = 1 (GET_HEALTH = 1), get_health = 2 (healthy = 1).
        "MasterResponse",
        {"type": "GET_HEALTH", "get_health": {"healthy": True}},
        "08 01  12 02 08 01",
    ),
    (
        # scheduler.Event: OFFERS = 2, offers = 3; Event.Offers: offers = 1; Offer: id = 1,
        # framework_id = 2, agent_id = 3, hostname = 4, allocation_info = 10 (role = 1).
        "SchedulerEvent",
        {
            "type": "OFFERS",
            "offers": {
                "offers": [
                    {
                        "id": {"value": "o"},
                        "framework_id": {"value": "f"},
                        "agent_id": {"value": "a"},
                        "hostname": "h",
                        "allocation_info": {"role": "*"},
                    }
                ]
            },
        },
        "08 02  1a 19  0a 17  0a 03 0a 01 6f  12 03 0a 01 66  1a 03 0a 01 61  22 01 68"
        "  52 03 0a 01 2a",
    ),
    (
        # TaskStatus: TASK_STAGING = 6, reason = 10 (REASON_RECONCILIATION = 9),
        # source = 9 (SOURCE_MASTER = 0).
        "TaskStatus",
        {
            "task_id": {"value": "t"},
            "state": "TASK_STAGING",
            "source": "SOURCE_MASTER",
            "reason": "REASON_RECONCILIATION",
        },
        "0a 03 0a 01 74  10 06  48 00  50 09",
    ),
]


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@pytest.mark.parametrize(("message", "body", "wire"), KNOWN_ANSWERS)
def test_known_answers_decode(message: str, body: dict[str, Any], wire: str) -> None:
    assert decode(_bytes(wire), message) == body


@pytest.mark.parametrize(("message", "body", "wire"), KNOWN_ANSWERS)
def test_known_answers_encode(message: str, body: dict[str, Any], wire: str) -> None:
    assert encode(body, message).hex(" ") == _bytes(wire).hex(" ")


def test_unknown_fields_and_wire_types_are_skipped_as_protobuf_does() -> None:
    subscribe = _bytes("10 01")
    unknown_varint = _bytes("98 06 01")  # field 99, varint
    unknown_group = _bytes("93 03 08 05 94 03")  # field 50: start group, 1: 5, end group
    known_on_wrong_wire_type = _bytes("12 01 00")  # `type` (2) as a length-delimited field
    unknown_fixed32 = _bytes("9d 06 01 02 03 04")  # field 99, fixed32
    body = subscribe + unknown_varint + unknown_group + known_on_wrong_wire_type
    assert decode(body + unknown_fixed32, "SchedulerCall") == {"type": "SUBSCRIBE"}


def test_unknown_enum_number_leaves_the_field_unset() -> None:
    assert decode(_bytes("10 63"), "SchedulerCall") == {}


def test_repeated_message_field_given_twice_merges() -> None:
    # subscribe (3) twice: {framework_info {user "u"}} then {framework_info {name "n"}}.
    body = _bytes("1a 05 0a 03 0a 01 75  1a 05 0a 03 12 01 6e")
    assert decode(body, "SchedulerCall") == {
        "subscribe": {"framework_info": {"user": "u", "name": "n"}}
    }


def test_packed_repeated_scalars_are_read() -> None:
    message = protobuf_wire._compile({"numbers": "*uint32 1", "weights": "*double 2"})
    packed = _bytes("0a 03 01 02 03  12 08 00 00 00 00 00 00 f0 3f  08 04")
    assert protobuf_wire._decode(memoryview(packed), message, 1) == {
        "numbers": [1, 2, 3, 4],
        "weights": [1.0],
    }


MALFORMED = {
    "truncated varint": "10",
    "truncated key": "80",
    "varint longer than ten bytes": "10 ff ff ff ff ff ff ff ff ff ff 01",
    "length past the end": "1a 05 0a 01",
    "huge length": "1a ff ff ff ff 0f",
    "fixed64 past the end": "0a 00 21 00 00",
    "wire type 6": "0e",
    "wire type 7": "0f",
    "field number 0": "00 01",
    "end group outside a group": "0c",
    "mismatched end group": "93 03 9c 03",
    "unterminated group": "93 03 08 05",
    "string not UTF-8": "1a 05 0a 03 0a 01 ff",
}


@pytest.mark.parametrize("wire", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_bytes_are_refused(wire: str) -> None:
    with pytest.raises(WireError):
        decode(_bytes(wire), "SchedulerCall")


def test_nesting_past_protobufs_recursion_limit_is_refused() -> None:
    body = b""
    for _ in range(protobuf_wire.MAX_DEPTH + 5):  # ContainerID.parent = 2, nested
        body = b"\x12" + protobuf_wire._varint(len(body)) + body
    with pytest.raises(WireError):
        decode(body, "ContainerID")


def test_every_field_number_and_enum_value_is_unique() -> None:
    for name, fields in MESSAGES.items():
        numbers = [spec.split(" ")[1] for spec in fields.values() if " " in spec]
        assert len(numbers) == len(set(numbers)), name
    for name, values in ENUMS.items():
        assert len(set(values.values())) == len(values), name


def _wire_only(body: Any, message: str) -> Any:
    """`body` without JSON-only fields (no number) and empty lists and maps (absent on the
    wire)."""
    result: dict[str, Any] = {}
    for key, value in body.items():
        spec = MESSAGES[message].get(key, "")
        if " " not in spec or value == [] or (value == {} and "map:" in spec):
            continue
        core = spec.split(" ")[0].strip("*!")
        target = core[3:] if core.startswith("id:") else core
        if core.startswith("map:"):
            result[key] = {k: _wire_only(v, core[4:]) for k, v in value.items()}
        elif target not in MESSAGES:
            result[key] = value
        elif isinstance(value, list):
            result[key] = [_wire_only(v, target) for v in value]
        else:
            result[key] = _wire_only(value, target)
    return result


WIRE_MESSAGES = sorted(n for n, f in MESSAGES.items() if any(" " in s for s in f.values()))


@pytest.mark.parametrize("message", WIRE_MESSAGES)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_message_round_trips(message: str, data: st.DataObject) -> None:
    body = _wire_only(data.draw(valid_message(message)), message)
    assert decode(encode(body, message), message) == body


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_wire_error(raw: bytes) -> None:
    """Never another exception (an IndexError, a RecursionError...): that would be a 500."""
    for message in ("SchedulerCall", "ExecutorCall", "MasterCall", "AgentOperatorCall"):
        with contextlib.suppress(WireError):
            assert isinstance(decode(raw, message), dict)
