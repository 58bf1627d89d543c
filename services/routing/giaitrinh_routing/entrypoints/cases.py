"""Routing's case API for officials, heads, supervisors and provincial admins: the cases of
their localities, one case with its steps and the actions open to them, and one POST per
action (``/api/v1/cases/<id>/accept``, ``…/extend``, …) through ``RoutingRuntime.act``.

Tenancy: a case of another locality answers 404, exactly as a case that does not exist —
also for an action, before its version or its state are looked at. The domain decides who
may take which action (403 ``not_permitted``), which action the state allows (409
``action_not_allowed``) and what its content must be (422 ``invalid_action``, each problem
named); a stale ``expected_version`` (body) or ``If-Match`` (header) is 409 ``version_conflict``.
"""
from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from giaitrinh_common.attachments import MAX_UPLOAD_BODY, Upload, refusal_status
from giaitrinh_common.auth import STAFF, Principal, allow, current_principal, signed_in
from giaitrinh_common.web import ApiError, body_limit, detail, json_body, page_args, shown
from giaitrinh_routing.adapters.case_queries import case_ids_page
from giaitrinh_routing.adapters.inbox_queries import CaseFilters
from giaitrinh_routing.bootstrap import RoutingRuntime
from giaitrinh_routing.domain.calendar import local_date
from giaitrinh_routing.domain.case import (
    CHANNELS,
    Action,
    ActionNotAllowed,
    Actor,
    Case,
    CaseState,
    InvalidAction,
    NotPermitted,
    Role,
    VersionConflict,
)
from giaitrinh_routing.domain.case_files import ANSWER_FILE_PATH, REQUEST_FILE_PATH
from giaitrinh_routing.domain.requester import may_read_requester
from giaitrinh_routing.service_layer.handlers import ActOnCase, CaseNotFound, limits_of

api = Blueprint("routing_cases", __name__, url_prefix="/api/v1/cases")

READERS = signed_in(*STAFF)  # people of the platform; a publisher's key reads no case
# The body each action reads (besides ``expected_version``); anything else is refused by name.
ACTION_FIELDS: dict[Action, frozenset[str]] = {
    Action.ACCEPT: frozenset(),
    Action.REFUSE: frozenset({"ground", "reason", "refer_to"}),
    Action.ASSIGN: frozenset({"unit_code", "official_id"}),
    Action.TRANSFER: frozenset({"to_unit", "reason"}),
    Action.EXTEND: frozenset({"days", "reason"}),
    Action.SUSPEND: frozenset({"reason"}),
    Action.RESUME: frozenset(),
    Action.ANSWER: frozenset({"explanation", "legal_basis", "commitments", "meeting_minutes"}),
    Action.CLOSE: frozenset(),
    Action.WITHDRAW: frozenset({"reason"}),
    Action.DISPUTE: frozenset({"reason"}),
    Action.DECIDE_DISPUTE: frozenset({"outcome", "reason"}),
    Action.MERGE: frozenset({"into_case_id", "reason"}),
}
FIELD_FORM = re.compile(r"^[a-z_]{1,40}$")
CASE_ID_MAX = 64


def _runtime() -> RoutingRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # the route's policy admits only signed-in principals
    return principal


def _actor(principal: Principal, case: Case) -> Actor:
    # A provincial admin's scope is every locality of the deployment, the case's included.
    localities = frozenset({case.locality_code}) if principal.sees_every_locality else principal.localities
    return Actor(principal.id, Role(principal.role), localities, principal.unit_code)


def _visible_case(case_id: str) -> Case:
    """The case, if it is the principal's to see; 404 for another locality's, as for none."""
    if len(case_id) > CASE_ID_MAX:
        raise ApiError.standard(404)
    with _runtime().unit_of_work() as uow:
        case = uow.cases.get(case_id)
    if case is None or not _principal().may_see(case.locality_code):
        raise ApiError.standard(404)
    return case


