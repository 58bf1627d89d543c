"""Seeding routing's locality registry from the official list (a release step of ``up``)."""
from __future__ import annotations

from collections.abc import Callable

from giaitrinh_routing.adapters.reference_data import wards_of
from giaitrinh_routing.bootstrap import RoutingRuntime
from giaitrinh_routing.service_layer.handlers import seed_localities


def seed_province(runtime: RoutingRuntime, province_code: str,
                  progress: Callable[[int], None] = lambda n: None) -> tuple[int, int]:
    """Register every commune and ward of a province; return (added, total)."""
    wards = wards_of(province_code)
    with runtime.unit_of_work() as uow:
        added = seed_localities(uow, wards, progress, runtime.now())
        uow.commit()
    return added, len(wards)
