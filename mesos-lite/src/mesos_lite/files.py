"""The files a daemon serves (Mesos's src/files/files.cpp), shared by master and agent:
`/files/browse`, `/files/read`, `/files/download` and the v1 operator calls LIST_FILES and
READ_FILE, over the paths the daemon attached.

An attachment maps a virtual path to a real file or directory, with the ACL action that
guards it: the master attaches its log file as `/master/log` and the agent its log as
`/slave/log` (access_mesos_logs), the agent every executor run's sandbox under its own
path (access_sandboxes, whose object is the user the executor runs as). Paths are opened
by agent/sandbox_files.py, never through a link.
"""

from __future__ import annotations

import base64
import grp
import logging
import os
import pwd
import stat
from collections.abc import Callable
from typing import Any, NamedTuple

from aiohttp import web

from mesos_lite.agent import sandbox_files
from mesos_lite.authentication import HttpSecurity
from mesos_lite.httpd import CallError, json_response

logger = logging.getLogger(__name__)

# Mesos reads at most 16 pages per request.
MAX_READ_LENGTH = 16 * 4096
MASTER_LOG = "/master/log"
AGENT_LOG = "/slave/log"


class Attachment(NamedTuple):
    real_path: str
    # The ACL action that must approve a request for it, and its object (None: ANY).
    action: str | None = None
    object: str | None = None


def log_attachment(log_dir: str | None, program: str) -> Attachment | None:
    """The daemon's log as Mesos attaches it: the file `<log_dir>/<program>.INFO` links to,
    resolved once (glog's link moves only on restart)."""
    if not log_dir:
        return None
    link = os.path.join(log_dir, f"{program}.INFO")
    real = os.path.realpath(link)
    if not os.path.isfile(real):
        logger.error("Log file cannot be found: %s does not lead to a file", link)
        return None
    return Attachment(real, "access_mesos_logs")


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def entry_json(path: str, info: os.stat_result) -> dict[str, Any]:
    """A file as /files/browse lists it (files.cpp's model(FileInfo))."""
    return {
        "path": path,
        "nlink": info.st_nlink,
        "size": info.st_size,
        "mtime": int(info.st_mtime),
        "mode": stat.filemode(info.st_mode),
        "uid": _user(info.st_uid),
        "gid": _group(info.st_gid),
    }


def file_info_v1(path: str, info: os.stat_result) -> dict[str, Any]:
    """A v1 FileInfo (LIST_FILES)."""
    return {
        "path": path,
        "nlink": info.st_nlink,
        "size": info.st_size,
        "mtime": {"nanoseconds": int(info.st_mtime) * 1_000_000_000},
        "mode": info.st_mode,
        "uid": _user(info.st_uid),
        "gid": _group(info.st_gid),
    }


class Files:
    def __init__(
        self, security: HttpSecurity, attachments: Callable[[], dict[str, Attachment]]
    ) -> None:
        self.security = security
        # Called per request: the agent's sandboxes come and go with its executors.
        self.attachments = attachments

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/files/read", self.http_read),
            web.get("/files/read.json", self.http_read),
            web.get("/files/browse", self.http_browse),
            web.get("/files/browse.json", self.http_browse),
            web.get("/files/download", self.http_download),
        ]

    # ----- the two operations, as files.cpp's browse() and read() -----
    def _open(self, request: web.Request, path: str) -> sandbox_files.OpenedFile:
        attached = self.attachments()
        real = {virtual: a.real_path for virtual, a in attached.items()}
        root, components = sandbox_files.attached_root(path, real)
        attachment = next(a for a in attached.values() if a.real_path == root)
        action = attachment.action
        if action is not None and not self.security.approved(request, action, attachment.object):
            raise CallError(403, "")
        return sandbox_files.open_beneath(root, components)

    def browse(self, request: web.Request, path: str) -> list[tuple[str, os.stat_result]]:
        """The entries of a directory (a file lists nothing, as os::ls of a file in Mesos)."""
        handle = self._open(request, path)
        try:
            if not handle.is_directory:
                return []
            return [
                (os.path.join(path, name), info)
                for name, info in sandbox_files.list_directory(handle)
            ]
        finally:
            handle.close()

    def read(
        self, request: web.Request, path: str, offset: int, length: int | None
    ) -> tuple[int, bytes]:
        """(the file's size, up to MAX_READ_LENGTH bytes from `offset`)."""
        handle = self._open(request, path)
        try:
            if handle.is_directory:
                raise CallError(400, "Cannot read a directory.\n")
            if not handle.is_regular:
                raise CallError(400, "Cannot read a file that is not a regular file.\n")
            size = handle.info.st_size
            if offset >= size:
                return size, b""
            if length is None:
                length = size - offset
            if length == 0:
                return size, b""
            return size, os.pread(handle.fd, min(length, MAX_READ_LENGTH), offset)
        finally:
            handle.close()

    # ----- v1 operator calls (bodies checked by the schema) -----
    def list_files(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        path = sandbox_files.requested_path(body["list_files"]["path"])
        return {"file_infos": [file_info_v1(p, info) for p, info in self.browse(request, path)]}

    def read_file(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        call = body["read_file"]
        path = sandbox_files.requested_path(call["path"])
        length = call.get("length")
        size, data = self.read(
            request, path, int(call["offset"]), None if length is None else int(length)
        )
        return {"size": size, "data": base64.b64encode(data).decode("ascii")}

    def v1_actions(self) -> dict[str, Callable[[web.Request, dict[str, Any]], web.Response]]:
        def answer(call_type: str, result: dict[str, Any]) -> web.Response:
            return json_response({"type": call_type, call_type.lower(): result})

        return {
            "LIST_FILES": lambda r, b: answer("LIST_FILES", self.list_files(r, b)),
            "READ_FILE": lambda r, b: answer("READ_FILE", self.read_file(r, b)),
        }

    # ----- /files/* -----
    @staticmethod
    def _number(request: web.Request, name: str) -> int | None:
        text = request.query.get(name)
        if text is None:
            return None
        try:
            value = int(text)
        except ValueError:
            raise CallError(
                400, f"Failed to parse {name}: Failed to convert '{text}' to number.\n"
            ) from None
        if value < -1:
            raise CallError(400, f"Negative {name} provided: {value}.\n")
        return value

    async def http_read(self, request: web.Request) -> web.Response:
        """offset -1 (or none) asks for the size."""
        path = sandbox_files.requested_path(request.query.get("path"))
        offset = self._number(request, "offset")
        length = self._number(request, "length")
        if offset is None or offset == -1:
            size, _ = self.read(request, path, 0, 0)
            return json_response({"data": "", "offset": size})
        _, data = self.read(request, path, offset, None if length == -1 else length)
        return json_response({"data": data.decode("utf-8", errors="replace"), "offset": offset})

    async def http_browse(self, request: web.Request) -> web.Response:
        path = sandbox_files.requested_path(request.query.get("path"))
        return json_response([entry_json(p, info) for p, info in self.browse(request, path)])

    async def http_download(self, request: web.Request) -> web.StreamResponse:
        path = sandbox_files.requested_path(request.query.get("path"))
        handle = self._open(request, path)
        try:
            if handle.is_directory:
                raise CallError(400, "Cannot download a directory.\n")
            if not handle.is_regular:
                raise CallError(400, "Cannot download a file that is not a regular file.\n")
            response = web.StreamResponse(
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Disposition": f"attachment; filename={os.path.basename(path)}",
                }
            )
            await response.prepare(request)
            for chunk in sandbox_files.read_chunks(handle):
                await response.write(chunk)
            await response.write_eof()
        finally:
            handle.close()
        return response
