"""Who may POST to Open311 (and publish on the inbound topic): the registered publishers, each
known by the SHA-256 of its API key. Routing owns the registry and publishes
``publisher.changed`` with ``key_sha256`` only; the key itself never leaves routing, so intake
can check a key it is shown but never learn one.
"""
from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from giaitrinh_intake.adapters.orm import registry_publishers as publishers

MAX_KEY_CHARS = 512  # a real key is 32–64 characters; nothing longer is hashed


@dataclass(frozen=True)
class Publisher:
    """Hệ thống gửi — another system allowed to hand requests to the localities it serves."""

    id: str
    name: str
    localities: frozenset[str]


def key_sha256(api_key: str) -> str:
    """The hex SHA-256 of an API key, as the registry stores it."""
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()


class PublisherKeys(ABC):
    """Contract: :meth:`verify` returns the active publisher whose key's SHA-256 is that of
    ``api_key``, else None (empty, too long, unknown, or the publisher is inactive)."""

    def verify(self, api_key: str) -> Publisher | None:
        if not api_key or len(api_key) > MAX_KEY_CHARS:
            return None
        return self._by_sha256(key_sha256(api_key))

    @abstractmethod
    def _by_sha256(self, digest: str) -> Publisher | None: ...


class InMemoryPublisherKeys(PublisherKeys):
    """Publishers given by hand (tests, the standalone trial)."""

    def __init__(self, publishers: Iterable[tuple[str, Publisher]] = ()):
        self._by_digest = {key_sha256(key): publisher for key, publisher in publishers}

    def _by_sha256(self, digest: str) -> Publisher | None:
        for known, publisher in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                return publisher
        return None


class SqlPublisherKeys(PublisherKeys):
    """Intake's copy of the registry's publishers (table ``publishers``, fed by routing's
    ``publisher.changed`` events: giaitrinh_intake.adapters.localities.SqlRegistry). A key no
    event has named, or a publisher made inactive, is refused."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _by_sha256(self, digest: str) -> Publisher | None:
        c = publishers.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(c.id, c.name, c.localities).where(
                (c.key_sha256 == digest) & c.active)).first()
        if row is None:
            return None
        return Publisher(row.id, row.name, frozenset(row.localities or ()))
