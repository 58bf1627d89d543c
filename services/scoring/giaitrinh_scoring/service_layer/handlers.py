"""Scoring's handlers: every lifecycle event moves the indicators it counts; routing's case
events keep whose hands each case is in and raise the violation flags they decide; ratings
count for the unit and official whose answer they rate."""
from __future__ import annotations

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_scoring.adapters import events_out
from giaitrinh_scoring.adapters.localities import SqlRegistry
from giaitrinh_scoring.adapters.officials import SqlOfficials
from giaitrinh_scoring.adapters.violations import Raised
from giaitrinh_scoring.domain.indicators import (
    RATINGS_COUNT,
    RATINGS_SUM,
    VIOLATIONS_FLAGGED,
    indicator_moves,
    period_of,
)
from giaitrinh_scoring.domain.satisfaction import Answer, Rating, answer_rated, answer_told_by, rating_told_by
from giaitrinh_scoring.domain.violations import (
    DEFAULT_TRANSFER_LIMIT,
    CaseOnRecord,
    Transfer,
    ViolationFlag,
    flag_raised_by,
    follow,
    repeated_transfers,
    transfer_told_by,
)
from giaitrinh_scoring.service_layer.unit_of_work import ScoringUnitOfWork


def count_event(event: CloudEvent, uow: ScoringUnitOfWork) -> None:
    """Move each indicator the event moves (by one, or by the stars of a rating), in its
    locality and the period of the moment it tells of (the step's own time, not when it reached
    us). A rating needs nothing else to be known: it counts whenever it comes."""
    period = period_of(event.time)
    for indicator, by in indicator_moves(event.type, event.data):
        uow.indicators.add(event.locality, period, indicator, by=by)


def on_case_event(event: CloudEvent, uow: ScoringUnitOfWork, *,
                  transfer_limit: int = DEFAULT_TRANSFER_LIMIT) -> None:
    """Count the event, note who handles the case, and raise the violation it decides, if any
    (``transfer_limit``: the transfers of a case that pass unflagged, from scoring's settings)."""
    count_event(event, uow)
    case_id = event.data.get("case_id")
    known = before = uow.flags.case(case_id) if case_id else None
    if (now_known := follow(known, event.type, event.data)) is not None:
        uow.flags.keep_case(now_known)
        known = now_known
    raised = flag_raised_by(event.type, event.data, event_id=event.id, at=event.time)
    if raised is not None:
        raise_flag(raised.naming(known), event, uow)
    if (transfer := transfer_told_by(event.type, event.data, event_id=event.id, at=event.time)) is not None:
        flag_repeated_transfers(transfer, event, uow, transfer_limit, before)
    answer = answer_told_by(event.type, event.data, at=event.time)
    if answer is not None and uow.satisfaction.keep_answer(answer):
        attribute_ratings(answer.request_id, uow)


def on_rating(event: CloudEvent, uow: ScoringUnitOfWork) -> None:
    """A ``request.rated``: count it for the locality at once (as ever), keep it, and count it
    for the unit and official of the answer it rates — or, when no answer of its request is
    known yet (the case stream is behind, or the request is unknown), keep it waiting for one."""
    count_event(event, uow)
    rating = rating_told_by(event.type, event.data, event_id=event.id, at=event.time)
    if rating is not None and uow.satisfaction.keep_rating(rating):
        attribute_ratings(rating.request_id, uow)


def attribute_ratings(request_id: str, uow: ScoringUnitOfWork) -> None:
    """Decide again, for every rating of the request, which known answer it rates (domain rule:
    :func:`answer_rated`), and move its count and stars from the unit and official it was
    counted for to those of that answer, in the period of the rating."""
    answers = uow.satisfaction.answers_of(request_id)
    by_key = {a.key: a for a in answers}
    for rating, counted_for in uow.satisfaction.ratings_of(request_id):
        rated = answer_rated(rating, answers)
        if (rated.key if rated is not None else None) == counted_for:
            continue
        if counted_for is not None:
            _count_rating(rating, by_key[counted_for], -1, uow)
        if rated is not None:
            _count_rating(rating, rated, +1, uow)
        uow.satisfaction.attribute(rating.event_id, rated.key if rated is not None else None)


def _count_rating(rating: Rating, answer: Answer, sign: int, uow: ScoringUnitOfWork) -> None:
    period = period_of(rating.rated_at)
    for kind, who in answer.accountable():
        uow.satisfaction.add(rating.locality_code, period, kind, who, RATINGS_COUNT, sign)
        uow.satisfaction.add(rating.locality_code, period, kind, who, RATINGS_SUM, sign * rating.stars)


def flag_repeated_transfers(transfer: Transfer, event: CloudEvent, uow: ScoringUnitOfWork, limit: int,
                            before: CaseOnRecord | None) -> None:
    """Keep the transfer ``event`` tells of and flag the case once its transfers pass ``limit``
    (domain rule: :func:`repeated_transfers`). When this very transfer is the one over the
    limit, the flag names the official who had the case in the unit that passed it on (the
    record as it was before the transfer)."""
    uow.flags.keep_transfer(transfer)
    flag = repeated_transfers(uow.flags.transfers(transfer.case_id), limit)
    if flag is not None:
        raise_flag(flag.naming(before if flag.raised_by == event.id else None), event, uow)


def raise_flag(flag: ViolationFlag, event: CloudEvent, uow: ScoringUnitOfWork) -> None:
    """Store the flag; the first telling is counted and told on the scores topic (through the
    outbox, in this transaction). An earlier telling arriving later moves the flag, and its
    count, to the earlier moment: the figures are those of the events, in any order."""
    outcome, before = uow.flags.raise_flag(flag)
    if outcome is Raised.NEW:
        uow.indicators.add(flag.locality_code, period_of(flag.raised_at), VIOLATIONS_FLAGGED)
        uow.emit(events_out.SCORES_TOPIC, events_out.violation_flagged(flag, event))
    elif outcome is Raised.EARLIER and before is not None:
        was, now = period_of(before.raised_at), period_of(flag.raised_at)
        if was != now:
            uow.indicators.add(flag.locality_code, was, VIOLATIONS_FLAGGED, by=-1)
            uow.indicators.add(flag.locality_code, now, VIOLATIONS_FLAGGED)


def on_locality_changed(event: CloudEvent, uow: ScoringUnitOfWork) -> None:
    """Routing's registry changed a locality: which are served, their units and fields."""
    assert uow.session is not None
    SqlRegistry(uow.session).apply_locality(event.data)


def on_account_changed(event: CloudEvent, uow: ScoringUnitOfWork) -> None:
    """Routing's registry changed a staff account: keep its name (latest changed_at wins)."""
    assert uow.session is not None
    SqlOfficials(uow.session).apply_account(event.data)
