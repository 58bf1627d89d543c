"""The registry over HTTP: one locality with its units (public), enabling and disabling a
locality, its units and routing rules, and the systems allowed to publish. Every change
publishes the registry's event (``locality.changed``, ``publisher.changed``) in the same
transaction, so intake, scoring and notify learn it from the one source.

Who: reading a locality is public (what the platform serves is public); a locality's units
and rules are its staff's to read (another locality's answer 404); changes are the
provincial admin's, whose scope is the whole deployment.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from giaitrinh_common.auth import PROVINCIAL_ADMIN, STAFF, Principal, allow, current_principal, signed_in
from giaitrinh_common.auth import PUBLIC as ANYONE
from giaitrinh_common.web import ApiError, detail, json_body, shown
from giaitrinh_routing.bootstrap import RoutingRuntime
from giaitrinh_routing.domain.accounts import AccountProblems, ApiKey
from giaitrinh_routing.domain.case import InvalidAction
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.domain.registry import FIELDS, RoutingRule, Unit, UnitKind, fields_by_unit
from giaitrinh_routing.service_layer.accounts import UnknownAccount
from giaitrinh_routing.service_layer.handlers import UnknownLocality

api = Blueprint("routing_registry", __name__, url_prefix="/api/v1")

ADMIN = signed_in(PROVINCIAL_ADMIN)
LOCALITY_STAFF = signed_in(*STAFF, locality_arg="locality_code")
CODE_MAX = 10


def _runtime() -> RoutingRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # the route's policy admits only signed-in principals
    return principal


def _unknown_fields(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise ApiError(422, "unknown_fields", "Nội dung có trường không được hỗ trợ.",
                       "The body has fields this endpoint does not read.",
                       [detail(shown(k), "unknown_field", "Trường không được hỗ trợ.", "Unknown field.")
                        for k in unknown[:20]])


def _locality_or_404(code: str) -> tuple[Locality, list[Unit], dict[str, RoutingRule]]:
    if len(code) > CODE_MAX:
        raise ApiError.standard(404)
    with _runtime().unit_of_work() as uow:
        locality = uow.localities.get(code)
        if locality is None:
            raise ApiError.standard(404)
        return locality, uow.units.units_of(code), uow.units.rules_of(code)


def _units_json(locality: Locality, units: list[Unit], rules: dict[str, RoutingRule],
                only_active: bool) -> list[dict[str, Any]]:
    handles = fields_by_unit(locality.code, rules, {u.code for u in units if u.active})
    return [{"code": u.code, "name": u.name, "kind": u.kind.value, "active": u.active,
             "fields": handles.get(u.code, []) if u.active else []}
            for u in units if u.active or not only_active]


def _locality_json(locality: Locality, units: list[Unit], rules: dict[str, RoutingRule]) -> dict[str, Any]:
    from giaitrinh_routing.adapters.reference_data import province_name
    try:
        province = province_name(locality.province_code)
    except ValueError:
        province = locality.province_code
    return {"code": locality.code, "name": locality.name, "province_code": locality.province_code,
            "province_name": province, "division_type": locality.division_type, "served": locality.served,
            "units": _units_json(locality, units, rules, only_active=True)}


# -- localities ----------------------------------------------------------------------------------
@api.get("/localities/<locality_code>")
@allow(ANYONE)
def get_locality(locality_code: str):
    """One registered commune or ward: served or not, its active units and their fields."""
    return jsonify(_locality_json(*_locality_or_404(locality_code)))


def _serve(locality_code: str, served: bool):
    try:
        _runtime().set_locality_served(locality_code, served, _principal().id)
    except UnknownLocality:
        raise ApiError.standard(404) from None
    return jsonify(_locality_json(*_locality_or_404(locality_code)))


@api.post("/localities/<locality_code>/enable")
@allow(ADMIN)
def enable_locality(locality_code: str):
    """Serve a commune or ward of the official list (registered with the default units if new)."""
    return _serve(locality_code, True)


@api.post("/localities/<locality_code>/disable")
@allow(ADMIN)
def disable_locality(locality_code: str):
    """Stop serving a commune or ward; its cases stay."""
    return _serve(locality_code, False)


# -- units and rules -----------------------------------------------------------------------------
@api.get("/localities/<locality_code>/units")
@allow(LOCALITY_STAFF)
def list_units(locality_code: str):
    """The locality's units, inactive ones included."""
    locality, units, rules = _locality_or_404(locality_code)
    return jsonify(items=_units_json(locality, units, rules, only_active=False))


