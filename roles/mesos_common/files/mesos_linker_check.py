#!/usr/bin/env python3
"""Which shared libraries the dynamic linker cannot find for a Mesos install, as JSON.

Arguments are files or glob patterns (the prefix's daemons and libraries, or the package's
file list); files that are not ELF objects are skipped. Each ELF file goes through ldd, and
every "not found" library is reported with the files needing it and, where this host's
package index knows it, the package that provides it.

No file-to-package database (apt-file, Contents indices) is on a plain host, so the package
is found the way Debian names library packages (policy 8.1): the soname without ".so",
"-" before the version when the name ends in a digit, "_" as "-", lower case; the t64 name
(Debian 13, Ubuntu 24.04) is tried too. A name counts only when apt-cache knows it.
Output: {"checked": N, "missing": {soname: {"needed_by": [...], "package": name or null}}}.
"""

from __future__ import annotations

import glob
import json
import re
import subprocess
import sys

NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found")
SONAME = re.compile(r"^lib(?P<name>.+?)\.so(?:\.(?P<version>[0-9.]+))?$")


def is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def missing_libraries(path: str) -> list[str]:
    result = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    return [m.group(1) for line in result.stdout.splitlines() if (m := NOT_FOUND.match(line))]


def package_candidates(soname: str) -> list[str]:
    match = SONAME.match(soname)
    if not match or not match.group("version"):
        return []
    name = match.group("name").replace("_", "-").lower()
    version = match.group("version")
    base = f"lib{name}-{version}" if name[-1].isdigit() else f"lib{name}{version}"
    return [base, f"{base}t64"]


def known_package(candidates: list[str]) -> str | None:
    for candidate in candidates:
        result = subprocess.run(
            ["apt-cache", "show", "--no-all-versions", candidate],
            capture_output=True, text=True, check=False,
        )
        if result.returncode == 0 and "Package:" in result.stdout:
            return candidate
    return None


def main(patterns: list[str]) -> int:
    files = sorted({f for p in patterns for f in (glob.glob(p) or [p]) if is_elf(f)})
    needed_by: dict[str, list[str]] = {}
    for path in files:
        for soname in missing_libraries(path):
            needed_by.setdefault(soname, []).append(path)
    missing = {
        soname: {"needed_by": paths, "package": known_package(package_candidates(soname))}
        for soname, paths in sorted(needed_by.items())
    }
    json.dump({"checked": len(files), "missing": missing}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
