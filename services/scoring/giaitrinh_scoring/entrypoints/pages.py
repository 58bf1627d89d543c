"""Scoring's pages for those who evaluate a locality's units and officials (the supervisors —
HĐND, MTTQ, UBKT —, the locality's head, the provincial admin): the satisfaction criterion
(*mức độ hài lòng*) per unit and per official, under ``/reports/`` (the gateway sends it to
scoring). In the shared shell; no script; another locality's answers 404, as its records do."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template
from flask_babel import format_decimal

from giaitrinh_common.auth import allow
from giaitrinh_scoring.adapters.satisfaction import Satisfaction
from giaitrinh_scoring.domain.indicators import period_of
from giaitrinh_scoring.entrypoints.web import EVALUATORS, FIRST_PERIOD, locality_arg, period_arg
from giaitrinh_scoring.service_layer.views import satisfaction_table

pages = Blueprint("scoring_pages", __name__, url_prefix="/reports", template_folder="templates")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def mean_of(s: Satisfaction) -> str:
    """The mean stars in the page's language ("3,5" in Vietnamese), or a dash when none."""
    return format_decimal(s.mean, format="0.##") if s.mean is not None else "–"


@pages.get("/<code>/hai-long")
@allow(EVALUATORS)
def satisfaction(code: str):
    """The satisfaction of a commune/ward's units and officials in a year (``?period=``)."""
    runtime = current_app.extensions["giaitrinh_runtime"]
    this_year = int(period_of(runtime.now()))
    period = period_arg(this_year)
    with runtime.unit_of_work() as uow:
        table = satisfaction_table(uow, locality_arg(code), period)
    return render_template("scoring/satisfaction.html", table=table, mean_of=mean_of,
                           periods=[(str(y), str(y)) for y in range(this_year, FIRST_PERIOD - 1, -1)])
