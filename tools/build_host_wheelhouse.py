#!/usr/bin/env python3
"""Build the wheelhouse the Ansible roles copy to the cluster's hosts.

Hosts install mesos-lite and the mesos-probe framework offline (``pip install --no-index``)
because they may not reach PyPI. This collects, for one target Python and architecture:
the pinned binary dependencies of requirements/hosts.lock (downloaded as wheels for that
target), pymesos 0.3.15 (an sdist on PyPI, built into a pure wheel here), the pure-Python
http-parser wheel (tools/build_http_parser_wheel.py) and wheels of the project's own
packages. A ``.complete`` marker is written last, so an interrupted build is redone; builds of
the same DEST wait for each other (a lock beside it), so runs side by side build it once.

Usage: build_host_wheelhouse.py --python-version 3.11 --arch x86_64 DEST
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import logging
import subprocess
import sys
import tarfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("mesos-lite", "framework")
PYMESOS = "pymesos==0.3.15"
SOURCE_SUFFIXES = {".py", ".typed", ".toml", ".lock"}
MANYLINUX_TAGS = ("manylinux_2_28", "manylinux_2_17", "manylinux2014")
FINGERPRINTED = (
    "mesos-lite/src", "mesos-lite/pyproject.toml", "framework/src", "framework/pyproject.toml",
    "requirements/hosts.lock", "tools/build_http_parser_wheel.py", "tools/build_host_wheelhouse.py",
)

log = logging.getLogger("build_host_wheelhouse")


def source_fingerprint() -> str:
    """A short hash of everything that ends up in the wheelhouse."""
    digest = hashlib.sha256()
    for entry in FINGERPRINTED:
        path = REPO_ROOT / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            # Only sources: building a wheel leaves *.egg-info and caches inside src/,
            # which must not change the fingerprint of what was built.
            if file.suffix not in SOURCE_SUFFIXES:
                continue
            digest.update(str(file.relative_to(REPO_ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--quiet", *args], check=True)


def build(dest: Path, python_version: str, arch: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    platforms = [arg for tag in MANYLINUX_TAGS for arg in ("--platform", f"{tag}_{arch}")]
    pip("download", "--no-deps", "--only-binary=:all:", "--python-version", python_version,
        "--implementation", "cp", *platforms, "--dest", str(dest),
        "-r", str(REPO_ROOT / "requirements" / "hosts.lock"))
    pip("wheel", "--no-deps", "--wheel-dir", str(dest), PYMESOS,
        *(str(REPO_ROOT / package) for package in PROJECT_PACKAGES))
    subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "build_http_parser_wheel.py"),
                    str(dest)], check=True)
    # One archive travels to the hosts far faster than a directory copied file by file.
    with tarfile.open(archive_path(dest), "w") as archive:
        for wheel in sorted(dest.glob("*.whl")):
            archive.add(wheel, arcname=wheel.name)
    (dest / ".complete").write_text("ok\n")


def archive_path(dest: Path) -> Path:
    return dest / "wheelhouse.tar"


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-version", help="target Python, e.g. 3.11")
    parser.add_argument("--arch", help="target architecture, e.g. x86_64 or aarch64")
    parser.add_argument("--fingerprint", action="store_true",
                        help="print the sources' fingerprint and exit")
    parser.add_argument("dest", nargs="?", type=Path, help="wheelhouse directory to fill")
    args = parser.parse_args()
    if args.fingerprint:
        print(source_fingerprint())
        return 0
    if not (args.python_version and args.arch and args.dest):
        parser.error("--python-version, --arch and DEST are required")
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    with (args.dest.parent / f".{args.dest.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (args.dest / ".complete").exists():
            log.info("%s is complete", args.dest)
            return 0
        build(args.dest, args.python_version, args.arch)
    log.info("built %s", args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
