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
    """Intake's copy of the registry's publishers (the ``publishers`` table fed by routing's
    ``publisher.changed`` events). Until that table exists no key is known, so every Open311
    POST is refused (403), never let through."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._table: sa.Table | None = None

    def _publishers(self) -> sa.Table | None:
        if self._table is None and sa.inspect(self.engine).has_table("publishers"):
            self._table = sa.Table("publishers", sa.MetaData(), autoload_with=self.engine)
        return self._table

    def _by_sha256(self, digest: str) -> Publisher | None:
        publishers = self._publishers()
        if publishers is None:
            return None
        c = publishers.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(publishers).where(c.key_sha256 == digest)).mappings().first()
        if row is None or not row.get("active", True):
            return None
        localities = row.get("localities") or []
        if isinstance(localities, str):  # a comma-separated column
            localities = [code for code in localities.split(",") if code]
        return Publisher(str(row["id"] if "id" in row else row["publisher_id"]), row.get("name", ""),
                         frozenset(localities))
