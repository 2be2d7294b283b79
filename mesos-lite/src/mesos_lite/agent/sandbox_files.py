"""Files the agent serves on /files/*: opened beneath an attached root, never through a link.

Mesos serves only the paths the agent attached (each executor run's sandbox, the agent's
logs). A task owns its sandbox and may put symlinks (or swap a file for one between a check
and an open) in it, so a path is opened one component at a time relative to the directory
above it, with O_NOFOLLOW: a link anywhere on the way fails the open instead of leading out.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mesos_lite.httpd import CallError

# The open flags of every component: never follow a link; a FIFO must not block the agent.
_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def requested_path(text: str | None) -> str:
    """The `path=` query value, normalized; 400 as Mesos answers for a missing or bad one."""
    if not text:
        raise CallError(400, "Expecting 'path=value' in query.\n")
    if "\0" in text:
        raise CallError(400, "Failed to resolve path: path contains a NUL byte.\n")
    return os.path.normpath("/" + text.lstrip("/"))


def attached_root(path: str, roots: Iterable[str]) -> tuple[str, list[str]]:
    """The attached root holding `path` and the components below it; 404 when none does
    (as Mesos answers for a path that is not attached)."""
    for attached in roots:
        root = os.path.normpath(attached)
        if path == root:
            return root, []
        if path.startswith(root.rstrip("/") + "/"):
            return root, path[len(root.rstrip("/")) + 1 :].split("/")
    raise CallError(404, "")


@dataclass
class OpenedFile:
    fd: int
    info: os.stat_result

    @property
    def is_directory(self) -> bool:
        return stat.S_ISDIR(self.info.st_mode)

    @property
    def is_regular(self) -> bool:
        return stat.S_ISREG(self.info.st_mode)

    def close(self) -> None:
        os.close(self.fd)


def open_beneath(root: str, components: list[str]) -> OpenedFile:
    """Opens root/components... without following any link; 404 if it is not there."""
    try:
        fd = os.open(root, _FLAGS | os.O_DIRECTORY)
    except OSError:
        raise CallError(404, "") from None
    try:
        for component in components:
            next_fd = os.open(component, _FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise CallError(404, "") from None
    return OpenedFile(fd, info)


def entry_json(path: str, info: os.stat_result) -> dict[str, object]:
    return {
        "path": path,
        "nlink": info.st_nlink,
        "size": info.st_size,
        "mtime": info.st_mtime,
        "mode": stat.filemode(info.st_mode),
        "uid": str(info.st_uid),
        "gid": str(info.st_gid),
    }


def list_directory(path: str, handle: OpenedFile) -> list[dict[str, object]]:
    """The entries of the opened directory (links described, not followed)."""
    entries = []
    for name in sorted(os.listdir(handle.fd)):
        try:
            info = os.stat(name, dir_fd=handle.fd, follow_symlinks=False)
        except OSError:
            continue
        entries.append(entry_json(os.path.join(path, name), info))
    return entries


def read_chunks(handle: OpenedFile, chunk: int = 1 << 16) -> Iterator[bytes]:
    offset = 0
    while True:
        data = os.pread(handle.fd, chunk, offset)
        if not data:
            return
        offset += len(data)
        yield data