def actions_open_to(actor: Actor, case: Case) -> list[str]:
    """The actions the actor may take now, as the domain tells them (``Case.actions_open_to``:
    the state, role × locality × unit, and an extension already used); the console offers these."""
    return [a.value for a in case.actions_open_to(actor, limits_of(case, _runtime().rules))]


def as_api_error(refusal: Exception, field_name: Callable[[str], str] = str) -> ApiError:
    """The one answer the API and the console give when the domain refuses an action:
    404 for a case that is not there (or hidden: another locality's), 403 ``not_permitted``,
    409 ``action_not_allowed`` or ``version_conflict``, 422 ``invalid_action`` naming each
    field — as ``field_name`` spells it (the console's forms prefix their fields) — or 413 when
    one of the problems is a file over the size limit."""
    if isinstance(refusal, CaseNotFound) or (isinstance(refusal, NotPermitted) and refusal.hidden):
        return ApiError.standard(404)
    if isinstance(refusal, NotPermitted):
        return ApiError(403, "not_permitted", "Bạn không được thực hiện thao tác này với hồ sơ này.",
                        f"You may not do this to this case: {refusal}.")
    if isinstance(refusal, ActionNotAllowed):
        return ApiError(409, "action_not_allowed",
                        f"Không thể thực hiện '{refusal.action.value}' khi hồ sơ đang ở trạng thái "
                        f"'{refusal.state.value}'.",
                        f"'{refusal.action.value}' is not allowed while the case is {refusal.state.value}.")
    if isinstance(refusal, VersionConflict):
        return ApiError(409, "version_conflict", "Hồ sơ vừa được người khác thay đổi; hãy tải lại và thử lại.",
                        "Someone else changed the case since you read it; reload it and try again.")
    if isinstance(refusal, InvalidAction):
        status = refusal_status(p.code for p in refusal.problems)  # 413 for a file too large
        return ApiError(status, "invalid_action", "Nội dung thao tác chưa hợp lệ; xem từng trường dưới đây.",
                        "The action's content breaks a rule; see each field below.",
                        [detail(field_name(p.field), p.code, p.vi, p.en) for p in refusal.problems])
    raise TypeError(f"not a refusal of an action: {refusal!r}")


REFUSALS = (CaseNotFound, NotPermitted, ActionNotAllowed, VersionConflict, InvalidAction)


def take_action(cmd: ActOnCase, field_name: Callable[[str], str] = str) -> Case:
    """Take the action through ``RoutingRuntime.act``, each refusal as :func:`as_api_error`
    says: the API and the console's forms go through here, so a refusal reads the same."""
    try:
        return _runtime().act(cmd)
    except REFUSALS as exc:
        raise as_api_error(exc, field_name) from None


def _summary(case: Case) -> dict[str, Any]:
    today = local_date(_runtime().now())
    return {"id": case.id, "request_id": case.request_id, "tracking_code": case.tracking_code,
            "kind": case.kind, "field": case.field, "channel": case.channel, "locality_code": case.locality_code,
            "state": case.state.value, "registered_at": case.registered_at.isoformat(),
            "received_on": case.received_day.isoformat(),
            "accept_by": _iso(case.accept_by), "answer_by": _iso(case.answer_by),
            "unit_code": case.unit_code, "official_id": case.official_id, "extensions": case.extensions,
            "suspended_on": _iso(case.suspended_on), "flagged": case.flagged,
            "merged_into": case.merged_into, "version": case.version, "overdue": case.overdue(today)}


def _iso(day) -> str | None:
    return day.isoformat() if day is not None else None


