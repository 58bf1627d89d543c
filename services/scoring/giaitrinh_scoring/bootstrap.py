"""Scoring's composition root."""
from __future__ import annotations

import functools

from giaitrinh_common import contracts
from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_scoring.adapters import orm
from giaitrinh_scoring.domain.indicators import MOVES
from giaitrinh_scoring.domain.satisfaction import RATED
from giaitrinh_scoring.domain.violations import RAISED_BY
from giaitrinh_scoring.service_layer import handlers
from giaitrinh_scoring.service_layer.unit_of_work import ScoringUnitOfWork
from giaitrinh_scoring.settings import ScoringSettings


class ScoringRuntime(ServiceRuntime):
    service = "scoring"
    metadata = orm.metadata
    unit_of_work_class = ScoringUnitOfWork
    settings: ScoringSettings

    def handlers(self):
        # Every case event (each tells who handles the case now; an answer, whose it is), those
        # that raise flags, and the ratings (counted for the unit and official they rate).
        case_events = {t for t in contracts.known_types() if t.startswith("vn.giaitrinh.case.")}
        on_case_event = functools.partial(handlers.on_case_event, transfer_limit=self.settings.transfer_limit)
        return {**{event_type: handlers.count_event for event_type in MOVES},
                **{event_type: on_case_event for event_type in sorted(case_events | set(RAISED_BY))},
                RATED: handlers.on_rating,
                "vn.giaitrinh.locality.changed.v1": handlers.on_locality_changed,
                "vn.giaitrinh.account.changed.v1": handlers.on_account_changed}


def bootstrap(settings: ScoringSettings | None = None, **kwargs) -> ScoringRuntime:
    return ScoringRuntime(settings or ScoringSettings.from_env(), **kwargs)
