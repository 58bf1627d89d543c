"""Nhật ký kiểm toán — the append-only, hash-chained audit log.

Every state change of a case and every change of the registry is one entry, written in the
same transaction as the change. Each entry's hash covers its content and the hash before it,
so an entry edited, removed or put out of order afterwards breaks the chain at that row —
an explanation or a deadline cannot be altered silently (DESIGN §5).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    at: str  # ISO 8601, UTC
    actor_id: str
    actor_role: str
    entity: str  # case, locality, unit, rule, account
    entity_id: str
    action: str
    payload: dict[str, Any]

    def canonical(self, seq: int) -> str:
        return json.dumps({"seq": seq, "at": self.at, "actor_id": self.actor_id,
                           "actor_role": self.actor_role, "entity": self.entity,
                           "entity_id": self.entity_id, "action": self.action,
                           "payload": self.payload},
                          sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, seq: int, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + entry.canonical(seq)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    seq: int
    entry: AuditEntry
    prev_hash: str
    hash: str


def first_break(rows: Iterable[StoredEntry], head: tuple[int, str] | None = None) -> str | None:
    """None when the chain holds; else which row breaks it and how. ``head`` is the (seq, hash)
    the log's head says it ends at: removing the last rows is caught there."""
    prev_hash, expected_seq = GENESIS, 1
    for row in rows:
        if row.seq != expected_seq:
            return (f"row {expected_seq}: missing (the next row is {row.seq})" if row.seq > expected_seq
                    else f"row {row.seq}: out of order (expected {expected_seq})")
        if row.prev_hash != prev_hash:
            return f"row {row.seq}: does not follow row {row.seq - 1} (removed, reordered or edited)"
        if chain_hash(prev_hash, row.seq, row.entry) != row.hash:
            return f"row {row.seq}: its content does not match its hash (edited)"
        prev_hash, expected_seq = row.hash, expected_seq + 1
    if head is not None and head != (expected_seq - 1, prev_hash):
        return f"the log ends at row {expected_seq - 1} but its head says row {head[0]} (rows removed)"
    return None
