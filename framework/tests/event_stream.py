"""What the scripted master and agent share: a RecordIO event stream over chunked HTTP,
and a quiet loopback HTTP server running in the background."""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any


def send_event(wfile: BufferedIOBase, event: dict[str, Any]) -> None:
    """Write one event as a RecordIO record inside one HTTP chunk."""
    record = json.dumps(event).encode()
    framed = str(len(record)).encode() + b"\n" + record
    wfile.write(f"{len(framed):x}\r\n".encode() + framed + b"\r\n")
    wfile.flush()


def pump_events(wfile: BufferedIOBase, events: queue.Queue[dict[str, Any] | None]) -> None:
    """Send queued events until a None ends the stream or the client goes away."""
    while True:
        event = events.get()
        if event is None:
            wfile.write(b"0\r\n\r\n")
            return
        try:
            send_event(wfile, event)
        except OSError:
            return


class QuietHandler(BaseHTTPRequestHandler):
    """An HTTP/1.1 request handler that keeps its request log out of the test output."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass


def serve_on_loopback(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    """Start ``handler`` on a free loopback port; return the server and its host:port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"127.0.0.1:{server.server_address[1]}"
