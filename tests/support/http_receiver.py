"""A real HTTP server on a free local port standing in for another system (an SMS gateway, a
webhook receiver): it records every request it is sent and answers from a script, so a test
can make it refuse (4xx), fail (5xx), hang or trickle its answer, over real sockets."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    content_type: str = "application/json"
    hang: float = 0.0  # seconds to wait before answering at all
    trickle: float = 0.0  # seconds between the body's bytes (the headers go at once)


@dataclass
class Receiver:
    url: str
    replies: list[Reply] = field(default_factory=list)  # answered in order; then the default
    default: Reply = field(default_factory=Reply)
    received: list[Received] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if self.replies else self.default


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    """A started receiver; stopped (and any hanging answer released) on leaving."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep the test output quiet
            pass

        def _serve(self) -> None:
            receiver = state["r"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            receiver.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
            reply = receiver.next_reply()
            if reply.hang and receiver.stop.wait(reply.hang):
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            for byte in (reply.body if reply.trickle else [reply.body]):
                chunk = bytes([byte]) if isinstance(byte, int) else byte
                try:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                except OSError:
                    return
                if reply.trickle and receiver.stop.wait(reply.trickle):
                    return

        do_POST = do_PUT = do_GET = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    receiver = Receiver(url=f"http://{host}:{port}")
    state["r"] = receiver
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stop.set()
        server.shutdown()
        server.server_close()
        time.sleep(0)  # let handler threads see the stop
