"""Routing's web app: the JSON API, the sign-in API and the officials' console (pages under ``/console/``)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.web import ApiError, detail, page_args
from giaitrinh_routing.bootstrap import RoutingRuntime, bootstrap

api = Blueprint("routing_api", __name__, url_prefix="/api/v1")


def _province_arg() -> str | None:
    """``?province=``: a province code (one or two ASCII digits, e.g. 44), or None for all."""
    province = request.args.get("province", "")
    if province == "":
        return None
    if province.isascii() and province.isdigit() and len(province) <= 2:
        return str(int(province))  # codes are stored without leading zeros
    raise ApiError(400, "invalid_parameter", "Tham số province phải là mã tỉnh/thành phố, ví dụ 44.",
                   "The parameter province must be a province code, e.g. 44.",
                   [detail("province", "invalid_province", "Một hoặc hai chữ số 0–9.", "One or two digits 0–9.")])


@api.get("/localities")
@allow(PUBLIC)
def localities():
    """The registered communes and wards (public), paginated (``page``, ``per_page`` ≤ 500),
    optionally of one province (``province``) and only those served or not (``served``)."""
    page = page_args(default_size=50, max_size=500)
    province = _province_arg()
    served = {"": None, "true": True, "false": False}.get(request.args.get("served", ""))
    runtime: RoutingRuntime = current_app.extensions["giaitrinh_runtime"]
    with runtime.unit_of_work() as uow:
        items, total = uow.localities.page(province, page.offset, page.size, served)
    return jsonify(total=total, page=page.number, per_page=page.size,
                   items=[{"code": x.code, "name": x.name, "province_code": x.province_code,
                           "division_type": x.division_type, "served": x.served} for x in items])


def create_app(runtime: RoutingRuntime | None = None):
    """App factory (gunicorn: ``'giaitrinh_routing.entrypoints.web:create_app()'``)."""
    from giaitrinh_common.openapi import openapi_blueprint
    from giaitrinh_common.ui import install_pages
    from giaitrinh_routing.entrypoints import (
        auth,
        cases,
        commitments,
        console,
        console_admin,
        console_auth,
        public_files,
        registry_api,
    )

    runtime = runtime or bootstrap()
    app = runtime.web_app(__name__, [api, auth.api, auth.pages, cases.api, commitments.api, registry_api.api,
                                     openapi_blueprint("routing", "giaitrinh_routing.entrypoints"),
                                     console.pages, console_auth.pages, console_admin.pages,
                                     public_files.public_files])
    app.extensions["giaitrinh_accounts"] = auth.account_service(runtime)
    return install_pages(app, translations=[console.TRANSLATIONS])
