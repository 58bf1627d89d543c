"""Gửi yêu cầu: the submission form, similar requests first, joining one, and the requester's
own page behind the secret link. Vietnamese first; every step is a plain form, no JavaScript.

  /gui-yeu-cau            step 1 (GET): where, what kind, subject and content (``?xa=`` picks
                          the commune or ward); POST ``step=check``: the requests of that commune
                          or ward that say much the same, to join instead, and step 2 — the
                          decision concerned, the place, attachments, who asks, consent;
                          POST ``step=submit``: stored, then 303 to the requester's page
  /cung-kien-nghi         join a request (``?ma=``): a contact for the notices, optional; POST:
                          303 to the joiner's own page behind their own secret link
  /cua-toi/<secret>       the requester's page (the secret link): tracking code, progress,
                          the files of the explanation (each by its key, published or not),
                          and the forms to withdraw, rate or dispute (POST …/rut, …/danh-gia,
                          …/khong-dong-y, each answered 303 back here); with a joiner's link,
                          to leave the request (…/rut) or rate its explanation

The link's secret is in the path, as in the notices; nothing else shows it, and intake keeps only
its hash. The step-2 form is ``multipart/form-data`` with the platform's CSRF token, like every
form; the files travel only with the final step, so nothing chosen is lost between steps.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage, ImmutableMultiDict

from giaitrinh_common.attachments import refusal_status
from giaitrinh_common.auth import PUBLIC, allow, csrf_token
from giaitrinh_common.ui.search import sort_key
from giaitrinh_common.web import MAX_NAMED, ApiError, body_limit, current_trace_id, shown
from giaitrinh_intake.bootstrap import IntakeRuntime
from giaitrinh_intake.domain.attachments import MAX_ATTACHMENTS, MAX_FILE_BYTES, Upload
from giaitrinh_intake.domain.commands import DisputeAnswer, JoinRequest, RateAnswer, SubmitRequest, WithdrawRequest
from giaitrinh_intake.domain.requester_link import ActionRefused, link_path
from giaitrinh_intake.domain.similar import similar_requests
from giaitrinh_intake.domain.validation import TEXT_LIMITS, problems_with
from giaitrinh_intake.entrypoints.pages import FIELDS, KINDS, STATUSES
from giaitrinh_intake.service_layer import handlers
from giaitrinh_intake.service_layer.handlers import InvalidSubmission

submission = Blueprint("intake_submission", __name__, template_folder="templates")


@submission.app_context_processor
def _forms():
    return {"csrf_token": csrf_token}  # every form carries the platform's CSRF token


REQUESTER_TYPES = {"citizen": _l("A person"), "business": _l("A business"), "organisation": _l("An organisation")}
# The step-1 fields, carried into step 2 as they were typed.
STEP_ONE = ("locality_code", "kind", "field", "title", "content")
TEXT_FIELDS = (*STEP_ONE, "decision_concerned", "location_text", "latitude", "longitude", "requester_type",
               "full_name", "id_number", "address", "phone", "email")
FLAGS = ("wants_notifications", "consent_to_publish")
FORM_PLUMBING = ("csrf_token", "step")  # the form's own fields, not the request's
MAX_FORM_TEXT = 12_000  # a field longer than any limit is cut here; the domain names the limit
# The step-2 form's body: every file at its largest and the text (the gateway's location for
# /gui-yeu-cau allows the same 27 MiB; every other route keeps the service's limit).
FORM_MAX_BODY = MAX_ATTACHMENTS * MAX_FILE_BYTES + 2 * 1024 * 1024


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _localities() -> list:
    return sorted(_runtime().localities.all(), key=lambda loc: sort_key(loc.name))


def form_command(form: ImmutableMultiDict, files: list[FileStorage], channel: str) -> SubmitRequest:
    """The command a submission form (page or multipart API) stands for. A checkbox is on when
    sent at all; a file is read at most one byte past the limit (the domain refuses it); a field
    the form does not have is named, as the JSON API names one."""
    values = {name: form.get(name, "")[:MAX_FORM_TEXT] for name in TEXT_FIELDS}
    uploads = tuple(Upload(f.filename or "", f.stream.read(MAX_FILE_BYTES + 1)) for f in files[:MAX_ATTACHMENTS + 1]
                    if f.filename or f.content_length)
    unknown = [shown(name) for name in form if name not in (*TEXT_FIELDS, *FLAGS, *FORM_PLUMBING)]
    return SubmitRequest(channel=channel, **values, **{flag: flag in form for flag in FLAGS},
                         attachments=uploads, trace_id=current_trace_id(), unknown_fields=tuple(unknown[:MAX_NAMED]))


def _render_form(step: int, values: dict, error: dict | None = None, similar: list | None = None,
                 status: int = 200):
    # ``similar`` None: not looked for (a refused step 2 shows the form again, nothing else).
    return render_template(
        "intake/submit.html", step=step, values=values, error=error, similar=similar,
        locality_options=[(loc.code, loc.name) for loc in _localities()], kinds=KINDS, fields=FIELDS, statuses=STATUSES,
        requester_types=REQUESTER_TYPES, limits=TEXT_LIMITS, max_files=MAX_ATTACHMENTS,
        max_mb=MAX_FILE_BYTES // (1024 * 1024), map=_runtime().settings.map_tiles), status


def _invalid(problems) -> dict:
    return {"code": "invalid_request",
            "message": {"vi": "Yêu cầu chưa hợp lệ; hãy sửa các mục dưới đây.",
                        "en": "The request is not valid yet; fix the items below."},
            "details": [p.as_dict() for p in problems]}


@submission.get("/gui-yeu-cau")
@allow(PUBLIC)
def form():
    """Step 1: the commune or ward (``?xa=``), the kind, the field, the subject and content."""
    values = {"locality_code": request.args.get("xa", "")[:10], "kind": "feedback", "field": "other"}
    return _render_form(1, values)


@submission.post("/gui-yeu-cau")
@allow(PUBLIC)  # anyone may submit; the gateway limits POSTs per client address
@body_limit(FORM_MAX_BODY)
def submit():
    """``step=check``: step 1 checked, then similar requests and step 2; ``step=submit``: the
    request stored with its files and its event, then 303 to the requester's page (422 with
    every problem beside its field, 413 when a file is over the size limit)."""
    if request.form.get("step") != "submit":
        return _check_step_one()
    cmd = form_command(request.form, request.files.getlist("attachments"), "portal")
    values = {name: getattr(cmd, name) for name in (*TEXT_FIELDS, *FLAGS)}
    try:
        receipt = _runtime().submit(cmd)
    except InvalidSubmission as exc:
        status = refusal_status(p.code for p in exc.problems)
        return _render_form(2, values, _invalid(exc.problems), status=status)
    return redirect(url_for("intake_submission.mine", secret=receipt.secret, moi=1), code=303)


def _check_step_one():
    values = {name: request.form.get(name, "")[:MAX_FORM_TEXT] for name in STEP_ONE}
    cmd = SubmitRequest(channel="portal", **values)
    locality = _runtime().localities.get(cmd.locality_code)
    problems = [p for p in problems_with(cmd, locality_known=locality is not None)
                if p.field in STEP_ONE]
    if problems:
        return _render_form(1, values, _invalid(problems), status=422)
    assert locality is not None
    with _runtime().unit_of_work() as uow:
        candidates = uow.submissions.candidates(locality.code)
    similar = similar_requests(f"{cmd.title} {cmd.content}", candidates)
    return _render_form(2, {**values, "requester_type": "citizen"}, similar=similar)


@submission.route("/cung-kien-nghi", methods=["GET", "POST"])
@allow(PUBLIC)
def join():
    """Cùng kiến nghị: GET the form for ``?ma=``; POST join, with a contact if the person wants
    the notices (409 for a request that has ended, 404 for an unknown code)."""
    code = (request.values.get("ma") or "").strip()[:20]
    values = {name: request.form.get(name, "")[:MAX_FORM_TEXT] for name in ("full_name", "email", "phone")}
    values["wants_notifications"] = "wants_notifications" in request.form
    if request.method == "GET":
        return _render_join(code, values)
    try:
        receipt = _runtime().requester_action(handlers.join_request, JoinRequest(
            tracking_code=code, trace_id=current_trace_id(), **values))
    except InvalidSubmission as exc:
        return _render_join(code, values, _invalid(exc.problems), 422)
    except ActionRefused as refused:
        raise ApiError(refused.status, refused.code, refused.vi, refused.en) from None
    # The joiner's own page, behind their secret link, shown with it this once.
    return redirect(url_for("intake_submission.mine", secret=receipt.secret, moi=1), code=303)


def _render_join(code: str, values: dict, error: dict | None = None, status: int = 200):
    with _runtime().unit_of_work() as uow:
        record = uow.requests.by_tracking_code(code)
    if record is None:
        raise ApiError(404, *handlers.UNKNOWN_TRACKING_CODE)
    return render_template("intake/join.html", code=code, record=record, values=values, error=error), status


@submission.get("/cua-toi/<secret>")
@allow(PUBLIC)  # the secret is the key; the page shows nothing of the requester
def mine(secret: str):
    """The requester's page: the receipt on the first visit (``?moi=1``), then the request's
    progress and what the requester may still do."""
    return _render_mine(secret)


def _render_mine(secret: str, error: dict | None = None, status: int = 200):
    try:
        with _runtime().unit_of_work() as uow:
            holder = handlers.holder_by_link(secret, uow)
            own_files = handlers.own_answer_files(holder, uow)
    except ActionRefused as refused:
        raise ApiError(refused.status, refused.code, refused.vi, refused.en) from None
    # The portal's configured address, not the request's Host: a forged Host must not shape the link.
    link = _runtime().settings.public_base_url.rstrip("/") + link_path(secret)
    return render_template("intake/mine.html", record=holder.request, details=holder.details,
                           standing=holder.standing, joiner=holder.is_joiner, secret=secret, link=link,
                           own_files=own_files,
                           new=request.args.get("moi") == "1", done=request.args.get("xong", ""),
                           statuses=STATUSES, error=error), status


def _act(secret: str, handler, cmd, done: str):
    try:
        _runtime().requester_action(handler, cmd)
    except InvalidSubmission as exc:
        return _render_mine(secret, _invalid(exc.problems), 422)
    except ActionRefused as refused:
        if refused.code == handlers.UNKNOWN_LINK[0]:
            raise ApiError(refused.status, refused.code, refused.vi, refused.en) from None
        error = {"code": refused.code, "message": {"vi": refused.vi, "en": refused.en}, "details": []}
        return _render_mine(secret, error, refused.status)
    return redirect(url_for("intake_submission.mine", secret=secret, xong=done), code=303)


@submission.post("/cua-toi/<secret>/rut")
@allow(PUBLIC)
def withdraw(secret: str):
    return _act(secret, handlers.withdraw_request,
                WithdrawRequest(secret, request.form.get("reason", "")[:MAX_FORM_TEXT], current_trace_id()), "rut")


@submission.post("/cua-toi/<secret>/danh-gia")
@allow(PUBLIC)
def rate(secret: str):
    raw = request.form.get("rating", "")
    rating = int(raw) if raw.isdigit() and len(raw) == 1 else 0
    return _act(secret, handlers.rate_answer,
                RateAnswer(secret, rating, request.form.get("comment", "")[:MAX_FORM_TEXT], current_trace_id()),
                "danh-gia")


@submission.post("/cua-toi/<secret>/khong-dong-y")
@allow(PUBLIC)
def dispute(secret: str):
    return _act(secret, handlers.dispute_answer,
                DisputeAnswer(secret, request.form.get("reason", "")[:MAX_FORM_TEXT], current_trace_id()),
                "khong-dong-y")
