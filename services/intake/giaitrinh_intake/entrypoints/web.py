"""Intake's web app: the JSON API and the portal's pages (and, later, Open311)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, jsonify
from flask import request as http_request  # `request` names the stored request below
from werkzeug.exceptions import RequestEntityTooLarge

from giaitrinh_common.attachments import refusal_status
from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.ui import install_pages
from giaitrinh_common.web import (
    MAX_NAMED,
    ApiError,
    body_limit,
    current_trace_id,
    json_body,
    shown,
    tracking_code_arg,
)
from giaitrinh_intake.bootstrap import IntakeRuntime, bootstrap
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.model import AccountabilityRequest
from giaitrinh_intake.domain.requester_link import link_path
from giaitrinh_intake.entrypoints.machines import install_machine_interfaces
from giaitrinh_intake.entrypoints.pages import TRANSLATIONS, pages
from giaitrinh_intake.entrypoints.requester_api import requester_api
from giaitrinh_intake.entrypoints.submission import FORM_MAX_BODY, form_command, submission
from giaitrinh_intake.service_layer.handlers import InvalidSubmission

api = Blueprint("intake_api", __name__, url_prefix="/api/v1")
REQUEST_PATH = "/requests/"  # + a tracking code: a request's public progress (lookup below)

# The fields of a submission, with their defaults. JSON null counts as not given.
_TEXT_FIELDS = {"kind": "feedback", "field": "other", "locality_code": "", "title": "", "content": "",
                "requester_type": "citizen", "full_name": "", "address": "", "email": "", "phone": "",
                "decision_concerned": "", "location_text": "", "latitude": "", "longitude": "", "id_number": ""}
_FLAG_FIELDS = {"wants_notifications": False, "consent_to_publish": False}
_COORDINATES = ("latitude", "longitude")  # JSON numbers, read as the form's text


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _command(body: dict) -> SubmitRequest:
    """The body as a command. A value of the wrong type is handed on empty and named in
    ``wrong_types``; an unknown field is named in ``unknown_fields`` (the first
    :data:`MAX_NAMED`): the domain reports both with every other problem, in one 422."""
    given = {name: value for name, value in body.items() if value is not None}
    for name in _COORDINATES:
        if isinstance(given.get(name), int | float) and not isinstance(given[name], bool):
            given[name] = repr(float(given[name]))
    unknown = [name for name in given if name not in _TEXT_FIELDS and name not in _FLAG_FIELDS]
    wrong = [name for name in _TEXT_FIELDS if name in given and not isinstance(given[name], str)]
    wrong += [name for name in _FLAG_FIELDS if name in given and not isinstance(given[name], bool)]
    values: dict = {**_TEXT_FIELDS, **_FLAG_FIELDS}
    for name, default in values.items():
        if name in given:
            values[name] = given[name] if name not in wrong else type(default)()
    return SubmitRequest(**values, channel="api", trace_id=current_trace_id(), wrong_types=tuple(wrong),
                         unknown_fields=tuple(shown(name) for name in unknown[:MAX_NAMED]))


@api.post("/requests")
@allow(PUBLIC)  # anyone may submit; the gateway limits POSTs per client address
@body_limit(FORM_MAX_BODY)  # for files (multipart); a JSON body keeps the service's limit below
def submit():
    """Nộp yêu cầu: 201 with the tracking code, or 422 listing every problem (unknown fields
    are refused, see :func:`_command`); a body that is no JSON object: 4xx from :func:`json_body`.
    ``multipart/form-data`` carries the same fields and up to 5 ``attachments`` (with the
    platform's CSRF cookie and ``X-CSRF-Token`` header, as every form); 413 for a file over 5 MB."""
    if http_request.mimetype == "multipart/form-data":
        cmd = form_command(http_request.form, http_request.files.getlist("attachments"), "api")
    else:
        limit = current_app.config["MAX_CONTENT_LENGTH"]  # the service's own, for JSON
        http_request.max_content_length = limit
        if (http_request.content_length or 0) > limit:
            raise RequestEntityTooLarge()
        cmd = _command(json_body())
    try:
        receipt = _runtime().submit(cmd)
    except InvalidSubmission as exc:
        status = refusal_status(p.code for p in exc.problems)
        raise ApiError(status, "invalid_request", "Yêu cầu chưa hợp lệ; hãy sửa các mục dưới đây.",
                       "The request is not valid yet; fix the items below.",
                       [p.as_dict() for p in exc.problems]) from None
    status_url = _status_url(receipt.tracking_code)
    # The requester's secret link: in this answer once, and never again (intake keeps its hash).
    body = {"request_id": receipt.request_id, "tracking_code": receipt.tracking_code,
            "submitted_at": receipt.submitted_at.isoformat(), "status_url": status_url,
            "requester_link": link_path(receipt.secret) if receipt.secret else None}
    # What jsonify would answer, without its per-call options (bench/README.md, submit-ratio).
    return current_app.response_class(current_app.json.dumps(body) + "\n", status=201,
                                      headers={"Location": status_url}, mimetype="application/json")


def _status_url(tracking_code: str) -> str:
    """``url_for("intake_api.lookup", tracking_code=...)`` (behind the gateway, with its prefix),
    put together without the URL map: on the busiest path, the map's build and ``jsonify`` cost
    the web worker more than the lines they save (bench/README.md, submit-ratio)."""
    return f"{http_request.script_root}{api.url_prefix}{REQUEST_PATH}{quote(tracking_code, safe='')}"


@api.get(REQUEST_PATH + "<tracking_code>")
@allow(PUBLIC)  # the tracking code is the key; the answer holds no personal data
def lookup(tracking_code: str):
    """Tra cứu: the public progress of a request. No personal data."""
    code = tracking_code_arg(tracking_code)
    with _runtime().unit_of_work() as uow:
        request = uow.requests.by_tracking_code(code)
        details = uow.submissions.details(request.id) if request is not None else None
    if request is None or details is None:
        raise ApiError(404, "unknown_tracking_code", "Không có yêu cầu nào với mã tra cứu này.",
                       "No request has this tracking code.")
    deadline = request.deadline
    return jsonify(
        tracking_code=request.tracking_code, kind=request.kind.value, field=request.field.value,
        locality={"code": request.locality.code, "name": request.locality.name},
        title=request.title, submitted_at=request.submitted_at.isoformat(), status=request.status,
        # The day an official received it, when they recorded it later: the deadlines count from it.
        received_on=request.received_on.isoformat() if request.received_on else None,
        deadline={"step": deadline[0], "due_by": deadline[1].isoformat()} if deadline else None,
        timeline=[{"at": e.at.isoformat(), "step": e.step, "label": {"vi": e.label_vi, "en": e.label_en},
                   "due_by": e.due_by.isoformat() if e.due_by else None, "on_time": e.on_time}
                  for e in request.timeline],
        joiners=details.joiner_count, answer=_public_answer(request, details.consent_to_publish))


def _public_answer(request: AccountabilityRequest, consent: bool) -> dict | None:
    """That an explanation was given, when, and whether on time; its text, legal basis and
    commitments only when the requester agreed on the form to publish them (never who asked)."""
    answer = request.latest_answer
    if answer is None:
        return None
    out: dict = {"answered_at": answer.answered_at.isoformat(), "on_time": answer.on_time, "published": consent}
    if consent:
        out.update(explanation=answer.explanation, legal_basis=answer.legal_basis,
                   commitments=[{"content": c.content, "unit_code": c.unit_code, "due_on": c.due_on.isoformat()}
                                for c in answer.commitments],
                   # What each attached file is and where routing serves it; never its name.
                   files=[{"url": f.url, "media_type": f.media_type, "size": f.size} for f in answer.files])
    else:
        out["note"] = {"vi": "Nội dung giải trình chỉ được công khai khi người yêu cầu đồng ý.",
                       "en": "The explanation is published only with the requester's consent."}
    return out


def create_app(runtime: IntakeRuntime | None = None):
    """App factory (gunicorn: ``'giaitrinh_intake.entrypoints.web:create_app()'``): the JSON
    API and the portal's pages (:mod:`giaitrinh_intake.entrypoints.pages`) in the shared shell."""
    from giaitrinh_intake.entrypoints.recorded import recorded  # it reads a body as this module does
    from giaitrinh_intake.entrypoints.recorded_pages import recorded_pages
    from giaitrinh_intake.entrypoints.staff_files import staff_files

    runtime = runtime or bootstrap()
    app = install_pages(runtime.web_app(__name__, [api, pages, submission, requester_api, recorded,
                                                     recorded_pages, staff_files]),
                        translations=[TRANSLATIONS],
                        home="intake_pages.home")
    install_machine_interfaces(app, runtime)
    return app