@api.put("/localities/<locality_code>/units/<unit_code>")
@allow(ADMIN)
def put_unit(locality_code: str, unit_code: str):
    """Add or change a unit: ``{"name", "kind"?, "active"?}``."""
    _locality_or_404(locality_code)
    body = json_body()
    _unknown_fields(body, {"name", "kind", "active"})
    name, kind, active = body.get("name"), body.get("kind", UnitKind.HANDLING.value), body.get("active", True)
    problems = []
    if not isinstance(name, str):
        problems.append(detail("name", "required", "Tên đơn vị là chuỗi ký tự.", "The unit's name is a string."))
    if not isinstance(kind, str) or kind not in {k.value for k in UnitKind}:
        problems.append(detail("kind", "invalid_choice", "handling hoặc supervising.", "handling or supervising."))
    if not isinstance(active, bool):
        problems.append(detail("active", "wrong_type", "true hoặc false.", "true or false."))
    if problems:
        raise ApiError(422, "invalid_fields", "Nội dung chưa hợp lệ; xem từng trường dưới đây.",
                       "The content breaks a rule; see each field below.", problems)
    row = {"locality_code": locality_code, "code": unit_code, "name": name, "kind": kind,
           "active": "true" if active else "false"}
    from giaitrinh_routing.service_layer.handlers import ImportRefused
    try:
        _runtime().import_units([row], _principal().id)
    except ImportRefused as exc:
        raise ApiError(422, "invalid_fields", "Nội dung chưa hợp lệ; xem từng trường dưới đây.",
                       "The content breaks a rule; see each field below.",
                       [detail(p.column or "unit", p.code, p.vi or p.message, p.message)
                        for p in exc.problems]) from None
    locality, units, rules = _locality_or_404(locality_code)
    return jsonify(next(u for u in _units_json(locality, units, rules, only_active=False)
                        if u["code"] == unit_code))


def _rule_json(rule: RoutingRule) -> dict[str, Any]:
    return {"locality_code": rule.locality_code, "field": rule.field, "unit_code": rule.unit_code,
            "official_id": rule.official_id}


@api.get("/localities/<locality_code>/rules")
@allow(LOCALITY_STAFF)
def list_rules(locality_code: str):
    """The locality's routing rules, one per field."""
    _locality, _units, rules = _locality_or_404(locality_code)
    return jsonify(items=[_rule_json(rules[f]) for f in FIELDS if f in rules])


@api.put("/localities/<locality_code>/rules/<field>")
@allow(ADMIN)
def put_rule(locality_code: str, field: str):
    """Route a field to an active handling unit: ``{"unit_code", "official_id"?}``."""
    _locality_or_404(locality_code)
    if field not in FIELDS:
        raise ApiError.standard(404)
    body = json_body()
    _unknown_fields(body, {"unit_code", "official_id"})
    unit_code, official_id = body.get("unit_code"), body.get("official_id", "")
    if not isinstance(unit_code, str) or not isinstance(official_id, str) or len(official_id) > 100:
        raise ApiError(422, "invalid_fields", "unit_code và official_id là chuỗi ký tự.",
                       "unit_code and official_id are strings.",
                       [detail("unit_code" if not isinstance(unit_code, str) else "official_id", "wrong_type",
                               "Chuỗi ký tự.", "A string.")])
    rule = RoutingRule(locality_code, field, unit_code, official_id)
    try:
        _runtime().set_rule(rule, _principal().id)
    except InvalidAction as exc:
        raise ApiError(422, "invalid_fields", "Quy tắc chưa hợp lệ; xem từng trường dưới đây.",
                       "The rule breaks a rule; see each field below.",
                       [detail(p.field, p.code, p.vi, p.en) for p in exc.problems]) from None
    return jsonify(_rule_json(rule))


# -- publishers ----------------------------------------------------------------------------------
def _publisher_json(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "name": key.name, "localities": sorted(key.localities), "active": not key.disabled,
            "created_at": key.created_at.isoformat()}


def _accounts():
    return current_app.extensions["giaitrinh_accounts"]


@api.get("/publishers")
@allow(ADMIN)
def list_publishers():
    """The systems allowed to publish, never their keys."""
    return jsonify(items=[_publisher_json(k) for k in _accounts().api_keys()])


@api.post("/publishers")
@allow(ADMIN)
def add_publisher():
    """Register a system: ``{"name", "localities"}``; its key is in this answer only."""
    body = json_body()
    _unknown_fields(body, {"name", "localities"})
    name, localities = body.get("name"), body.get("localities")
    if not isinstance(name, str) or not isinstance(localities, list) or \
            not all(isinstance(c, str) for c in localities):
        raise ApiError(422, "invalid_fields", "name là chuỗi, localities là danh sách mã xã, phường.",
                       "name is a string, localities a list of locality codes.",
                       [detail("name" if not isinstance(name, str) else "localities", "wrong_type",
                               "Sai kiểu dữ liệu.", "Wrong type.")])
    try:
        key, secret = _accounts().add_api_key(name, set(localities), by=_principal().id)
    except AccountProblems as exc:
        raise ApiError(422, "invalid_fields", "Nội dung chưa hợp lệ; xem từng trường dưới đây.",
                       "The content breaks a rule; see each field below.",
                       [detail(p.field, p.code, p.vi, p.en) for p in exc.problems]) from None
    resp = jsonify({**_publisher_json(key), "api_key": secret})
    resp.status_code = 201
    return resp


def _set_publisher(name: str, disabled: bool):
    service = _accounts()
    try:
        service.set_api_key_disabled(name, disabled, by=_principal().id)
    except UnknownAccount:
        raise ApiError.standard(404) from None
    return jsonify(next(_publisher_json(k) for k in service.api_keys() if k.name == name))


@api.post("/publishers/<name>/enable")
@allow(ADMIN)
def enable_publisher(name: str):
    """Let a system publish again."""
    return _set_publisher(name, False)


@api.post("/publishers/<name>/disable")
@allow(ADMIN)
def disable_publisher(name: str):
    """Stop a system publishing: intake refuses its key once it learns of the change."""
    return _set_publisher(name, True)
