"""Parsing that the daemons' behaviour rests on, checked directly: Mesos's flag syntax,
`--resources` / `--attributes` forms, durations and RecordIO framing. (These hold for any
implementation of those formats; they start no daemon.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from mesos_lite.durations import format_duration, parse_duration
from mesos_lite.flags import Flag, FlagError, load_flags
from mesos_lite.recordio import Decoder, RecordIOError, encode
from mesos_lite.resources import ResourceError, Resources, parse_attributes, parse_resources

FLAGS = [
    Flag("port", "int", 5050),
    Flag("switch_user", "bool", True),
    Flag("allocation_interval", "duration", 1.0),
    Flag("cluster"),
]
KNOWN = {
    "port": False,
    "switch_user": True,
    "allocation_interval": False,
    "cluster": False,
    "webui_dir": False,
    "hostname_lookup": True,
}


def load(argv: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    return load_flags(FLAGS, KNOWN, {}, argv, env or {}).values


def test_flag_forms() -> None:
    values = load(["--port=6060", "--no-switch_user", "--allocation_interval=250ms"])
    assert values == {
        "port": 6060,
        "switch_user": False,
        "allocation_interval": 0.25,
        "cluster": None,
    }
    assert load(["--switch_user"])["switch_user"] is True
    assert load(["--switch_user=false"])["switch_user"] is False


def test_environment_and_command_line_precedence() -> None:
    values = load(
        ["--port=7070"], {"MESOS_PORT": "6060", "MESOS_CLUSTER": "c", "MESOS_UNRELATED": "x"}
    )
    assert values["port"] == 7070
    assert values["cluster"] == "c"


def test_file_values(tmp_path: Path) -> None:
    path = tmp_path / "cluster"
    path.write_text("from-file\n")
    assert load([f"--cluster=file://{path}"])["cluster"] == "from-file"
    with pytest.raises(FlagError, match="Error reading file"):
        load(["--cluster=file:///no/such/file"])


def test_unknown_and_bad_flags() -> None:
    with pytest.raises(FlagError, match="Failed to load unknown flag 'bogus'"):
        load(["--bogus=1"])
    with pytest.raises(FlagError, match="port"):
        load(["--port=abc"])
    with pytest.raises(FlagError, match="Invalid duration"):
        load(["--allocation_interval=5"])
    with pytest.raises(FlagError, match="Missing value"):
        load(["--port"])


def test_known_but_unimplemented_flags_are_ignored() -> None:
    loaded = load_flags(FLAGS, KNOWN, {}, ["--webui_dir=/x", "--no-hostname_lookup"], {})
    assert loaded.ignored == ["hostname_lookup", "webui_dir"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1secs", 1.0), ("100ms", 0.1), ("2mins", 120.0), ("1.5hrs", 5400.0), ("2weeks", 1209600.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)


def test_resources_text_form() -> None:
    resources = parse_resources("cpus:2;mem:1024;disk(ops):10;ports:[31000-31005, 31010-31010]")
    assert resources.scalar("cpus") == 2.0
    assert resources.scalar("mem") == 1024.0
    summary = resources.summary()
    assert summary["ports"] == "[31000-31005, 31010-31010]"
    assert [r.role for r in resources if r.name == "disk"] == ["ops"]
    taken = resources - parse_resources("cpus:0.5;ports:[31001-31002]")
    assert taken.scalar("cpus") == 1.5
    assert taken.summary()["ports"] == "[31000-31000, 31003-31005, 31010-31010]"
    assert resources.contains(parse_resources("cpus:2;mem:1"))
    assert not resources.contains(parse_resources("cpus:2.5"))


def test_resources_arithmetic_shortcuts_keep_the_results() -> None:
    """Bags are never changed once made, so arithmetic with an empty bag or a bag with itself
    answers without copying; the answers stay those of the long way round."""
    total = parse_resources("cpus:4;mem:1024;disk(ops):10;ports:[31000-32000]")
    empty = Resources()
    assert total + empty is total
    assert empty + total is total
    assert total - empty is total
    assert not total - total
    assert total - parse_resources("cpus:4;mem:1024;disk(ops):10;ports:[31000-32000]") == empty
    doubled = total + total
    assert doubled.scalar("cpus") == 8.0
    assert total.scalar("cpus") == 4.0
    unreserved = total.for_roles(["web"])
    assert {r.name for r in unreserved} == {"cpus", "mem", "ports"}
    assert total.for_roles(["ops"]) is total
    assert total.shared_json("web") == total.to_json("web")
    assert total.shared_json("web") is total.shared_json("web")
    assert total.shared_json() == total.to_json() != total.to_json("web")


def test_resources_json_form_and_errors() -> None:
    resources = parse_resources('[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 3}}]')
    assert resources.scalar("cpus") == 3.0
    for bad in ("cpus:abc", "cpus:-1", "ports:[1-", "nonsense"):
        with pytest.raises(ResourceError):
            parse_resources(bad)


def test_attributes() -> None:
    attributes = parse_attributes("rack:r1;level:2;zone:[1-3]")
    assert attributes[0] == {"name": "rack", "type": "TEXT", "text": {"value": "r1"}}
    assert attributes[1] == {"name": "level", "type": "SCALAR", "scalar": {"value": 2.0}}
    assert attributes[2]["type"] == "RANGES"


def test_recordio_round_trip_and_errors() -> None:
    decoder = Decoder()
    stream = encode(b"hello") + encode(b"") + encode("ü".encode())
    records = [r for i in range(len(stream)) for r in decoder.feed(stream[i : i + 1])]
    assert records == [b"hello", b"", "ü".encode()]
    with pytest.raises(RecordIOError):
        Decoder().feed(b"abc\nxyz")
