"""The requester's JSON API: similar requests before submitting, joining one, and with the
secret link's key withdrawing, rating and disputing. The key travels in the JSON body (never in
the address, which logs keep); a wrong or used key is a clear 4xx in the platform's format.

  GET  /api/v1/similar-requests?locality_code=&text=   open or answered requests that say much the same
  POST /api/v1/requests/<code>/join     {full_name?, email?, phone?, wants_notifications?} → 201 with the
                                        joiner's own secret link (the same actions below, but the dispute)
  POST /api/v1/requester/withdraw       {secret, reason?}          → 200 (410 once withdrawn, 409 after the answer;
                                        a joiner's link: leaves the request, at any time)
  POST /api/v1/requester/rating         {secret, rating 1–5, comment?} → 201 (409 before the answer or twice)
  POST /api/v1/requester/dispute        {secret, reason}           → 201 (409 before the answer or twice)
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.web import MAX_NAMED, ApiError, current_trace_id, detail, json_body, shown, tracking_code_arg
from giaitrinh_intake.bootstrap import IntakeRuntime
from giaitrinh_intake.domain.commands import DisputeAnswer, JoinRequest, RateAnswer, WithdrawRequest
from giaitrinh_intake.domain.requester_link import ActionRefused, link_path
from giaitrinh_intake.domain.similar import similar_requests
from giaitrinh_intake.service_layer import handlers
from giaitrinh_intake.service_layer.handlers import InvalidSubmission

requester_api = Blueprint("intake_requester_api", __name__, url_prefix="/api/v1")
MAX_TEXT = 12_000


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _invalid(problems) -> ApiError:
    return ApiError(422, "invalid_request", "Yêu cầu chưa hợp lệ; hãy sửa các mục dưới đây.",
                    "The request is not valid yet; fix the items below.", [p.as_dict() for p in problems])


def _fields(body: dict, text: tuple[str, ...] = (), flags: tuple[str, ...] = (),
            integers: tuple[str, ...] = ()) -> dict:
    """The body's values by name (JSON null as not given), or 422 naming every unknown field
    and every value of the wrong type."""
    given = {k: v for k, v in body.items() if v is not None}
    problems = [detail(shown(k), "unknown_field", "Không có trường này; hãy kiểm tra tên trường.",
                       f"Unknown field {shown(k)}; check its name.")
                for k in given if k not in (*text, *flags, *integers)][:MAX_NAMED]
    for k in text:
        if k in given and not isinstance(given[k], str):
            problems.append(detail(k, "wrong_type", "Phải là chuỗi ký tự.", f"{k} must be text (a JSON string)."))
    for k in flags:
        if k in given and not isinstance(given[k], bool):
            problems.append(detail(k, "wrong_type", "Phải là true hoặc false.", f"{k} must be true or false."))
    for k in integers:
        if k in given and (isinstance(given[k], bool) or not isinstance(given[k], int)):
            problems.append(detail(k, "wrong_type", "Phải là số nguyên.", f"{k} must be a whole number."))
    if problems:
        raise ApiError(422, "invalid_request", "Yêu cầu chưa hợp lệ; hãy sửa các mục dưới đây.",
                       "The request is not valid yet; fix the items below.", problems)
    out: dict = {k: given.get(k, "")[:MAX_TEXT] for k in text}
    out.update({k: given.get(k, False) for k in flags})
    out.update({k: given.get(k, 0) for k in integers})
    return out


def _run(handler, cmd):
    try:
        return _runtime().requester_action(handler, cmd)
    except InvalidSubmission as exc:
        raise _invalid(exc.problems) from None
    except ActionRefused as refused:
        raise ApiError(refused.status, refused.code, refused.vi, refused.en) from None


@requester_api.get("/similar-requests")
@allow(PUBLIC)  # what it shows is public already: the tracking code, subject and status
def similar():
    """Open or answered requests of a commune or ward whose subject and content are close to
    ``text`` (diacritics and case aside), closest first."""
    code = request.args.get("locality_code", "").strip()[:10]
    locality = _runtime().localities.get(code)
    if locality is None:
        raise ApiError(404, "unknown_locality", "Mã xã/phường không thuộc địa bàn được phục vụ.",
                       "The commune/ward code is not one this platform serves.",
                       [detail("locality_code", "unknown_locality", "Mã xã/phường không đúng.",
                               "Unknown commune/ward code.")])
    with _runtime().unit_of_work() as uow:
        candidates = uow.submissions.candidates(locality.code)
    found = similar_requests(request.args.get("text", "")[:MAX_TEXT], candidates)
    return jsonify(similar=[{"tracking_code": s.tracking_code, "title": s.title, "status": s.status,
                             "score": s.score,
                             "status_url": url_for("intake_api.lookup", tracking_code=s.tracking_code)}
                            for s in found])


@requester_api.post("/requests/<tracking_code>/join")
@allow(PUBLIC)
def join(tracking_code: str):
    """Cùng kiến nghị: 201 with the number of people who joined and the joiner's own secret link
    (to leave the request or rate its explanation); 409 for a request that ended."""
    code = tracking_code_arg(tracking_code)
    values = _fields(json_body(), text=("full_name", "email", "phone"), flags=("wants_notifications",))
    receipt = _run(handlers.join_request, JoinRequest(tracking_code=code, trace_id=current_trace_id(), **values))
    # The joiner's own secret link: in this answer once, and never again (intake keeps its hash).
    resp = jsonify(tracking_code=code, joiner_count=receipt.joiner_count, requester_link=link_path(receipt.secret))
    resp.status_code = 201
    return resp


@requester_api.post("/requester/withdraw")
@allow(PUBLIC)  # the secret link's key is the authority
def withdraw():
    values = _fields(json_body(), text=("secret", "reason"))
    record = _run(handlers.withdraw_request, WithdrawRequest(values["secret"], values["reason"], current_trace_id()))
    return jsonify(tracking_code=record.tracking_code, withdrawn=True)


@requester_api.post("/requester/rating")
@allow(PUBLIC)
def rate():
    values = _fields(json_body(), text=("secret", "comment"), integers=("rating",))
    record = _run(handlers.rate_answer,
                  RateAnswer(values["secret"], values["rating"], values["comment"], current_trace_id()))
    resp = jsonify(tracking_code=record.tracking_code, rating=values["rating"])
    resp.status_code = 201
    return resp


@requester_api.post("/requester/dispute")
@allow(PUBLIC)
def dispute():
    values = _fields(json_body(), text=("secret", "reason"))
    record = _run(handlers.dispute_answer, DisputeAnswer(values["secret"], values["reason"], current_trace_id()))
    resp = jsonify(tracking_code=record.tracking_code, disputed=True)
    resp.status_code = 201
    return resp
