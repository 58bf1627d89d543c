"""The web processes' gunicorn worker: gunicorn's threaded worker, whose own error answers
(a request line over ``limit_request_line``: 414; headers too large or too many: 431; a
request it cannot parse: 400) are the platform's bilingual JSON errors, like every answer of
the application (``giaitrinh_common.web``), instead of gunicorn's HTML page.

Configured in :mod:`giaitrinh_common.gunicorn_conf` (``worker_class``).
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from giaitrinh_common.web import standard_error_document


class _ErrorPageRecorder:
    """Takes the client socket's place while gunicorn writes its error page, so gunicorn still
    decides the status (and logs the error and the access line) as it always does, and only
    the page it would have sent is replaced."""

    def __init__(self) -> None:
        self.written = bytearray()

    def gettimeout(self) -> float:
        return 0.0  # "non-blocking": util.write_nonblock then writes without changing modes

    def setblocking(self, _flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.written += data

    def status(self) -> tuple[int, str]:
        """The status gunicorn chose, from the status line it wrote (500 if it wrote none)."""
        parts = bytes(self.written).split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if len(parts) == 3 and parts[1].isdigit():
            return int(parts[1]), parts[2]
        return 500, "Internal Server Error"


def json_error_response(status: int, reason: str) -> bytes:
    """A whole HTTP/1.1 answer with the platform's error body for ``status``; the connection
    closes after it (the request could not be read, so nothing else on it can be trusted)."""
    body = json.dumps(standard_error_document(status), ensure_ascii=False).encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class JsonErrorWorker(ThreadWorker):
    """gthread, answering the server's own errors in the platform's JSON format."""

    def handle_error(self, req, client, addr, exc):
        recorder = _ErrorPageRecorder()
        super().handle_error(req, recorder, addr, exc)
        try:
            util.write_nonblock(client, json_error_response(*recorder.status()))
        except Exception:  # the client has gone: as gunicorn does, nothing more to say
            self.log.debug("Failed to send error message.")
