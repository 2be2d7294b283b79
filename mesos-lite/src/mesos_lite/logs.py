"""Logging to stderr (the systemd journal) and, with --log_dir, to <log_dir>/<program>.INFO."""

from __future__ import annotations

import logging
import os
import socket
import sys
import time

_FORMAT = "%(levelname).1s%(asctime)s.%(msecs)03d %(process)d %(name)s] %(message)s"
_DATE = "%m%d %H:%M:%S"
# The daemons' program names (glog's log file names start with them).
MASTER_PROGRAM = "mesos-master"
AGENT_PROGRAM = "mesos-agent"
_LEVELS = {"INFO": logging.INFO, "WARNING": logging.WARNING, "ERROR": logging.ERROR}


def setup_logging(
    program: str, log_dir: str | None, level_name: str = "INFO", quiet: bool = False
) -> None:
    """glog-like lines; the file under --log_dir follows glog's `<program>.INFO` link."""
    level = _LEVELS.get(level_name.upper(), logging.INFO)
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(level)
    formatter = logging.Formatter(_FORMAT, _DATE)
    if not quiet:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(formatter)
        root.addHandler(stderr)
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        user = os.environ.get("USER", "root")
        name = f"{program}.{socket.gethostname()}.{user}.log.INFO.{stamp}.{os.getpid()}"
        path = os.path.join(log_dir, name)
        handler = logging.FileHandler(path)
        handler.setFormatter(formatter)
        root.addHandler(handler)
        link = os.path.join(log_dir, f"{program}.INFO")
        try:
            if os.path.islink(link) or os.path.exists(link):
                os.unlink(link)
            os.symlink(name, link)
        except OSError as error:
            logging.getLogger(__name__).warning("Cannot link %s: %s", link, error)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("kazoo").setLevel(logging.WARNING)
