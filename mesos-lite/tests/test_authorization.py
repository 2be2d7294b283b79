"""The local authorizer's semantics (Mesos's match/allow matrices), credentials files and
secret-hiding flag handling: pure functions, no daemons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mesos_lite.authentication import basic_credentials, master_realm
from mesos_lite.authorization import (
    AclsError,
    Authorizer,
    load_acls,
    register_denied_message,
    run_task_denied_message,
    task_user,
)
from mesos_lite.credentials import CredentialsError, read_credential, read_credentials
from mesos_lite.flags import Flag, flags_as_strings, hide_url_password, load_flags


def authorizer(**acls: object) -> Authorizer:
    return Authorizer.from_json(acls)


def test_first_matching_rule_decides() -> None:
    acls = authorizer(
        run_tasks=[
            {"principals": {"values": ["fw"]}, "users": {"type": "NONE"}},
            {"principals": {"values": ["fw"]}, "users": {"type": "ANY"}},
        ]
    )
    assert not acls.approved("run_tasks", "fw", "alice")
    # A rule that does not match the subject is skipped; permissive (default) decides.
    assert acls.approved("run_tasks", "other", "alice")


def test_permissive_false_refuses_what_no_rule_matches() -> None:
    acls = authorizer(
        permissive=False,
        run_tasks=[{"principals": {"values": ["fw"]}, "users": {"values": ["nobody"]}}],
    )
    assert acls.approved("run_tasks", "fw", "nobody")
    assert not acls.approved("run_tasks", "fw", "root")
    assert not acls.approved("run_tasks", "other", "nobody")
    # Actions without rules fall to `permissive` too.
    assert not acls.approved("view_flags", "fw", None)


def test_unauthenticated_subject_is_any() -> None:
    # ANY only matches ANY or NONE subjects: a rule naming principals never covers it.
    acls = authorizer(
        permissive=False,
        get_endpoints=[{"principals": {"values": ["ops"]}, "paths": {"type": "ANY"}}],
    )
    assert not acls.approved("get_endpoints", None, "/metrics/snapshot")
    open_acls = authorizer(
        permissive=False,
        get_endpoints=[{"principals": {"type": "ANY"}, "paths": {"type": "ANY"}}],
    )
    assert open_acls.approved("get_endpoints", None, "/metrics/snapshot")
    assert open_acls.approved("get_endpoints", "ops", "/metrics/snapshot")


def test_none_subject_rule_denies_everyone_it_matches() -> None:
    acls = authorizer(
        teardown_frameworks=[
            {"principals": {"type": "NONE"}, "framework_principals": {"type": "ANY"}}
        ]
    )
    assert not acls.approved("teardown_frameworks", "ops", "fw")
    assert not acls.approved("teardown_frameworks", None, None)


def test_register_frameworks_needs_every_role_and_follows_hierarchies() -> None:
    acls = authorizer(
        permissive=False,
        register_frameworks=[
            {"principals": {"values": ["fw"]}, "roles": {"values": ["dev"]}},
            {"principals": {"values": ["fw"]}, "roles": {"values": ["team/%"]}},
        ],
    )
    assert acls.approved_all("register_frameworks", "fw", ["dev"])
    assert acls.approved_all("register_frameworks", "fw", ["team/a", "team/a/b"])
    assert not acls.approved_all("register_frameworks", "fw", ["dev", "prod"])
    assert not acls.approved_all("register_frameworks", "fw", ["team"])


def test_acls_are_checked_and_unknown_actions_ignored() -> None:
    with pytest.raises(AclsError, match=r"Missing required fields: run_tasks\[0\]\.users"):
        load_acls('{"run_tasks": [{"principals": {"type": "ANY"}}]}')
    with pytest.raises(AclsError, match="Failed to find enum for 'ALL'"):
        load_acls('{"view_flags": [{"principals": {"type": "ALL"}, "flags": {"type": "ANY"}}]}')
    with pytest.raises(AclsError, match="Failed to parse ACLs"):
        load_acls("{not json")
    assert load_acls('{"view_agents": [], "permissive": false}').permissive is False


def test_acls_from_a_bare_path(tmp_path: Path) -> None:
    path = tmp_path / "acls.json"
    path.write_text(json.dumps({"permissive": False}))
    assert load_acls(str(path)).permissive is False


def test_denial_messages_are_mesos_s() -> None:
    assert register_denied_message("", ["*"]) == (
        "Not authorized to register framework  with roles { * }"
    )
    assert register_denied_message("f1", ["b", "a"]) == (
        "Not authorized to register framework f1 with roles { a, b }"
    )
    assert run_task_denied_message("fw", "t1", "f1", "root") == (
        "Principal 'fw' no authorized to launch task t1 of framework f1 under user 'root'"
    )
    assert task_user({"command": {"value": "x", "user": "bob"}}, "fwuser") == "bob"
    assert task_user({"executor": {"command": {"user": "eve"}}}, "fwuser") == "eve"
    assert task_user({"command": {"value": "x"}}, "fwuser") == "fwuser"


def test_basic_header_parsing() -> None:
    assert basic_credentials("Basic b3BzOnNlY3JldA==") == ("ops", "secret")
    assert basic_credentials(None) is None
    assert basic_credentials("Bearer b3BzOnNlY3JldA==") is None
    assert basic_credentials("Basic !!!") is None
    # libprocess splits on ':' and wants exactly two parts.
    assert basic_credentials("Basic YTpiOmM=") is None


def test_realms_follow_mesos_routes() -> None:
    assert master_realm("/health") is None
    assert master_realm("/master/redirect") is None
    assert master_realm("/version") is None
    assert master_realm("/api/v1/scheduler") == "mesos-master-scheduler"
    assert master_realm("/api/v1") == "mesos-master-readwrite"
    assert master_realm("/master/teardown") == "mesos-master-readwrite"
    assert master_realm("/master/state") == "mesos-master-readonly"
    assert master_realm("/metrics/snapshot") == "mesos-master-readonly"


def test_credentials_files(tmp_path: Path) -> None:
    good = tmp_path / "credentials"
    good.write_text(json.dumps({"credentials": [{"principal": "a", "secret": "s"}]}))
    good.chmod(0o600)
    assert read_credentials(f"file://{good}") == {"a": "s"}
    old = tmp_path / "old"
    old.write_text("a s\n")
    with pytest.raises(CredentialsError, match=r"^Invalid json format: .*\(see --credentials"):
        read_credentials(str(old))
    with pytest.raises(CredentialsError, match=r"Failed to read credentials file '.*missing'"):
        read_credentials(str(tmp_path / "missing"))
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(CredentialsError, match="must contain at least one credential"):
        read_credentials(str(empty))
    broken = tmp_path / "broken"
    broken.write_text(json.dumps({"credentials": [{"secret": "s"}]}))
    with pytest.raises(CredentialsError, match=r"credentials\[0\]\.principal"):
        read_credentials(str(broken))
    single = tmp_path / "credential"
    single.write_text(json.dumps({"principal": "agent", "secret": "pw"}))
    credential = read_credential(f"file://{single}")
    assert (credential.principal, credential.secret) == ("agent", "pw")
    assert "pw" not in repr(credential)


def test_path_and_secure_flags_never_show_file_contents(tmp_path: Path) -> None:
    zk_file = tmp_path / "zk"
    zk_file.write_text("zk://user:zkpass@127.0.0.1:2181/mesos")
    credentials = tmp_path / "credentials"
    credentials.write_text("secret contents")
    implemented = [Flag("zk", "secure"), Flag("credentials", "path")]
    loaded = load_flags(
        implemented,
        {"zk": False, "credentials": False, "jwt_secret_key": False},
        {},
        [
            f"--zk=file://{zk_file}",
            f"--credentials=file://{credentials}",
            f"--jwt_secret_key=file://{credentials}",
        ],
        {},
    )
    assert loaded.zk == "zk://user:zkpass@127.0.0.1:2181/mesos"
    assert loaded.credentials == str(credentials)
    shown = flags_as_strings(implemented, loaded)
    assert shown == {
        "credentials": str(credentials),
        "jwt_secret_key": str(credentials),
        "zk": str(zk_file),
    }
    inline = load_flags(
        implemented, {"zk": False}, {}, ["--zk=zk://user:zkpass@h:2181/mesos"], {}
    )
    assert flags_as_strings(implemented, inline)["zk"] == "zk://user:******@h:2181/mesos"
    assert hide_url_password("zk://h:2181/mesos") == "zk://h:2181/mesos"
