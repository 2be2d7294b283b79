#!/usr/bin/env python3
"""Ask the local ZooKeeper server a four-letter word, optionally after restarting it.

Used by the zookeeper role (health checks and the one-node-at-a-time restart handler) and by
playbooks/status.yml, so that every place asks ZooKeeper the same way. Standard library only:
it runs with the host's python3.

    zookeeper_probe.py --word srvr --port 2181                      print the answer once
    zookeeper_probe.py --word srvr --expect "Mode: " --timeout 180   wait for a serving server
    zookeeper_probe.py --restart zookeeper --expect "Mode: " ...     restart the unit, then wait
    zookeeper_probe.py --word ruok --expect imok --word srvr --expect "Mode: " --timeout 180
                                                                    wait until both answer so

Exit 0 when every answer contains its --expect (or, without one, when there is any answer);
1 with the last answer or error on stderr otherwise.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

# What a member of an ensemble without a quorum answers to every word but ruok/isro.
NOT_SERVING = "not currently serving"


def ask(word: str, host: str, port: int) -> str:
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(word.encode())
        connection.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: connection.recv(4096), b"")).decode(errors="replace")


def restart(unit: str) -> None:
    # daemon-reload first: the restart must pick up a unit file changed in the same run.
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    subprocess.run(["systemctl", "restart", unit], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--word", action="append", help="four-letter word to send (default srvr; repeatable)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2181)
    parser.add_argument(
        "--expect", action="append", default=[], help="text the answer to the word must contain"
    )
    parser.add_argument(
        "--timeout", type=float, default=0, help="seconds to keep asking (default: once)"
    )
    parser.add_argument("--restart", metavar="UNIT", help="restart this systemd unit first")
    parser.add_argument("--mode-only", action="store_true", help="print only the 'Mode:' line")
    args = parser.parse_args()

    if args.restart:
        restart(args.restart)
    words = args.word or ["srvr"]
    expects = args.expect + [""] * (len(words) - len(args.expect))
    deadline = time.monotonic() + args.timeout
    while True:
        for word, expect in zip(words, expects, strict=False):
            try:
                answer = ask(word, args.host, args.port)
                healthy = bool(answer) and expect in answer and NOT_SERVING not in answer
            except OSError as error:
                answer, healthy = f"no answer on {args.host}:{args.port}: {error}", False
            if not healthy:
                break
        if healthy or time.monotonic() >= deadline:
            break
        time.sleep(2)

    if args.mode_only:
        modes = (line for line in answer.splitlines() if line.startswith("Mode:"))
        answer = next(modes, answer.strip())
    (sys.stdout if healthy else sys.stderr).write(answer.rstrip() + "\n")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
