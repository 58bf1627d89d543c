"""Scoring's handlers: every lifecycle event moves the indicators it counts."""
from __future__ import annotations

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_scoring.domain.indicators import COUNTED_BY_EVENT, period_of
from giaitrinh_scoring.service_layer.unit_of_work import ScoringUnitOfWork


def count_event(event: CloudEvent, uow: ScoringUnitOfWork) -> None:
    uow.indicators.add(event.locality, period_of(event.time), COUNTED_BY_EVENT[event.type])
