"""The localities (tenants) that own cases; the case itself is in :mod:`.case`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locality:
    """Xã, phường: a tenant of the platform."""

    code: str
    name: str
    province_code: str
    division_type: str  # "xã", "phường", "đặc khu"
    served: bool = True  # whether the platform takes requests for it (the registry decides)