def _detail(case: Case) -> Any:
    actor = _actor(_principal(), case)
    with _runtime().unit_of_work() as uow:
        steps = uow.cases.steps(case.id)
        promises = uow.cases.commitments_of(case.id)
        requester = uow.requesters.of(case.id) if may_read_requester(actor, case) else None
        request_files = uow.files.request_files(case.id)
        answered_with = uow.files.answer_files(case.id)
    resp = jsonify({
        **_summary(case), "time_limits_id": case.time_limits_id,
        "steps": [{"version": s["version"], "action": s["action"], "at": s["at"].isoformat(),
                   "actor_id": s["actor_id"], "actor_role": s["actor_role"], "reason": s["reason"],
                   "details": s["details"]} for s in steps],
        "commitments": [{"id": c["id"], "content": c["content"], "unit_code": c["unit_code"],
                         "due_on": _iso(c["due_on"]), "status": c["status"]} for c in promises],
        # The requester's files, to those who may see the case: what each is, and where intake serves it.
        "attachments": [{**f.as_dict(), "url": REQUEST_FILE_PATH.format(id=f.id)} for f in request_files],
        # The files each answer attached (by the case's version after it), served by routing.
        "answer_attachments": [{**f.as_dict(), "case_version": version, "url": ANSWER_FILE_PATH.format(id=f.id)}
                               for version, files in answered_with.items() for f in files],
        "allowed_actions": actions_open_to(actor, case),
        "state_allows": [a.value for a in case.allowed_actions()],
        # Only for those handling the case (may_read_requester); absent for everyone else.
        **({"requester": dataclasses.asdict(requester)} if requester is not None else {}),
    })
    resp.headers["ETag"] = f'"{case.version}"'
    return resp


# -- reading ------------------------------------------------------------------------------------
def _choice_arg(name: str, choices: list[str]) -> str | None:
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if raw in choices:
        return raw
    raise ApiError(400, "invalid_parameter", f"Tham số {name} phải là một trong: {', '.join(choices)}.",
                   f"The parameter {name} must be one of: {', '.join(choices)}.",
                   [detail(name, "invalid_choice", "Giá trị không hợp lệ.", "Not a valid value.")])


@api.get("")
@allow(READERS)
def list_cases():
    """The cases of the principal's localities (a provincial admin: all), newest first:
    ``?state=``, ``?field=``, ``?channel=``, ``?overdue=true``, ``?page=``, ``?per_page=`` (≤ 200);
    ``total`` exact up to ``COUNT_CAP`` matches, else that number with ``total_is_lower_bound``."""
    page = page_args(default_size=50, max_size=200)
    state = _choice_arg("state", [s.value for s in CaseState])
    channel = _choice_arg("channel", list(CHANNELS))
    overdue = _choice_arg("overdue", ["true", "false"]) == "true"
    field = request.args.get("field", "") or None
    if field is not None and not FIELD_FORM.match(field):
        raise ApiError(400, "invalid_parameter", "Tham số field là mã lĩnh vực, ví dụ land.",
                       "The parameter field is a field's code, e.g. land.",
                       [detail("field", "invalid_field", "Chữ thường a–z và '_'.", "Lower-case a–z and '_'.")])
    principal = _principal()
    runtime = _runtime()
    with runtime.unit_of_work() as uow:
        filters = CaseFilters(state, field, channel, local_date(runtime.now()) if overdue else None)
        found = case_ids_page(uow.session, localities=None if principal.sees_every_locality
                              else principal.localities, filters=filters,
                              offset=page.offset, limit=page.size)
        by_id = {c.id: c for c in uow.cases.get_many(found.ids)} if found.ids else {}
    return jsonify(total=found.total, total_is_lower_bound=found.total_is_lower_bound, page=page.number,
                   per_page=page.size, items=[_summary(by_id[i]) for i in found.ids if i in by_id])


@api.get("/<case_id>")
@allow(READERS)
def get_case(case_id: str):
    """One case with its steps, commitments and the actions open to the principal; its
    ``ETag`` is the version to send back in ``If-Match``."""
    return _detail(_visible_case(case_id))


