"""The prefix install's linker check refuses a Mesos that cannot load, naming what it lacks.

A stub `mesos-master` is compiled against two throwaway shared libraries that are deleted
afterwards: one with the soname of Debian's ZooKeeper C client (libzookeeper_mt.so.2, which
this machine's package index knows as libzookeeper-mt2) and one no package provides. The
role's own check tasks (roles/mesos_common/tasks/linker_check.yml) then run through
ansible-playbook against this machine over a local connection; they only read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml
from lab import REPO_ROOT

MAIN_C = (
    "int zoo_dep(void);\nint throwaway_dep(void);\n"
    "int main(void) { return zoo_dep() + throwaway_dep(); }\n"
)
PLAIN_MAIN_C = "int main(void) { return 0; }\n"


def compile_shared(build: Path, soname: str, symbol: str) -> None:
    source = build / f"{symbol}.c"
    source.write_text(f"int {symbol}(void) {{ return 0; }}\n")
    subprocess.run(
        ["gcc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", str(build / soname),
         str(source)],
        check=True,
    )


def stub_prefix(tmp_path: Path, *, broken: bool) -> Path:
    """A prefix with sbin/mesos-master; when broken, linked against libraries now gone."""
    build, prefix = tmp_path / "build", tmp_path / "prefix"
    build.mkdir()
    (prefix / "sbin").mkdir(parents=True)
    main = build / "main.c"
    binary = prefix / "sbin" / "mesos-master"
    if not broken:
        main.write_text(PLAIN_MAIN_C)
        subprocess.run(["gcc", "-o", str(binary), str(main)], check=True)
        return prefix
    compile_shared(build, "libzookeeper_mt.so.2", "zoo_dep")
    compile_shared(build, "libthrowaway.so.1", "throwaway_dep")
    main.write_text(MAIN_C)
    subprocess.run(
        ["gcc", "-o", str(binary), str(main), f"-L{build}",
         "-l:libzookeeper_mt.so.2", "-l:libthrowaway.so.1"],
        check=True,
    )
    shutil.rmtree(build)
    return prefix


def run_linker_check(tmp_path: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    playbook = [{
        "name": "Linker check",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": "/usr/bin/python3",
                 "mesos_install_method": "prefix"},
        "tasks": [{
            "name": "Run the role's linker check",
            "ansible.builtin.include_role": {"name": "mesos_common",
                                             "tasks_from": "linker_check.yml"},
            "vars": {"mesos_linker_check_files": [f"{prefix}/sbin/mesos-*",
                                                  f"{prefix}/lib/libmesos*.so*"]},
        }],
    }]
    path = tmp_path / "linker-check.yml"
    path.write_text(yaml.safe_dump(playbook, sort_keys=False))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles")}
    return subprocess.run(
        ["ansible-playbook", "-i", "localhost,", str(path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_missing_libraries_fail_naming_each_and_its_package(tmp_path: Path) -> None:
    prefix = stub_prefix(tmp_path, broken=True)
    result = run_linker_check(tmp_path, prefix)
    output = " ".join((result.stdout + result.stderr).split())
    binary = prefix / "sbin" / "mesos-master"
    assert result.returncode != 0, output
    assert "the dynamic linker cannot find 2 libraries of Mesos" in output, output
    assert (f"libzookeeper_mt.so.2 (needed by {binary}; package libzookeeper-mt2 provides it)"
            in output), output
    assert (f"libthrowaway.so.1 (needed by {binary}; no package of the usual name in this host's "
            "index, find it with apt-file search libthrowaway.so.1)") in output, output


def test_a_prefix_that_loads_passes(tmp_path: Path) -> None:
    result = run_linker_check(tmp_path, stub_prefix(tmp_path, broken=False))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "finds every library of the 1 Mesos files checked" in output, output
