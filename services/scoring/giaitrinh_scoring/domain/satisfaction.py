"""Mức độ hài lòng per unit and per official — whose answer each rating is about.

The criteria set scores every unit and official, not only the locality, on the satisfaction of
citizens and businesses (Directive 53-CT/TW; the plans' *bộ tiêu chí đánh giá*). A rating
(``request.rated``, from intake, keyed by the request) says nothing of who answered: routing's
``case.answered`` does — the unit the case was with (``unit_code``) and the official who gave
the explanation (``actor``). So scoring keeps each answer of a request, and a rating counts for
the unit and the official of **the answer it rates**: the latest answer given before the rating
(after an upheld dispute the case is answered again, and a rating after that is of the new
answer, by whoever gave it).

The two events come on two streams (requests and cases), so a rating can be read before the
answer it rates. It is never dropped: it counts for the locality at once, and waits unattributed
until an answer of its request is known; each answer that arrives decides again, for every rating
of its request, which answer it rates, and moves the counts when that changes. The attribution is
a function of the set of answers known, so every order of arrival ends with the figures of the
order of events (a rebuild from offset 0 gives the incremental path's numbers). Plain Python.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ANSWERED = "vn.giaitrinh.case.answered.v1"
RATED = "vn.giaitrinh.request.rated.v1"
UNIT = "unit"  # đơn vị
OFFICIAL = "official"  # cán bộ, công chức
# Who signs an explanation: the workflow lets the case's official or a head answer.
_ANSWERING_ROLES = frozenset({"official", "unit_head", "locality_head"})


@dataclass(frozen=True)
class Answer:
    """Một lần giải trình — one explanation of a request: who gave it, for which unit, when."""

    case_id: str
    version: int  # the case's version after the answer: a second answer has a higher one
    request_id: str
    locality_code: str
    answered_at: datetime
    unit_code: str | None
    official_id: str | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.case_id, self.version)

    def accountable(self) -> list[tuple[str, str]]:
        """The unit and the official this answer's ratings count for, as (kind, id)."""
        return [(kind, who) for kind, who in ((UNIT, self.unit_code), (OFFICIAL, self.official_id)) if who]


@dataclass(frozen=True)
class Rating:
    """Một lượt đánh giá — one person's stars for the answer of a request."""

    event_id: str
    request_id: str
    locality_code: str
    rated_at: datetime
    stars: int


def answer_told_by(event_type: str, data: Mapping[str, Any], *, at: datetime) -> Answer | None:
    """The answer a ``case.answered`` tells of (None for any other event)."""
    if event_type != ANSWERED:
        return None
    actor = data.get("actor") or {}
    official = actor.get("id") if actor.get("role") in _ANSWERING_ROLES else None
    return Answer(case_id=data["case_id"], version=int(data["version"]), request_id=data["request_id"],
                  locality_code=data["locality_code"], answered_at=at,
                  unit_code=data.get("unit_code") or None, official_id=official or None)


def rating_told_by(event_type: str, data: Mapping[str, Any], *, event_id: str, at: datetime) -> Rating | None:
    """The rating a ``request.rated`` tells of (None for any other event)."""
    if event_type != RATED:
        return None
    return Rating(event_id=event_id, request_id=data["request_id"], locality_code=data["locality_code"],
                  rated_at=at, stars=int(data["rating"]))


def answer_rated(rating: Rating, answers: Iterable[Answer]) -> Answer | None:
    """The answer ``rating`` is about: the latest given at or before it (by time, then case
    version). Intake lets a person rate only an answer it has shown them, so one always comes
    first; should the two services' clocks disagree by a moment, the earliest answer is the
    one. None while no answer of the request is known: the rating waits for one."""
    ordered = sorted(answers, key=lambda a: (a.answered_at, a.key))
    if not ordered:
        return None
    before = [a for a in ordered if a.answered_at <= rating.rated_at]
    return before[-1] if before else ordered[0]
