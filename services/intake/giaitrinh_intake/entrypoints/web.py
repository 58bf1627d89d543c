"""Intake's web app: the JSON API (and, later, the portal pages and Open311)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, url_for

from giaitrinh_common.web import ApiError, current_trace_id, json_body
from giaitrinh_intake.bootstrap import IntakeRuntime, bootstrap
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.tracking import is_valid_tracking_code, normalise
from giaitrinh_intake.service_layer.handlers import InvalidSubmission

api = Blueprint("intake_api", __name__, url_prefix="/api/v1")

_TEXT_FIELDS = ("kind", "field", "locality_code", "title", "content", "requester_type",
                "full_name", "address", "email", "phone")


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _command(body: dict) -> SubmitRequest:
    wrong_type = [name for name in _TEXT_FIELDS if name in body and not isinstance(body[name], str)]
    if "wants_notifications" in body and not isinstance(body["wants_notifications"], bool):
        wrong_type.append("wants_notifications")
    if wrong_type:
        raise ApiError(400, "wrong_type", "Sai kiểu dữ liệu ở các trường: " + ", ".join(wrong_type),
                       "Wrong value type for: " + ", ".join(wrong_type),
                       [{"field": f, "code": "wrong_type"} for f in wrong_type])
    return SubmitRequest(
        kind=body.get("kind", "feedback"), channel="api", field=body.get("field", "other"),
        locality_code=body.get("locality_code", ""), title=body.get("title", ""),
        content=body.get("content", ""), requester_type=body.get("requester_type", "citizen"),
        full_name=body.get("full_name", ""), address=body.get("address", ""),
        email=body.get("email", ""), phone=body.get("phone", ""),
        wants_notifications=body.get("wants_notifications", False), trace_id=current_trace_id())


@api.post("/requests")
def submit():
    """Nộp yêu cầu: 201 with the tracking code, or 422 listing every problem."""
    try:
        receipt = _runtime().submit(_command(json_body()))
    except InvalidSubmission as exc:
        raise ApiError(422, "invalid_request", "Yêu cầu chưa hợp lệ; hãy sửa các mục dưới đây.",
                       "The request is not valid yet; fix the items below.",
                       [p.as_dict() for p in exc.problems]) from None
    status_url = url_for("intake_api.lookup", tracking_code=receipt.tracking_code)
    resp = jsonify(request_id=receipt.request_id, tracking_code=receipt.tracking_code,
                   submitted_at=receipt.submitted_at.isoformat(), status_url=status_url)
    resp.status_code = 201
    resp.headers["Location"] = status_url
    return resp


@api.get("/requests/<tracking_code>")
def lookup(tracking_code: str):
    """Tra cứu: the public progress of a request. No personal data."""
    code = normalise(tracking_code)
    if not is_valid_tracking_code(code):
        raise ApiError(400, "invalid_tracking_code",
                       "Mã tra cứu không đúng dạng GT-XXXX-XXXX-X; hãy kiểm tra lại.",
                       "The tracking code is not of the form GT-XXXX-XXXX-X; check it again.")
    with _runtime().unit_of_work() as uow:
        request = uow.requests.by_tracking_code(code)
    if request is None:
        raise ApiError(404, "unknown_tracking_code", "Không có yêu cầu nào với mã tra cứu này.",
                       "No request has this tracking code.")
    return jsonify(
        tracking_code=request.tracking_code, kind=request.kind.value, field=request.field.value,
        locality={"code": request.locality.code, "name": request.locality.name},
        title=request.title, submitted_at=request.submitted_at.isoformat(), status=request.status,
        timeline=[{"at": e.at.isoformat(), "step": e.step, "label": {"vi": e.label_vi, "en": e.label_en}}
                  for e in request.timeline])


def create_app(runtime: IntakeRuntime | None = None):
    """App factory (gunicorn: ``'giaitrinh_intake.entrypoints.web:create_app()'``)."""
    runtime = runtime or bootstrap()
    return runtime.web_app(__name__, [api])
