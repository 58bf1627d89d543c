"""Scoring's web app: the public indicators, the satisfaction of each unit and official for
those who evaluate them, the violation flags for supervisors (rankings and the public dashboard
come with the scoring issue)."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, request

from giaitrinh_common.auth import LOCALITY_HEAD, PROVINCIAL_ADMIN, PUBLIC, SUPERVISOR, allow, signed_in
from giaitrinh_common.openapi import openapi_blueprint
from giaitrinh_common.web import ApiError, detail
from giaitrinh_scoring.adapters.localities import names_a_commune_or_ward
from giaitrinh_scoring.adapters.satisfaction import Satisfaction
from giaitrinh_scoring.bootstrap import ScoringRuntime, bootstrap
from giaitrinh_scoring.domain.indicators import period_of
from giaitrinh_scoring.entrypoints.flags_api import api as flags_api
from giaitrinh_scoring.service_layer.views import satisfaction_table

api = Blueprint("scoring_api", __name__, url_prefix="/api/v1")

# Periods asked for run from this year back to 2000, long before any request the platform
# can have counted; later years have nothing to show yet.
FIRST_PERIOD = 2000
# An official's scores are part of their evaluation, not public: the locality's supervisors
# (HĐND, MTTQ, UBKT) and heads who evaluate, and the provincial admin; another locality's: 404.
EVALUATORS = signed_in(SUPERVISOR, LOCALITY_HEAD, PROVINCIAL_ADMIN, locality_arg="code")


def period_arg(this_year: int) -> str:
    """``?period=``: a year of four ASCII digits (``\\d`` would also take ``٢٠٢٦``) from
    :data:`FIRST_PERIOD` to this year; this year when absent."""
    period = request.args.get("period", "") or str(this_year)
    if re.fullmatch(r"[0-9]{4}", period) and FIRST_PERIOD <= int(period) <= this_year:
        return period
    raise ApiError(400, "invalid_period",
                   f"Kỳ đánh giá phải là một năm từ {FIRST_PERIOD} đến {this_year}, ví dụ {this_year}.",
                   f"The period must be a year from {FIRST_PERIOD} to {this_year}, e.g. {this_year}.",
                   [detail("period", "out_of_range", f"Bốn chữ số 0–9, từ {FIRST_PERIOD} đến {this_year}.",
                           f"Four digits 0–9, from {FIRST_PERIOD} to {this_year}.")])


@api.get("/localities/<code>/indicators")
@allow(PUBLIC)  # the public dashboard's figures
def indicators(code: str):
    """Public aggregate counts of one commune/ward for a period (default: this year); 404 for
    a code that names no commune or ward."""
    runtime: ScoringRuntime = current_app.extensions["giaitrinh_runtime"]
    period = period_arg(int(period_of(runtime.now())))
    with runtime.unit_of_work() as uow:
        values = uow.indicators.for_locality(locality_arg(code), period)
    return jsonify(locality_code=code, period=period, indicators=values)


def locality_arg(code: str) -> str:
    """``code`` when it names a commune or ward; 404 otherwise."""
    if not names_a_commune_or_ward(code):
        raise ApiError(404, "unknown_locality", "Không có xã/phường nào mang mã này.",
                       "No commune or ward has this code.")
    return code


def _figures(s: Satisfaction) -> dict:
    return {"ratings_count": s.ratings, "ratings_sum": s.stars, "mean": s.mean}


@api.get("/localities/<code>/satisfaction")
@allow(EVALUATORS)
def satisfaction(code: str):
    """Mức độ hài lòng of a commune/ward for a period (default: this year): in all, for each
    unit and each official whose answers were rated (a rating counts for those of the answer it
    rates), and the ratings whose answer scoring does not know yet."""
    runtime: ScoringRuntime = current_app.extensions["giaitrinh_runtime"]
    period = period_arg(int(period_of(runtime.now())))
    with runtime.unit_of_work() as uow:
        table = satisfaction_table(uow, locality_arg(code), period)
    return jsonify(locality_code=code, period=period, locality=_figures(table.locality),
                   units=[{"unit_code": u.id, "name": u.name, **_figures(u.satisfaction)} for u in table.units],
                   officials=[{"official_id": o.id, "official_name": o.name, **_figures(o.satisfaction)}
                              for o in table.officials],
                   waiting=_figures(table.waiting))


def create_app(runtime: ScoringRuntime | None = None):
    """App factory (gunicorn: ``'giaitrinh_scoring.entrypoints.web:create_app()'``)."""
    from giaitrinh_common.ui import install_pages
    from giaitrinh_scoring.entrypoints import pages

    app = (runtime or bootstrap()).web_app(__name__, [
        api, flags_api, pages.pages,
        openapi_blueprint("scoring", "giaitrinh_scoring.entrypoints")])  # /api/v1/openapi.json
    return install_pages(app, translations=[pages.TRANSLATIONS])
