"""What master and agent share as daemons: flag loading, addresses, serving, signals."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import NoReturn

from aiohttp import web

from mesos_lite import MESOS_VERSION
from mesos_lite.authentication import HttpSecurity, authentication_middleware
from mesos_lite.flag_catalog import SHARED_FLAGS
from mesos_lite.flags import Flag, FlagError, LoadedFlags, environment, load_flags, usage
from mesos_lite.httpd import error_middleware_factory
from mesos_lite.routing import LibprocessRouter
from mesos_lite.zookeeper import ZooKeeperUrl, ZooKeeperUrlError

logger = logging.getLogger(__name__)

SHARED_IMPLEMENTED = [
    Flag("ip", help="IP address to listen on"),
    Flag("hostname", help="Hostname to advertise"),
    Flag("hostname_lookup", "bool", True, "Resolve the hostname when --hostname is not given"),
    Flag("advertise_ip", help="IP address advertised to reach this daemon"),
    Flag("advertise_port", "int", help="Port advertised to reach this daemon"),
    Flag("log_dir", help="Directory for log files (stderr always gets the log too)"),
    Flag("logging_level", "str", "INFO", "INFO, WARNING or ERROR"),
    Flag("quiet", "bool", False, "Do not log to stderr"),
    Flag("zk_session_timeout", "duration", 10.0, "ZooKeeper session timeout"),
    Flag("help", "bool", False, "Print this help and exit"),
    Flag("version", "bool", False, "Print the version and exit"),
]


def die(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise SystemExit(code)


def load_daemon_flags(
    program: str,
    implemented: Sequence[Flag],
    own_catalog: dict[str, bool],
    aliases: dict[str, str],
    argv: Sequence[str] | None,
) -> LoadedFlags:
    known = {**SHARED_FLAGS, **own_catalog}
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        loaded = load_flags(implemented, known, aliases, arguments, environment())
    except FlagError as error:
        die(f"{error}\n\nSee '{program} --help' for the flags it takes")
    if loaded.values.get("help"):
        sys.stdout.write(usage(program, implemented) + "\n")
        raise SystemExit(0)
    if loaded.values.get("version"):
        sys.stdout.write(f"mesos {MESOS_VERSION}\n")
        raise SystemExit(0)
    return loaded


def resolve_hostname(flags: LoadedFlags, advertised_ip: str) -> str:
    if flags.hostname:
        return str(flags.hostname)
    if not flags.hostname_lookup:
        return advertised_ip
    return socket.getfqdn() or advertised_ip


def default_advertise_ip(bind_ip: str) -> str:
    if bind_ip not in ("0.0.0.0", ""):
        return bind_ip
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def check_zk_url(text: str, flag: str) -> None:
    """Exits naming `--flag` when `text` is no zk:// URL Mesos would take."""
    try:
        ZooKeeperUrl.parse(text)
    except ZooKeeperUrlError as error:
        die(f"Failed to parse --{flag}: {error}")


def bind_and_advertise_ips(flags: LoadedFlags) -> tuple[str, str]:
    """The IP to listen on (--ip, else all interfaces) and the one others reach us at."""
    bind_ip = flags.ip or "0.0.0.0"
    return bind_ip, flags.advertise_ip or default_advertise_ip(bind_ip)


def daemon_application(http: HttpSecurity, routes: Iterable[web.RouteDef]) -> web.Application:
    """The daemon's web application: errors as Mesos reports them, HTTP authentication per
    endpoint, and request bodies of up to 64MB (large task groups and files)."""
    app = web.Application(
        router=LibprocessRouter(),
        middlewares=[error_middleware_factory(), authentication_middleware(http)],
        client_max_size=64 * 1024 * 1024,
    )
    app.add_routes(routes)
    return app


async def serve_until_signalled(
    app: web.Application,
    host: str,
    port: int,
    on_started: Callable[[], Awaitable[None]],
    on_stopping: Callable[[], Awaitable[None]],
    exit_code: asyncio.Future[int] | None = None,
) -> int:
    """Runs `app` until SIGTERM/SIGINT (or `exit_code` resolves); returns the exit status."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        logger.error("Failed to bind %s:%d: %s", host, port, error.strerror)
        return 1
    loop = asyncio.get_running_loop()
    done: asyncio.Future[int] = exit_code or loop.create_future()

    def on_signal(signum: int) -> None:
        logger.info("Received signal %s; shutting down", signal.Signals(signum).name)
        if not done.done():
            done.set_result(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await on_started()
    except Exception as error:
        logger.error("Failed to start: %s", error)
        if not done.done():
            done.set_result(1)
    code = await done
    try:
        await on_stopping()
    finally:
        await runner.cleanup()
    return code
