"""Routing's handlers. They never commit: their caller does, once (the consumer, with the
inbox claim; the CLI, for a command)."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from giaitrinh_common import topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.domain.model import Case, Locality
from giaitrinh_routing.service_layer.unit_of_work import RoutingUnitOfWork


def on_request_submitted(event: CloudEvent, uow: RoutingUnitOfWork, now: datetime) -> None:
    """A request arrived: open its case (once, whatever the delivery count)."""
    d = event.data
    if uow.cases.for_request(d["request_id"]) is not None:
        return
    case = Case.register(id=str(uuid.uuid4()), request_id=d["request_id"],
                         tracking_code=d["tracking_code"], kind=d["kind"], field=d["field"],
                         locality_code=d["locality_code"], now=now)
    uow.cases.add(case)
    uow.emit(topics.CASES, events_out.case_registered(case, event))


def seed_localities(uow: RoutingUnitOfWork, localities: Iterable[Locality],
                    progress: Callable[[int], None] = lambda n: None) -> int:
    """Add the localities not yet registered; return how many were added. Safe to run again."""
    known = uow.localities.known_codes()
    added = 0
    for locality in localities:
        if locality.code not in known:
            uow.localities.add(locality)
            added += 1
        progress(1)
    return added