# -- acting -------------------------------------------------------------------------------------
def _version_from_header() -> int | None:
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        return None
    match = re.fullmatch(r'(?:W/)?"?([0-9]{1,9})"?', raw)
    if match is None:
        raise ApiError(400, "invalid_if_match", 'If-Match phải là phiên bản của hồ sơ, ví dụ "3".',
                       'If-Match must be the version of the case, e.g. "3".',
                       [detail("If-Match", "invalid_version", "Số phiên bản (ETag).", "The version (ETag).")])
    return int(match.group(1))


def _multipart_answer() -> tuple[dict[str, Any], tuple[Upload, ...]]:
    """An answer sent as ``multipart/form-data``: the same fields as text (``commitments`` as a
    JSON array, ``expected_version`` as digits) and up to 5 files named ``attachments``."""
    body: dict[str, Any] = dict(request.form.items())
    if "commitments" in body:
        try:
            body["commitments"] = json.loads(body["commitments"]) if body["commitments"].strip() else []
        except ValueError:
            raise ApiError(422, "invalid_fields", "commitments phải là một mảng JSON.",
                           "commitments must be a JSON array.",
                           [detail("commitments", "wrong_type", "Một mảng JSON.", "A JSON array.")]) from None
    if "expected_version" in body:
        raw = body["expected_version"].strip()
        body["expected_version"] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else raw
    others = [name for name in request.files if name != "attachments"]
    body.update({name: "" for name in others})  # refused by name below, as an unknown field
    uploads = tuple(Upload(f.filename or "", f.read()) for f in request.files.getlist("attachments"))
    return body, uploads


def _command(action: Action) -> tuple[dict[str, Any], int | None, tuple[Upload, ...]]:
    uploads: tuple[Upload, ...] = ()
    if action is Action.ANSWER and request.mimetype == "multipart/form-data":
        body, uploads = _multipart_answer()
    else:
        limit = current_app.config["MAX_CONTENT_LENGTH"]  # the service's own, but for an answer's files
        request.max_content_length = limit
        if (request.content_length or 0) > limit:
            raise RequestEntityTooLarge()
        body = json_body() if request.content_length or request.is_json else {}
    allowed = ACTION_FIELDS[action] | {"expected_version"}
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise ApiError(422, "unknown_fields", "Nội dung có trường không được hỗ trợ.",
                       "The body has fields this action does not read.",
                       [detail(shown(k), "unknown_field", "Trường không được hỗ trợ.",
                               "Unknown field.") for k in unknown[:20]])
    version = body.pop("expected_version", None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)
                                or not 0 <= version < 10**9):
        raise ApiError(422, "invalid_fields", "expected_version phải là số nguyên không âm.",
                       "expected_version must be a whole number, 0 or more.",
                       [detail("expected_version", "wrong_type", "Số nguyên ≥ 0.", "A whole number ≥ 0.")])
    header = _version_from_header()
    if version is not None and header is not None and version != header:
        raise ApiError(400, "version_mismatch", "expected_version và If-Match khác nhau.",
                       "expected_version and If-Match disagree.")
    return body, version if version is not None else header, uploads


def _act(action: Action, case_id: str):
    case = _visible_case(case_id)
    params, version, uploads = _command(action)
    return _detail(take_action(ActOnCase(case_id, action.value, _actor(_principal(), case), params, version,
                                         uploads=uploads)))


def _register_actions() -> None:
    """One route per action, each with its own endpoint and the same policy."""
    for action in Action:
        def view(case_id: str, action: Action = action):
            return _act(action, case_id)
        view.__name__ = f"act_{action.value.replace('-', '_')}"
        view.__doc__ = f"Take the action '{action.value}' on the case (body: its fields and expected_version)."
        guarded = allow(READERS)(view)
        if action is Action.ANSWER:  # multipart, with up to 5 files (a JSON body keeps the service's limit)
            guarded = body_limit(MAX_UPLOAD_BODY)(guarded)
        api.add_url_rule(f"/<case_id>/{action.value}", view.__name__, guarded, methods=["POST"])


_register_actions()
