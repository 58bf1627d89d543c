"""Read models for the API and the pages: what scoring shows, assembled from its stores."""
from __future__ import annotations

from dataclasses import dataclass

from giaitrinh_scoring.adapters.localities import SqlRegistry
from giaitrinh_scoring.adapters.officials import SqlOfficials
from giaitrinh_scoring.adapters.satisfaction import Satisfaction
from giaitrinh_scoring.domain.indicators import RATINGS_COUNT, RATINGS_SUM
from giaitrinh_scoring.domain.satisfaction import OFFICIAL, UNIT
from giaitrinh_scoring.service_layer.unit_of_work import ScoringUnitOfWork


@dataclass(frozen=True)
class Accountable:
    """One unit or official and the satisfaction of the answers they gave."""

    id: str
    name: str | None  # from the registry (a unit's; an official's account); None while not known
    satisfaction: Satisfaction


@dataclass(frozen=True)
class SatisfactionTable:
    """Mức độ hài lòng of a locality in a period: in all, per unit, per official, and the
    ratings not yet counted for anyone (their answer is not known to scoring yet)."""

    locality_code: str
    period: str
    locality: Satisfaction
    units: list[Accountable]
    officials: list[Accountable]
    waiting: Satisfaction


def satisfaction_table(uow: ScoringUnitOfWork, locality: str, period: str) -> SatisfactionTable:
    figures = uow.indicators.for_locality(locality, period)
    assert uow.session is not None
    names = SqlRegistry(uow.session).unit_names(locality)
    units = uow.satisfaction.by_accountable(locality, period, UNIT)
    officials = uow.satisfaction.by_accountable(locality, period, OFFICIAL)
    official_names = SqlOfficials(uow.session).names(officials)
    return SatisfactionTable(
        locality_code=locality, period=period,
        locality=Satisfaction(figures.get(RATINGS_COUNT, 0), figures.get(RATINGS_SUM, 0)),
        units=[Accountable(code, names.get(code), s) for code, s in units.items()],
        officials=[Accountable(who, official_names.get(who), s) for who, s in officials.items()],
        waiting=uow.satisfaction.waiting(locality, period))
