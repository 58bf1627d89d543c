"""Scoring's web app (scorecards, rankings and the public dashboard come with the scoring issue)."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, request

from giaitrinh_common.web import ApiError
from giaitrinh_scoring.bootstrap import ScoringRuntime, bootstrap
from giaitrinh_scoring.domain.indicators import period_of

api = Blueprint("scoring_api", __name__, url_prefix="/api/v1")


@api.get("/localities/<code>/indicators")
def indicators(code: str):
    """Public aggregate counts of one commune/ward for a period (default: this year)."""
    runtime: ScoringRuntime = current_app.extensions["giaitrinh_runtime"]
    period = request.args.get("period") or period_of(runtime.now())
    if not re.fullmatch(r"\d{4}", period):
        raise ApiError(400, "invalid_period", "Kỳ đánh giá phải là một năm, ví dụ 2026.",
                       "The period must be a year, e.g. 2026.")
    with runtime.unit_of_work() as uow:
        values = uow.indicators.for_locality(code, period)
    return jsonify(locality_code=code, period=period, indicators=values)


def create_app(runtime: ScoringRuntime | None = None):
    """App factory (gunicorn: ``'giaitrinh_scoring.entrypoints.web:create_app()'``)."""
    return (runtime or bootstrap()).web_app(__name__, [api])
