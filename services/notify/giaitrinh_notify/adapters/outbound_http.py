"""One HTTP exchange with another system (the SMS gateway, a webhook receiver), bounded in time,
and what its answer means for the delivery loop.

The standard library's ``http.client`` and nothing else: one request, no redirect followed,
no retry here (the delivery loop retries, with back-off, from the ledger). The time-out is the
whole exchange's, not each read's: a watchdog shuts the socket at the deadline, so a server
that trickles its answer a byte at a time cannot hold a sender longer than one that never
answers (the :class:`~giaitrinh_notify.domain.channels.Channel` contract: ``send`` blocks at
most the adapter's time-out).

What an answer means (:func:`raise_for_status`):
  2xx               delivered
  408, 425, 429     temporary (:class:`DeliveryFailed`): the status itself says "later"
  other 4xx         permanent (:class:`DeliveryRefused`): the same request would be refused again
  3xx               permanent: a redirect is not followed (a POST would turn into a GET, and a
                    receiver must be configured with its final address)
  5xx, time-out, refused or dropped connection, TLS failure: temporary
"""
from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from giaitrinh_notify.domain.channels import DeliveryFailed, DeliveryRefused

MAX_ANSWER_BYTES = 64 * 1024  # a gateway's answer is a few hundred bytes; the rest is not read
TEMPORARY_4XX = frozenset({408, 425, 429})
USER_AGENT = "giaitrinh-notify/1"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = ""

    def excerpt(self, limit: int = 200) -> str:
        """The start of the body, for a delivery log's reason (never the request's secrets)."""
        text = self.body[:limit * 4].decode("utf-8", "replace")
        text = " ".join(text.split())
        return text[:limit] + ("…" if len(text) > limit else "")


def exchange(url: str, *, method: str, headers: dict[str, str], body: bytes | None,
             timeout: float) -> Answer:
    """Send one request to ``url`` and read its answer, within ``timeout`` seconds in all.
    Raises :class:`DeliveryFailed` for a time-out or a connection that fails, and
    :class:`DeliveryRefused` for an address that cannot be sent to at all."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryRefused(f"not an http(s) address: {url[:200]!r}")
    deadline = time.monotonic() + timeout
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    fired = threading.Event()

    def _cut() -> None:  # the watchdog: any read or write in progress returns at once
        fired.set()
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to cut
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, _cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request(method, target, body=body,
                     headers={"User-Agent": USER_AGENT, **headers})
        response = conn.getresponse()
        data = response.read(MAX_ANSWER_BYTES)
        answer = Answer(response.status, data, response.getheader("Content-Type", ""))
    except TimeoutError:
        raise DeliveryFailed(f"no answer within {timeout:g} s from {parts.hostname}") from None
    except ssl.SSLError as exc:
        raise DeliveryFailed(f"TLS with {parts.hostname} failed: {exc.reason or exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        if fired.is_set() or time.monotonic() >= deadline:
            raise DeliveryFailed(f"no complete answer within {timeout:g} s from {parts.hostname}") from None
        raise DeliveryFailed(f"connection to {parts.hostname} failed: {type(exc).__name__}: {exc}") from None
    finally:
        watchdog.cancel()
        conn.close()
    if fired.is_set():  # the watchdog cut a body short that happened to end cleanly
        raise DeliveryFailed(f"no complete answer within {timeout:g} s from {parts.hostname}")
    return answer


def raise_for_status(answer: Answer, who: str) -> None:
    """Return for a 2xx; else raise what the status means (see the module's docstring)."""
    status = answer.status
    if 200 <= status < 300:
        return
    said = f"{who} answered {status}" + (f": {answer.excerpt()}" if answer.body else "")
    if 300 <= status < 400:
        raise DeliveryRefused(f"{said} (a redirect is not followed; configure the final address)")
    if 400 <= status < 500 and status not in TEMPORARY_4XX:
        raise DeliveryRefused(said)
    raise DeliveryFailed(said)
