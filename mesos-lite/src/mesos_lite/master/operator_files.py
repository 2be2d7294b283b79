"""The files the master serves (/files/*, LIST_FILES, READ_FILE): its log, attached as
`/master/log` when it logs to --log_dir (Mesos's Master::initialize)."""

from __future__ import annotations

from mesos_lite.authentication import HttpSecurity
from mesos_lite.files import MASTER_LOG, Attachment, Files, log_attachment
from mesos_lite.logs import MASTER_PROGRAM
from mesos_lite.master.master import Master


def master_files(master: Master, security: HttpSecurity) -> Files:
    log = log_attachment(master.config.log_dir, MASTER_PROGRAM)
    attached: dict[str, Attachment] = {MASTER_LOG: log} if log is not None else {}
    return Files(security, lambda: attached)
