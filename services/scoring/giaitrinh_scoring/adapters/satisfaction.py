"""Answers, ratings and the indicators of units and officials, on the unit of work's session."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from giaitrinh_scoring.adapters.orm import accountable_indicator_values as av
from giaitrinh_scoring.adapters.orm import answers_on_record as answers
from giaitrinh_scoring.adapters.orm import ratings_on_record as ratings
from giaitrinh_scoring.adapters.stored import utc
from giaitrinh_scoring.domain.indicators import RATINGS_COUNT, RATINGS_SUM, VIETNAM
from giaitrinh_scoring.domain.satisfaction import Answer, Rating


@dataclass(frozen=True)
class Satisfaction:
    """Ratings and their stars: the mean is ``stars / ratings`` (None when nobody rated)."""

    ratings: int = 0
    stars: int = 0

    @property
    def mean(self) -> float | None:
        return round(self.stars / self.ratings, 2) if self.ratings else None


class SqlSatisfaction:
    def __init__(self, session: Session):
        self.session = session

    # -- answers ------------------------------------------------------------------------------
    def keep_answer(self, answer: Answer) -> bool:
        """Keep an answer once per case version; False when it is kept already (told again)."""
        key = (answers.c.case_id == answer.case_id) & (answers.c.version == answer.version)
        if self.session.execute(sa.select(answers.c.version).where(key)).first() is not None:
            return False
        self.session.execute(sa.insert(answers).values(**asdict(answer)))
        return True

    def answers_of(self, request_id: str) -> list[Answer]:
        rows = self.session.execute(sa.select(answers).where(answers.c.request_id == request_id)).mappings().all()
        return [Answer(**{**r, "answered_at": utc(r["answered_at"])}) for r in rows]

    # -- ratings ------------------------------------------------------------------------------
    def keep_rating(self, rating: Rating) -> bool:
        """Keep a rating once per event; False when it is kept already."""
        if self.session.execute(sa.select(ratings.c.event_id)
                                .where(ratings.c.event_id == rating.event_id)).first() is not None:
            return False
        self.session.execute(sa.insert(ratings).values(**asdict(rating)))
        return True

    def ratings_of(self, request_id: str) -> list[tuple[Rating, tuple[str, int] | None]]:
        """Each rating of a request and the answer (case, version) it is counted for, if any."""
        rows = self.session.execute(sa.select(ratings).where(ratings.c.request_id == request_id)
                                    .order_by(ratings.c.rated_at, ratings.c.event_id)).mappings().all()
        return [(Rating(event_id=r["event_id"], request_id=r["request_id"], locality_code=r["locality_code"],
                        rated_at=utc(r["rated_at"]), stars=r["stars"]),
                 (r["answer_case_id"], r["answer_version"]) if r["answer_case_id"] is not None else None)
                for r in rows]

    def attribute(self, event_id: str, answer: tuple[str, int] | None) -> None:
        case_id, version = answer if answer is not None else (None, None)
        self.session.execute(sa.update(ratings).where(ratings.c.event_id == event_id)
                             .values(answer_case_id=case_id, answer_version=version))

    def waiting(self, locality: str, period: str) -> Satisfaction:
        """The ratings of a period no answer is known for yet (counted for the locality only)."""
        year = int(period)
        start, end = datetime(year, 1, 1, tzinfo=VIETNAM), datetime(year + 1, 1, 1, tzinfo=VIETNAM)
        row = self.session.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(ratings.c.stars), 0))
                                   .where(ratings.c.locality_code == locality, ratings.c.answer_case_id.is_(None),
                                          ratings.c.rated_at >= start, ratings.c.rated_at < end)).one()
        return Satisfaction(int(row[0]), int(row[1]))

    # -- the indicators of units and officials -------------------------------------------------
    def add(self, locality: str, period: str, kind: str, accountable_id: str, indicator: str, by: int) -> None:
        key = ((av.c.locality_code == locality) & (av.c.period == period) & (av.c.accountable_kind == kind)
               & (av.c.accountable_id == accountable_id) & (av.c.indicator == indicator))
        # An UPDATE answers with a cursor result, the kind that knows how many rows it changed.
        updated = cast(CursorResult, self.session.execute(sa.update(av).where(key).values(value=av.c.value + by)))
        if not updated.rowcount:
            self.session.execute(sa.insert(av).values(locality_code=locality, period=period, accountable_kind=kind,
                                                      accountable_id=accountable_id, indicator=indicator,
                                                      value=by))

    def by_accountable(self, locality: str, period: str, kind: str) -> dict[str, Satisfaction]:
        """The satisfaction of each unit (or official) of a locality in a period, by its code
        (or account id); one whose ratings all moved to another answer is not listed."""
        rows = self.session.execute(sa.select(av.c.accountable_id, av.c.indicator, av.c.value).where(
            av.c.locality_code == locality, av.c.period == period, av.c.accountable_kind == kind,
            av.c.indicator.in_((RATINGS_COUNT, RATINGS_SUM))))
        values: dict[str, dict[str, int]] = defaultdict(dict)
        for who, indicator, value in rows:
            values[who][indicator] = value
        return {who: Satisfaction(v.get(RATINGS_COUNT, 0), v.get(RATINGS_SUM, 0))
                for who, v in sorted(values.items()) if v.get(RATINGS_COUNT, 0)}
