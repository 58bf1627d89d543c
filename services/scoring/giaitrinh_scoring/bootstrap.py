"""Scoring's composition root."""
from __future__ import annotations

from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_scoring.adapters import orm
from giaitrinh_scoring.domain.indicators import MOVES
from giaitrinh_scoring.service_layer import handlers
from giaitrinh_scoring.service_layer.unit_of_work import ScoringUnitOfWork
from giaitrinh_scoring.settings import ScoringSettings


class ScoringRuntime(ServiceRuntime):
    service = "scoring"
    metadata = orm.metadata
    unit_of_work_class = ScoringUnitOfWork

    def handlers(self):
        return {**{event_type: handlers.count_event for event_type in MOVES},
                "vn.giaitrinh.locality.changed.v1": handlers.on_locality_changed}


def bootstrap(settings: ScoringSettings | None = None, **kwargs) -> ScoringRuntime:
    return ScoringRuntime(settings or ScoringSettings.from_env(), **kwargs)
