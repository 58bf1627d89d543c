"""Cases (hồ sơ) and the localities that own them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CaseState(StrEnum):
    RECEIVED = "received"  # đã tiếp nhận, chờ thụ lý


@dataclass(frozen=True)
class Locality:
    """Xã, phường: a tenant of the platform."""

    code: str
    name: str
    province_code: str
    division_type: str  # "xã", "phường", "đặc khu"


@dataclass
class Case:
    """Hồ sơ giải trình / phản ánh: one request as the handling side tracks it."""

    id: str
    request_id: str
    tracking_code: str
    kind: str
    field: str
    locality_code: str
    state: CaseState
    registered_at: datetime

    @classmethod
    def register(cls, *, id: str, request_id: str, tracking_code: str, kind: str, field: str,
                 locality_code: str, now: datetime) -> Case:
        return cls(id, request_id, tracking_code, kind, field, locality_code, CaseState.RECEIVED, now)
