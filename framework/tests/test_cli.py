"""Command-line parsing, the config file, and usage errors."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from probe_command import run_probe, run_submit

from mesos_probe import cli


def settings_for(argv: list[str], config_text: str | None, tmp_path: Path) -> dict:
    parser = cli.build_parser()
    if config_text is not None:
        config = tmp_path / "config.toml"
        config.write_text(config_text)
        argv = [*argv, "--config", str(config)]
    arguments = parser.parse_args(["submit", *argv])
    loaded = cli.load_config(arguments.config, parser)
    return cli.merge_settings(arguments, loaded, parser)


def test_config_fills_what_the_command_line_leaves_out(tmp_path: Path) -> None:
    settings = settings_for(
        ["--cpus", "0.5"],
        'master = "m1:5050,m2:5050"\ncpus = 2\nexecutor_python = "/opt/mesos-probe/venv/bin/python"'
        "\nmax_attempts = 5\njson = true\n",
        tmp_path,
    )
    assert settings["master"].addresses == ("m1:5050", "m2:5050")
    assert settings["cpus"] == 0.5  # the flag wins
    assert settings["executor_python"] == "/opt/mesos-probe/venv/bin/python"
    assert settings["max_attempts"] == 5
    assert settings["json"] is True
    assert settings["timeout"] == 300.0  # default


def test_defaults_without_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "DEFAULT_CONFIG", tmp_path / "absent.toml")
    parser = cli.build_parser()
    arguments = parser.parse_args(["submit", "--master", "m:5050"])
    settings = cli.merge_settings(arguments, cli.load_config(None, parser), parser)
    options = cli.build_plan(settings, parser)
    assert options.executor_python == sys.executable
    assert options.max_attempts == 3 and options.role == "*"
    assert options.user  # the current user


def test_secret_is_read_from_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    parser = cli.build_parser()
    settings = settings_for(
        ["--master", "m", "--principal", "fw", "--secret-file", str(secret)], None, tmp_path
    )
    options = cli.build_plan(settings, parser)
    assert (options.principal, options.secret) == ("fw", "s3cret")


@pytest.mark.parametrize(
    ("argv", "config_text", "message"),
    [
        (["--master", "m", "--max-attempts", "0"], None, "greater than zero"),
        (["--master", "m", "--timeout", "soon"], None, "is not a number"),
        (["--master", "m:x"], None, "not a number"),
        (["--bogus"], None, "unrecognized arguments"),
        ([], 'master = "m"\ncolour = "red"\n', "unknown key(s) colour"),
        ([], 'master = "m"\ncpus = "lots"\n', "cpus"),
        ([], 'master = "m"\njson = "yes"\n', "json must be true or false"),
        ([], "master = [", "config"),
        ([], "", "--master is required"),
        (["--master", "m", "--secret-file", "/nonexistent"], None, "needs --principal"),
        (
            ["--master", "m", "--principal", "p", "--secret-file", "/nonexistent/s"],
            None,
            "No such file",
        ),
        (["--master", "m", "--config", "/nonexistent/c.toml"], None, "no such file"),
        (["--master", "m", "--hold", "-1"], None, "must be zero or more"),
        (["--master", "m", "--hold", "3", "--command", "true"], None, "--hold applies"),
    ],
)
def test_usage_errors_exit_2_with_a_message(
    argv: list[str],
    config_text: str | None,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if config_text is not None:
        config = tmp_path / "c.toml"
        config.write_text(config_text)
        argv = [*argv, "--config", str(config)]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["submit", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_console_script_usage_error_and_unreachable_master() -> None:
    bad = run_probe("submit", "--cpus", "x")
    assert bad.returncode == 2
    assert "argument --cpus" in bad.stderr and "Traceback" not in bad.stderr
    with socketless_port() as port:
        unreachable = run_submit(f"127.0.0.1:{port}", timeout=2)
    assert unreachable.returncode == 3
    assert f"127.0.0.1:{port}: connection refused" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


class socketless_port:  # noqa: N801 (used as a context manager, reads like a phrase)
    """A loopback port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        pass


def test_positive_number_types() -> None:
    assert cli.positive_float("1.5") == 1.5
    with pytest.raises(argparse.ArgumentTypeError):
        cli.positive_int("1.5")


def test_report_file_comes_from_the_config_and_is_written_whole(tmp_path: Path) -> None:
    report_path = tmp_path / "runs" / "last-run.json"
    settings = settings_for(["--master", "m1:5050"], f'report_file = "{report_path}"\n', tmp_path)
    assert settings["report_file"] == report_path

    cli.write_report(settings["report_file"], '{"ok": true}')

    assert report_path.read_text() == '{"ok": true}\n'
    assert not report_path.with_name("last-run.json.partial").exists()


def test_verbose_logging_prints_pymesos_lines_once() -> None:
    # In a fresh interpreter: pytest's own logging set-up would hide the effect.
    program = (
        "import logging, pymesos\n"
        "from mesos_probe import cli\n"
        "cli.configure_logging(verbose=True, interactive=False)\n"
        "logging.getLogger('pymesos.process').warning('only once, please')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stderr.count("only once, please") == 1, done.stderr
