"""The offline test bed: the locally built image boots systemd and its hosts can talk."""

from __future__ import annotations

import time

from lab import docker, lab_host, wait_for_boot


def test_image_boots_systemd_to_running_or_degraded() -> None:
    with lab_host() as host:
        state = wait_for_boot(host)
        failed = docker("exec", host, "systemctl", "--failed", "--no-legend", check=False).stdout
        assert state in {"running", "degraded"}, f"systemd state {state!r}; failed units:\n{failed}"
        assert docker("exec", host, "cat", "/proc/1/comm").stdout.strip() == "systemd"


def test_image_has_python3_for_ansible() -> None:
    with lab_host() as host:
        # Not before boot has ended: systemd-tmpfiles empties /tmp during boot, and would race
        # with the venv made there (CI saw exactly that on a loaded machine).
        assert wait_for_boot(host) in {"running", "degraded"}
        version = docker("exec", host, "python3", "-c", "import sys; print(sys.version_info[0])")
        assert version.stdout.strip() == "3"
        venv = docker("exec", host, "python3", "-m", "venv", "--without-pip", "/tmp/check-venv")
        assert venv.returncode == 0, venv.stderr


def test_hosts_on_the_lab_network_reach_each_other_by_name() -> None:
    with lab_host("bedserver") as server, lab_host("bedclient") as client:
        wait_for_boot(server)
        wait_for_boot(client)
        docker("exec", "-d", server, "python3", "-m", "http.server", "8000", "--directory", "/etc")
        url = f"http://{server}:8000/hostname"
        fetch = (
            "import urllib.request; "
            f"print(urllib.request.urlopen({url!r}, timeout=5).read().decode())"
        )
        deadline = time.monotonic() + 30
        result = docker("exec", client, "python3", "-c", fetch, check=False)
        while result.returncode != 0 and time.monotonic() < deadline:
            time.sleep(1)
            result = docker("exec", client, "python3", "-c", fetch, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == server
