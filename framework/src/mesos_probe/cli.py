"""`mesos-probe submit`: run one probe task on every agent and report.

Settings come from the command line, else from a TOML config file (default
/etc/mesos-probe/config.toml when it exists; keys are the long option names with
underscores), else the defaults of `RunPlan` (scheduler_host/plan.py), the only place they
are written. The CLI builds that one plan and hands it to the Driver.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mesos_probe import __version__
from mesos_probe.scheduler_host.driver import Driver, SubmitError
from mesos_probe.scheduler_host.leader_lookup import (
    AuthenticationError,
    AuthorizationError,
    MasterError,
    parse_master,
)
from mesos_probe.scheduler_host.plan import RunPlan, plan_default
from mesos_probe.scheduler_host.progress import LineClearingHandler, ProgressDisplay
from mesos_probe.scheduler_host.report import EXIT_AUTHENTICATION, EXIT_AUTHORIZATION, EXIT_START

DEFAULT_CONFIG = Path("/etc/mesos-probe/config.toml")

logger = logging.getLogger("mesos_probe")


def _positive(kind: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be greater than zero")
        return value

    return convert


positive_int = _positive(int, "a whole number")
positive_float = _positive(float, "a number")


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or more")
    return value


def _master(text: str) -> Any:
    try:
        return parse_master(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# (flag, type, help). "{default}" in the help is the RunPlan default of that option.
SUBMIT_OPTIONS: list[tuple[str, Any, str]] = [
    (
        "--master",
        _master,
        "leading master as host:port, a comma list h1:p,h2:p, or zk://h1:2181,.../mesos",
    ),
    (
        "--expect-agents",
        positive_int,
        "agents that must return a result (default: active agents the master reports)",
    ),
    ("--timeout", positive_float, "seconds for the whole run (default {default})"),
    ("--cpus", positive_float, "CPUs per task (default {default})"),
    ("--mem", positive_float, "memory per task in MB (default {default})"),
    ("--command", str, "shell command to run on each agent instead of the probe"),
    ("--command-timeout", positive_float, "seconds a --command may run (default: no limit)"),
    (
        "--hold",
        _non_negative_float,
        "seconds the built-in probe stays running before it reports (default {default})",
    ),
    ("--name", str, "framework name (default {default})"),
    ("--role", str, "role to take offers for (default {default})"),
    ("--user", str, "user the tasks run as on the agents (default: the current user)"),
    ("--principal", str, "principal to authenticate and register with"),
    ("--secret-file", Path, "file holding the principal's secret"),
    ("--max-attempts", positive_int, "attempts per agent before giving up (default {default})"),
    (
        "--executor-python",
        str,
        "Python on the agents that has mesos_probe installed (default: this interpreter)",
    ),
    ("--state-file", Path, "file to keep the run in, so an interrupted run can resume"),
    ("--report-file", Path, "also write the JSON report to this file (for tools and tests)"),
    (
        "--failover-timeout",
        positive_float,
        "seconds the master keeps the framework after this process disconnects (default {default})",
    ),
    (
        "--lost-agent-timeout",
        positive_float,
        "seconds an agent whose task is lost or unreachable may take to come back before the "
        "run gives up on it (default {default})",
    ),
]
# Options that are not part of the plan: how the CLI reads the secret and shows the report.
CLI_ONLY = frozenset({"secret_file", "report_file", "json", "verbose"})
FLAG_OPTIONS = [
    ("--json", "print the result as JSON instead of a table"),
    ("--verbose", "log in detail (including pymesos)"),
]


def build_parser() -> argparse.ArgumentParser:
    # No abbreviations: `--secret VALUE` must be an error, not `--secret-file VALUE`.
    parser = argparse.ArgumentParser(
        prog="mesos-probe",
        allow_abbrev=False,
        description="Run a probe task on every Mesos agent and report what each one returned.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    submit = commands.add_parser(
        "submit",
        allow_abbrev=False,
        help="place one task on every agent and wait for the results",
        description="Place one task on every agent, wait until all finished, print results. "
        "Exit 0 only when every expected agent returned a result.",
    )
    for flag, kind, help_text in SUBMIT_OPTIONS:
        default = _option_default(_key(flag))
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        submit.add_argument(
            flag, type=kind, default=None, help=help_text.replace("{default}", shown)
        )
    for flag, help_text in FLAG_OPTIONS:
        submit.add_argument(flag, action="store_true", default=None, help=help_text)
    submit.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"TOML file with defaults for these options (default {DEFAULT_CONFIG} if present)",
    )
    return parser


def _key(flag: str) -> str:
    return flag[2:].replace("-", "_")


def _option_default(key: str) -> Any:
    """The default of an option: the plan's, or None (unset) for the CLI's own options."""
    return None if key in CLI_ONLY else plan_default(key)


def load_config(path: Path | None, parser: argparse.ArgumentParser) -> dict[str, Any]:
    explicit = path is not None
    path = path or DEFAULT_CONFIG
    if not path.exists():
        if explicit:
            parser.error(f"--config {path}: no such file")
        return {}
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError) as error:
        parser.error(f"config {path}: {error}")
    known = {_key(flag) for flag, *_ in SUBMIT_OPTIONS}
    known |= {flag[2:] for flag, _ in FLAG_OPTIONS}
    unknown = sorted(set(data) - known)
    if unknown:
        parser.error(f"config {path}: unknown key(s) {', '.join(unknown)}")
    return {"__path__": path, **data}


def merge_settings(
    arguments: argparse.Namespace, config: dict[str, Any], parser: argparse.ArgumentParser
) -> dict[str, Any]:
    """Command line first, then the config file, then the defaults (None: computed by the
    plan, such as the current user)."""
    settings: dict[str, Any] = {}
    source = config.get("__path__")
    for flag, kind, _ in SUBMIT_OPTIONS:
        key = _key(flag)
        value = getattr(arguments, key)
        if value is None and key in config:
            raw = config[key]
            if isinstance(raw, bool | dict | list):
                parser.error(f"config {source}: {key} must be a single value, not {raw!r}")
            try:
                value = kind(str(raw))
            except argparse.ArgumentTypeError as error:
                parser.error(f"config {source}: {key}: {error}")
        settings[key] = _option_default(key) if value is None else value
    for flag, _ in FLAG_OPTIONS:
        key = flag[2:]
        value = getattr(arguments, key)
        if value is None and key in config:
            if not isinstance(config[key], bool):
                parser.error(f"config {source}: {key} must be true or false")
            value = config[key]
        settings[key] = bool(value)
    return settings


def read_secret(path: Path, parser: argparse.ArgumentParser) -> str:
    """The secret in `path` (surrounding whitespace and the final newline removed).

    The secret only ever comes from a file, never from the command line or the config file,
    where `ps` and shell history would show it.
    """
    try:
        mode = path.stat().st_mode
        secret = path.read_text().strip()
    except OSError as error:
        parser.error(f"--secret-file {path}: {error.strerror}")
    except UnicodeDecodeError:
        parser.error(f"--secret-file {path} is not text")
    if not secret:
        parser.error(f"--secret-file {path} is empty")
    if mode & 0o077:
        logger.warning(
            "--secret-file %s can be read by other users (mode %04o); chmod 600 it",
            path,
            mode & 0o7777,
        )
    return secret


def build_plan(settings: dict[str, Any], parser: argparse.ArgumentParser) -> RunPlan:
    """The run's one plan; what the settings leave unset (None) keeps the plan's default,
    and so does an empty --user or --executor-python (the current user, this interpreter)."""
    if settings["master"] is None:
        parser.error("--master is required (on the command line or in the config file)")
    if settings["hold"] and settings["command"] is not None:
        parser.error("--hold applies to the built-in probe; with --command, sleep in the command")
    secret = None
    if settings["secret_file"] is not None:
        if settings["principal"] is None:
            parser.error("--secret-file needs --principal")
        secret = read_secret(settings["secret_file"], parser)
    elif settings["principal"] is not None:
        logger.warning(
            "--principal %s without --secret-file: registering with that principal, "
            "unauthenticated",
            settings["principal"],
        )
    chosen = {
        key: value
        for key, value in settings.items()
        if key not in CLI_ONLY
        and value is not None
        and not (key in ("user", "executor_python") and value == "")
    }
    return RunPlan(**chosen, secret=secret)


def configure_logging(verbose: bool, interactive: bool) -> None:
    # On a terminal the progress line tells the story; elsewhere log lines do.
    level = logging.DEBUG if verbose else (logging.WARNING if interactive else logging.INFO)
    handler = LineClearingHandler(sys.stderr) if interactive else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    # pymesos logs connection retries with tracebacks at WARNING/ERROR; our own messages
    # name the problem, so its output is kept for --verbose.
    pymesos_logger = logging.getLogger("pymesos")
    pymesos_logger.setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    # pymesos installs a stderr handler of its own on import; its records reach ours anyway,
    # so without this every pymesos line would be printed twice, in two formats.
    for own_handler in list(pymesos_logger.handlers):
        pymesos_logger.removeHandler(own_handler)
    logging.getLogger("kazoo").setLevel(logging.INFO if verbose else logging.CRITICAL)


def write_report(path: Path, text: str) -> None:
    """Write the report atomically, so a reader never sees half of it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text + "\n")
        partial.replace(path)
    except OSError as error:
        logger.error("could not write the report to %s: %s", path, error.strerror)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    config = load_config(arguments.config, parser)
    settings = merge_settings(arguments, config, parser)
    interactive = sys.stderr.isatty() and not settings["verbose"]
    configure_logging(settings["verbose"], interactive)
    plan = build_plan(settings, parser)
    display = ProgressDisplay(sys.stderr, interactive)
    try:
        report = Driver(plan, display).run()
    except AuthenticationError as error:
        print(f"mesos-probe: error: {error}", file=sys.stderr)
        return EXIT_AUTHENTICATION
    except AuthorizationError as error:
        print(f"mesos-probe: error: {error}", file=sys.stderr)
        return EXIT_AUTHORIZATION
    except (MasterError, SubmitError) as error:
        print(f"mesos-probe: error: {error}", file=sys.stderr)
        return EXIT_START
    if settings["report_file"] is not None:
        write_report(settings["report_file"], report.to_json())
    if report.failure_exit is not None:
        # Refused by the master: one line says why; the report has nothing else to show.
        if settings["json"]:
            print(report.to_json())
        print(f"mesos-probe: error: {report.error}", file=sys.stderr)
        return report.exit_code()
    if settings["json"]:
        print(report.to_json())
    else:
        print(report.table())
        print()
        print(report.summary())
    if not report.ok and settings["json"]:
        print(report.summary(), file=sys.stderr)
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
