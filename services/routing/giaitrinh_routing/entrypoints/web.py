"""Routing's web app (the officials' console arrives with the routing issue)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from giaitrinh_common.web import ApiError
from giaitrinh_routing.bootstrap import RoutingRuntime, bootstrap

api = Blueprint("routing_api", __name__, url_prefix="/api/v1")


def _page_args() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError:
        raise ApiError(400, "invalid_paging", "page và per_page phải là số nguyên dương.",
                       "page and per_page must be positive whole numbers.") from None
    if page < 1 or not 1 <= per_page <= 500:
        raise ApiError(400, "invalid_paging", "page ≥ 1 và 1 ≤ per_page ≤ 500.",
                       "page must be ≥ 1 and per_page between 1 and 500.")
    return page, per_page


@api.get("/localities")
def localities():
    """The registered communes and wards (public), paginated."""
    page, per_page = _page_args()
    runtime: RoutingRuntime = current_app.extensions["giaitrinh_runtime"]
    with runtime.unit_of_work() as uow:
        items, total = uow.localities.page(request.args.get("province"), (page - 1) * per_page, per_page)
    return jsonify(total=total, page=page, per_page=per_page,
                   items=[{"code": x.code, "name": x.name, "province_code": x.province_code,
                           "division_type": x.division_type} for x in items])


def create_app(runtime: RoutingRuntime | None = None):
    """App factory (gunicorn: ``'giaitrinh_routing.entrypoints.web:create_app()'``)."""
    return (runtime or bootstrap()).web_app(__name__, [api])
