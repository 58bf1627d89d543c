"""Where the platform's unpredictable bytes come from: tracking codes, the requester's secret
link, row and event ids, trace ids, CSRF tokens, idempotency nonces.

:func:`token_bytes` is OpenSSL's generator (``ssl.RAND_bytes``: a deterministic random bit
generator seeded from the operating system and reseeded in a forked child), as unpredictable as
``os.urandom`` — ``secrets``' source — but with no system call per draw. That matters in a web
process: ``os.urandom`` lets go of the interpreter around its ``getrandom()`` call, and with the
web process's threads busy each release hands the interpreter to another thread and back, two
context switches each time. A submission drew random bytes five times (its id, its event's id,
its tracking code, its secret link, a trace id); drawing them here took intake's web worker from
29.5 to 22 voluntary context switches per submission (bench/README.md, "fewer thread
hand-overs").

Pure standard library, so a domain package may import it (pyproject.toml's import contracts).
"""
from __future__ import annotations

import base64
import ssl


def token_bytes(count: int) -> bytes:
    """``count`` unpredictable bytes (as ``secrets.token_bytes``)."""
    return ssl.RAND_bytes(count)


def token_urlsafe(count: int) -> str:
    """``count`` unpredictable bytes as URL-safe base64 without padding (as ``secrets.token_urlsafe``:
    32 bytes make 43 characters)."""
    return base64.urlsafe_b64encode(token_bytes(count)).rstrip(b"=").decode("ascii")


def token_hex(count: int) -> str:
    """``count`` unpredictable bytes as lower-case hex (as ``secrets.token_hex``)."""
    return token_bytes(count).hex()
