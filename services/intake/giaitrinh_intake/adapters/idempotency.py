"""The first answer to a POST that carried an ``Idempotency-Key``, kept so that a retry gets that
answer again instead of making a second request.

A key is claimed before the request is handled, in its own committed transaction: the primary
key (scope, key) lets exactly one of any number of concurrent POSTs claim it, on SQLite and on
PostgreSQL alike. The claimer handles the request and then :meth:`IdempotencyStore.complete`
stores the answer (a success), or :meth:`IdempotencyStore.release` gives the key up (an error:
nothing was made, so the client may fix the body and send it again under the same key).

The first answer may hold a secret (the requester's link, shown once): the table keeps neither
the key nor the answer in the clear. A row is found by the key's SHA-256 and its answer is
sealed (AES-GCM) with a key derived from the Idempotency-Key, which only the client holds; the
database alone gives back nothing.

A claim whose answer never came (the process died between the request's commit and the answer's)
stays unanswered until it expires: the key then answers "in progress" rather than risk a second
request. Keys live :data:`KEY_LIFETIME` from their first use, after which the same key makes a
new request; expired rows are deleted when any key is claimed (an index on ``expires_at``).
"""
from __future__ import annotations

import base64
import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from giaitrinh_common import randomness
from giaitrinh_intake.adapters.orm import idempotency_keys

KEY_LIFETIME = timedelta(hours=24)  # a client retrying for longer than a day starts over


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    content_type: str
    location: str | None
    body: str


@dataclass(frozen=True)
class Claim:
    """What claiming a key found: ``claimed`` (this request goes ahead), or the key in use with
    ``body_sha256`` of the body it was first used with and the ``answer`` if there is one yet."""

    claimed: bool
    body_sha256: str
    answer: StoredAnswer | None = None


def _row_key(key: str) -> str:
    return hashlib.sha256(b"giaitrinh idempotency row\n" + key.encode()).hexdigest()


def _sealing_key(key: str) -> bytes:
    return hashlib.sha256(b"giaitrinh idempotency answer\n" + key.encode()).digest()


def _seal(key: str, body: str) -> str:
    nonce = randomness.token_bytes(12)
    return base64.b64encode(nonce + AESGCM(_sealing_key(key)).encrypt(nonce, body.encode(), None)).decode()


def _unseal(key: str, sealed: str) -> str | None:
    raw = base64.b64decode(sealed)
    try:
        return AESGCM(_sealing_key(key)).decrypt(raw[:12], raw[12:], None).decode()
    except (InvalidTag, ValueError):
        return None


def _aware(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class IdempotencyStore(ABC):
    """Contract: :meth:`claim` of an unexpired (scope, key) succeeds for exactly one caller until
    that caller releases it; every other caller sees the first body's hash and, once completed,
    its answer. A released key can be claimed again; an expired one is claimed afresh."""

    @abstractmethod
    def claim(self, scope: str, key: str, body_sha256: str, now: datetime) -> Claim: ...

    @abstractmethod
    def complete(self, scope: str, key: str, answer: StoredAnswer) -> None: ...

    @abstractmethod
    def release(self, scope: str, key: str) -> None: ...

    @abstractmethod
    def look(self, scope: str, key: str, now: datetime) -> Claim | None:
        """The key's state as another caller sees it (None: free or expired)."""


class SqlIdempotencyStore(IdempotencyStore):
    def __init__(self, engine: Engine, lifetime: timedelta = KEY_LIFETIME):
        self.engine = engine
        self.lifetime = lifetime

    def claim(self, scope: str, key: str, body_sha256: str, now: datetime) -> Claim:
        t = idempotency_keys
        for _ in range(3):
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.delete(t).where(t.c.expires_at <= now))
                    conn.execute(sa.insert(t).values(scope=scope, key=_row_key(key), body_sha256=body_sha256,
                                                     created_at=now, expires_at=now + self.lifetime))
                return Claim(True, body_sha256)
            except IntegrityError:
                seen = self.look(scope, key, now)
                if seen is not None:
                    return seen
                # released or expired between our insert and our look: try once more
        raise RuntimeError(f"could not claim idempotency key {key!r}")

    def look(self, scope: str, key: str, now: datetime) -> Claim | None:
        t = idempotency_keys
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.scope == scope, t.c.key == _row_key(key))).mappings().first()
        if row is None or _aware(row["expires_at"]) <= now:
            return None
        body = _unseal(key, row["body"]) if row["status"] is not None and row["body"] else None
        location = _unseal(key, row["location"]) if row["location"] else None
        answer = (StoredAnswer(row["status"], row["content_type"] or "application/json", location, body)
                  if body is not None else None)
        return Claim(False, row["body_sha256"], answer)

    def complete(self, scope: str, key: str, answer: StoredAnswer) -> None:
        t = idempotency_keys
        with self.engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.scope == scope, t.c.key == _row_key(key)).values(
                status=answer.status, content_type=answer.content_type,
                location=_seal(key, answer.location) if answer.location else None, body=_seal(key, answer.body)))

    def release(self, scope: str, key: str) -> None:
        t = idempotency_keys
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t).where(t.c.scope == scope, t.c.key == _row_key(key), t.c.status.is_(None)))
