"""Scoring's handlers: every lifecycle event moves the indicators it counts."""
from __future__ import annotations

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_scoring.adapters.localities import SqlRegistry
from giaitrinh_scoring.domain.indicators import indicators_moved, period_of
from giaitrinh_scoring.service_layer.unit_of_work import ScoringUnitOfWork


def count_event(event: CloudEvent, uow: ScoringUnitOfWork) -> None:
    """Add one to each indicator the event moves, in its locality and the period of the moment
    it tells of (the step's own time, not when it reached us)."""
    period = period_of(event.time)
    for indicator in indicators_moved(event.type, event.data):
        uow.indicators.add(event.locality, period, indicator)


def on_locality_changed(event: CloudEvent, uow: ScoringUnitOfWork) -> None:
    """Routing's registry changed a locality: which are served, their units and fields."""
    assert uow.session is not None
    SqlRegistry(uow.session).apply_locality(event.data)
