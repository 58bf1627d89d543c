"""The officials' console (*bàn làm việc của cán bộ*): the inbox of cases by next deadline, the
case page with the actions allowed now, answer templates, bulk actions for heads and the
supervisors' view across a locality. Pages in the shared shell, under ``/console/``.

The pages decide nothing themselves: which actions a person sees comes from the domain's
``TRANSITIONS`` and ``WHO_MAY`` (through the case API's ``actions_open_to``), and each form goes
to the same ``RoutingRuntime.act`` as the JSON API, so a refusal reads the same in both — 409
for a state or version that changed, 422 naming the field — shown beside the form.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from giaitrinh_common.attachments import MAX_ATTACHMENTS, MAX_FILE_BYTES, MAX_UPLOAD_BODY, Upload
from giaitrinh_common.auth import (
    LOCALITY_HEAD,
    OFFICIAL,
    PROVINCIAL_ADMIN,
    STAFF,
    UNIT_HEAD,
    Principal,
    allow,
    csrf_token,
    current_principal,
    signed_in,
)
from giaitrinh_common.ui import Pagination
from giaitrinh_common.ui.shell import long_date
from giaitrinh_common.web import ApiError, body_limit, detail, error_document, file_download, page_args
from giaitrinh_routing.adapters.inbox_queries import CaseFilters, InboxScope, inbox_page
from giaitrinh_routing.adapters.repository import next_deadline
from giaitrinh_routing.bootstrap import RoutingRuntime
from giaitrinh_routing.domain.calendar import local_date
from giaitrinh_routing.domain.case import (
    CHANNELS,
    Action,
    Actor,
    Case,
    CaseState,
    InvalidAction,
    NotPermitted,
    RefusalGround,
    Role,
    explain_by,
)
from giaitrinh_routing.domain.case_files import ANSWER_FILE_PATH, REQUEST_FILE_PATH
from giaitrinh_routing.domain.commitment import OPEN, CommitmentAlreadyDone
from giaitrinh_routing.domain.registry import FIELDS
from giaitrinh_routing.domain.requester import may_read_requester
from giaitrinh_routing.domain.time_limits import TimeLimitSet
from giaitrinh_routing.entrypoints.cases import actions_open_to, take_action
from giaitrinh_routing.service_layer.handlers import ActOnCase, CommitmentNotFound, limits_of

pages = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"  # routing's pages' catalog
ANSWER_TEMPLATES = Path(__file__).resolve().parent / "answer_templates.json"

CONSOLE = signed_in(*STAFF)
HEADS = {UNIT_HEAD, LOCALITY_HEAD, PROVINCIAL_ADMIN}
BULK_ACTIONS = (Action.ASSIGN, Action.TRANSFER, Action.CLOSE)
PER_PAGE = 25
BULK_MAX = 200  # one form's worth of check boxes (eight pages of the inbox)
COMMITMENT_ROWS = 3  # empty rows of commitments the answer form offers
FILE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")  # a kept file's uuid

STATE_NAMES = {
    CaseState.RECEIVED: _l("Received, to accept or refuse"), CaseState.ACCEPTED: _l("Accepted, being explained"),
    CaseState.REFUSED: _l("Refused"), CaseState.SUSPENDED: _l("Suspended"),
    CaseState.ANSWERED: _l("Answered"), CaseState.CLOSED: _l("Closed"),
    CaseState.WITHDRAWN: _l("Withdrawn"), CaseState.DISPUTED: _l("Disputed"), CaseState.MERGED: _l("Merged"),
}
ACTION_NAMES = {
    Action.ACCEPT: _l("Accept"), Action.REFUSE: _l("Refuse"), Action.ASSIGN: _l("Assign"),
    Action.TRANSFER: _l("Transfer"), Action.EXTEND: _l("Extend"), Action.SUSPEND: _l("Suspend"),
    Action.RESUME: _l("Resume"), Action.ANSWER: _l("Answer"), Action.CLOSE: _l("Close"),
    Action.WITHDRAW: _l("Withdraw"), Action.DISPUTE: _l("Dispute"),
    Action.DECIDE_DISPUTE: _l("Decide the dispute"), Action.MERGE: _l("Merge"),
}
FIELD_NAMES = {
    "land": _l("Land"), "construction": _l("Construction"), "environment": _l("Environment"),
    "finance": _l("Finance"), "public_procurement": _l("Public procurement"), "personnel": _l("Personnel"),
    "administrative_procedures": _l("Administrative procedures"), "justice": _l("Justice"),
    "social_affairs": _l("Social affairs"), "health": _l("Health"), "education": _l("Education"),
    "other": _l("Other"),
}
CHANNEL_NAMES = {  # kênh tiếp nhận, as intake's request.submitted names them
    "portal": _l("Web portal"), "api": _l("Connected system (API)"), "open311": _l("Open311 application"),
    "direct": _l("In person at the office"), "hotline": _l("Hotline"), "voter_meeting": _l("Meeting with voters"),
    "mail": _l("Post"), "external_system": _l("Another agency's system"),
}
GROUND_NAMES = {
    RefusalGround.NOT_DIRECTLY_AFFECTED: _l("The requester is not directly affected (Art. 4)"),
    RefusalGround.STATE_OR_BUSINESS_SECRET: _l("State, business or personal secret (Art. 6)"),
    RefusalGround.INTERNAL_DIRECTION: _l("Internal direction documents (Art. 6)"),
    RefusalGround.ALREADY_EXPLAINED: _l("Already explained, no new reason (Art. 5)"),
    RefusalGround.BEING_HANDLED: _l("Being handled already (Art. 5)"),
    RefusalGround.REQUESTER_CONDUCT: _l("Requester intoxicated, disruptive or insulting (Art. 5)"),
    RefusalGround.INVALID_REPRESENTATIVE: _l("Representative without valid papers (Art. 5)"),
    RefusalGround.OTHER_AGENCY: _l("The matter belongs to another agency"),
}
REQUESTER_TYPES = {"citizen": _l("A citizen"), "business": _l("A business"), "organisation": _l("An organisation")}
# What the requester will be told, by action: the written notice the step sends (notify writes
# the real one from the event; this is its gist, shown before the official commits to it).
NOTICES = {
    Action.ACCEPT: _l("Your request %(code)s has been accepted. The explanation is due by %(due)s, "
                      "the statutory period from today (Decree 59/2019, Art. 13)."),
    Action.REFUSE: _l("Your request %(code)s is refused on the ground chosen below, with its reason."),
    Action.EXTEND: _l("The time to explain your request %(code)s, due by %(due)s, is extended once, by "
                      "the days and for the reason below (Decree 59/2019, Art. 13)."),
    Action.ANSWER: _l("The explanation of your request %(code)s: the text, its legal basis and "
                      "the commitments below, each with its due date."),
    Action.TRANSFER: _l("Your request %(code)s has been passed to another unit, for the reason below."),
    Action.SUSPEND: _l("The handling of your request %(code)s is suspended; the time does not count "
                       "(Art. 14)."),
    Action.RESUME: _l("The handling of your request %(code)s resumes."),
    Action.CLOSE: _l("Your request %(code)s is closed."),
    Action.MERGE: _l("Your request %(code)s is handled together with another of the same content."),
    Action.ASSIGN: _l("Your request %(code)s has been given to a unit to handle."),
    Action.DECIDE_DISPUTE: _l("The supervisors' decision on your dispute of %(code)s, with its reason."),
}


@pages.app_context_processor
def _console_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token}


def _runtime() -> RoutingRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # the policy admits only signed-in people
    return principal


def _actor(principal: Principal, case: Case) -> Actor:
    localities = frozenset({case.locality_code}) if principal.sees_every_locality else principal.localities
    return Actor(principal.id, Role(principal.role), localities, principal.unit_code)


def _scope(principal: Principal) -> InboxScope:
    """An official sees their unit's cases and those given to them; a unit head their unit's; a
    locality head and the supervisors (HĐND, MTTQ, UBKT) their whole locality; a provincial
    admin every locality."""
    if principal.role == PROVINCIAL_ADMIN:
        return InboxScope(None)
    if principal.role == OFFICIAL:
        return InboxScope(principal.localities, principal.unit_code or "", principal.id)
    if principal.role == UNIT_HEAD and principal.unit_code:
        return InboxScope(principal.localities, principal.unit_code)
    return InboxScope(principal.localities)


@cache
def answer_templates() -> dict[str, list[dict[str, str]]]:
    """The answer templates by field (``*``: every field), read once from the data file."""
    data = json.loads(ANSWER_TEMPLATES.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def templates_for(field: str) -> list[dict[str, str]]:
    every = answer_templates()
    return every.get(field, []) + every.get("*", [])


# -- the inbox ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    state: str | None
    field: str | None
    overdue: bool
    channel: str | None = None

    def on(self, today) -> CaseFilters:
        """The query's filters (overdue: late on ``today``)."""
        return CaseFilters(self.state, self.field, self.channel, today if self.overdue else None)


@dataclass(frozen=True)
class InboxPagination(Pagination):
    """The inbox's pages; when its count stopped at the bound (``more``), the pages counted
    (the last of them full) and then "…", so that none reads as the last page."""

    more: bool = False

    def numbers(self, around: int = 1) -> list[int | None]:
        shown = super().numbers(around)
        return [*shown, None] if self.more else shown


def _filters() -> Filters:
    """The inbox's filters from the query string; 400 naming the parameter for a value the
    lists do not offer (a page's link, not a form the person filled in)."""
    state = request.args.get("state") or None
    field = request.args.get("field") or None
    channel = request.args.get("channel") or None
    if state is not None and state not in {s.value for s in CaseState}:
        raise ApiError(400, "invalid_parameter", "Trạng thái không hợp lệ.", "Not a state of a case.",
                       [detail("state", "invalid_choice", "Chọn một trạng thái trong danh sách.",
                               "Choose a state from the list.")])
    if field is not None and field not in FIELDS:
        raise ApiError(400, "invalid_parameter", "Lĩnh vực không hợp lệ.", "Not a field.",
                       [detail("field", "invalid_choice", "Chọn một lĩnh vực trong danh sách.",
                               "Choose a field from the list.")])
    if channel is not None and channel not in CHANNELS:
        raise ApiError(400, "invalid_parameter", "Kênh tiếp nhận không hợp lệ.", "Not a channel of a request.",
                       [detail("channel", "invalid_choice", "Chọn một kênh tiếp nhận trong danh sách.",
                               "Choose a channel from the list.")])
    return Filters(state, field, request.args.get("overdue") == "1", channel)


def _names() -> dict[str, Any]:
    return {"state_names": STATE_NAMES, "field_names": FIELD_NAMES, "action_names": ACTION_NAMES,
            "ground_names": GROUND_NAMES, "channel_names": CHANNEL_NAMES}


@pages.get("/")
@allow(CONSOLE)
def inbox():
    """Hộp hồ sơ: the cases in front of the signed-in person, the soonest deadline first."""
    principal = _principal()
    filters = _filters()
    page = page_args(default_size=PER_PAGE, max_size=100)
    runtime = _runtime()
    today = local_date(runtime.now())
    with runtime.unit_of_work() as uow:
        found = inbox_page(uow.session, _scope(principal), filters.on(today), offset=page.offset, limit=page.size)
        by_id = {c.id: c for c in uow.cases.get_many(found.ids)} if found.ids else {}
        rows = [by_id[i] for i in found.ids if i in by_id]
        units = _units_of(uow, principal, rows) if principal.role in HEADS else []
    # Translated and formatted once per page, not once per row: the rows repeat a few names and
    # dates, and each lookup of the catalog or of babel's patterns counts at 25 rows a page.
    names = {**_names(), "state_names": {s: str(n) for s, n in STATE_NAMES.items()},
             "field_names": {f: str(n) for f, n in FIELD_NAMES.items()}}
    due_on = {c.id: next_deadline(c) for c in rows}
    return render_template(
        "console/inbox.html", cases=rows, filters=filters, today=today, total=found.counted, more=found.more,
        pages_of=InboxPagination(page, found.counted, found.more), principal=principal,
        may_bulk=principal.role in HEADS, due_on=due_on,
        due_text={day: long_date(day) for day in set(due_on.values()) if day is not None},
        state_choices=[(s.value, names["state_names"][s]) for s in CaseState],
        field_choices=[(f, names["field_names"].get(f, f)) for f in FIELDS],
        channel_choices=[(c, CHANNEL_NAMES[c]) for c in CHANNELS],
        bulk_choices=[(a.value, ACTION_NAMES[a]) for a in BULK_ACTIONS],
        unit_choices=[(u.code, f"{u.name} ({u.locality_code})" if principal.sees_every_locality else u.name)
                      for u in units], **names)


def _units_of(uow, principal: Principal, rows: list[Case]) -> list:
    """The units a head may pick in the bulk form: their localities' (a provincial admin: those
    of the cases on the page, not the province's thousands)."""
    localities = {c.locality_code for c in rows} if principal.sees_every_locality else principal.localities
    return [u for code in sorted(localities) for u in uow.units.units_of(code) if u.active]


@dataclass(frozen=True)
class BulkOutcome:
    case_id: str
    tracking_code: str
    done: bool
    message: dict[str, str]


@pages.post("/hang-loat")
@allow(signed_in(UNIT_HEAD, LOCALITY_HEAD, PROVINCIAL_ADMIN))
def bulk():
    """Thao tác hàng loạt: assign, transfer or close the checked cases — each one on its own,
    as if by its own form; the answer says which were done and which were refused, and why."""
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        action = None
    if action not in BULK_ACTIONS:
        raise ApiError(422, "invalid_action", "Chọn một thao tác: phân công, chuyển hoặc kết thúc.",
                       "Choose an action: assign, transfer or close.",
                       [detail("action", "invalid_choice", "Chọn thao tác.", "Choose the action.")])
    ids = list(dict.fromkeys(request.form.getlist("case_id")))[:BULK_MAX]
    if not ids:
        raise ApiError(422, "invalid_action", "Hãy đánh dấu ít nhất một hồ sơ.", "Check at least one case.",
                       [detail("case_id", "required", "Chưa chọn hồ sơ nào.", "No case is checked.")])
    params = _params(action, request.form)
    outcomes = [_bulk_one(case_id, action, params) for case_id in ids]
    return render_template("console/bulk_result.html", action=action, outcomes=outcomes,
                           done=[o for o in outcomes if o.done], refused=[o for o in outcomes if not o.done],
                           **_names())


def _bulk_one(case_id: str, action: Action, params: dict[str, Any]) -> BulkOutcome:
    try:
        case = _visible_case(case_id)
    except ApiError:
        return BulkOutcome(case_id, "", False, {"vi": "Không tìm thấy hồ sơ.", "en": "No such case."})
    try:
        _run(case, action, params, None)
    except ApiError as err:
        problems = "; ".join(d["message"]["vi"] for d in err.details if d.get("message"))
        problems_en = "; ".join(d["message"]["en"] for d in err.details if d.get("message"))
        return BulkOutcome(case.id, case.tracking_code, False,
                           {"vi": " ".join(filter(None, [err.vi, problems])),
                            "en": " ".join(filter(None, [err.en, problems_en]))})
    return BulkOutcome(case.id, case.tracking_code, True, {"vi": "Đã thực hiện.", "en": "Done."})


# -- one case -----------------------------------------------------------------------------------
def _visible_case(case_id: str) -> Case:
    """The case, if it is the principal's to see; 404 for another locality's, as for none."""
    if len(case_id) > 64:
        raise ApiError.standard(404)
    with _runtime().unit_of_work() as uow:
        case = uow.cases.get(case_id)
    if case is None or not _principal().may_see(case.locality_code):
        raise ApiError.standard(404)
    return case


def _case_page(case: Case, *, status: int = 200, error: dict | None = None, failed: str | None = None,
               form: dict[str, Any] | None = None, preview: dict[str, Any] | None = None):
    principal = _principal()
    runtime = _runtime()
    today = local_date(runtime.now())
    limits = limits_of(case, runtime.rules)
    actor = _actor(principal, case)
    may_read = may_read_requester(actor, case)
    with runtime.unit_of_work() as uow:
        steps = uow.cases.steps(case.id)
        promises = uow.cases.commitments_of(case.id)
        units = [u for u in uow.units.units_of(case.locality_code) if u.active]
        requester = uow.requesters.of(case.id) if may_read else None
        request_files = uow.files.request_files(case.id)
        answer_files = uow.files.answer_files(case.id)
    # The domain says what is open now (state × role, locality, unit × an extension used):
    # the page and the API agree.
    open_now = [Action(a) for a in actions_open_to(actor, case)]
    if error is not None and failed in {a.value for a in Action} and Action(failed) not in open_now:
        # A refused form that is no longer open stays beside its problems, so that they point
        # at what was sent; the next visit of the page no longer offers it.
        open_now.append(Action(failed))
    templates = templates_for(case.field)
    chosen = next((t for t in templates if t["id"] == request.args.get("mau")), None)
    values = dict(form or {})
    if chosen is not None and not values:
        values = {"answer-explanation": chosen["explanation"], "answer-legal_basis": chosen["legal_basis"]}
    return render_template(
        "console/case.html", case=case, steps=steps, commitments=promises, actions=open_now,
        error=error, failed=failed, values=values, preview=preview, units=units,
        may_read_requester=may_read, requester=requester, requester_types=REQUESTER_TYPES,
        request_files=request_files, request_file_path=REQUEST_FILE_PATH,
        answer_files=answer_files, answer_file_path=ANSWER_FILE_PATH, max_files=MAX_ATTACHMENTS,
        max_file_mb=MAX_FILE_BYTES // (1024 * 1024),
        ground_choices=[(g.value, GROUND_NAMES[g]) for g in RefusalGround],
        unit_choices=[(u.code, u.name) for u in units],
        transfer_choices=[(u.code, u.name) for u in units if u.code != case.unit_code],
        templates=templates, chosen=chosen, today=today,
        notices={a: _notice(case, a, limits, today) for a in open_now}, commitment_rows=range(COMMITMENT_ROWS),
        open_status=OPEN, may_complete=principal.role in {OFFICIAL, UNIT_HEAD, LOCALITY_HEAD, PROVINCIAL_ADMIN},
        **_names()), status


def _notice(case: Case, action: Action, limits: TimeLimitSet, today) -> str:
    """The gist of the written notice the action sends, with the dates it will carry: for an
    acceptance the explanation's deadline if accepted today, for an extension the deadline it
    moves (notify writes the notice itself from the event)."""
    if action not in NOTICES:
        return ""
    due = {Action.ACCEPT: explain_by(limits, _runtime().calendar, today), Action.EXTEND: case.answer_by}.get(action)
    return str(NOTICES[action]) % {"code": case.tracking_code, "due": long_date(due) if due else "—"}


def _preview(case: Case, action: Action, params: dict[str, Any]) -> dict[str, Any]:
    """What the requester will read beside the notice, from the form as typed: each line a label
    and its text (the new deadline of an extension counted as the domain will count it)."""
    runtime = _runtime()
    with runtime.unit_of_work() as uow:
        names = {u.code: u.name for u in uow.units.units_of(case.locality_code)}
    lines: list[tuple[str, str]] = []

    def add(label, value) -> None:
        if value not in (None, ""):
            lines.append((str(label), str(value)))
    if action is Action.REFUSE:
        ground = params.get("ground", "")
        add(_l("Ground of refusal"), GROUND_NAMES.get(ground, ground) if ground in set(RefusalGround) else "")
        add(_l("The agency it belongs to (if another agency's)"), params.get("refer_to"))
    if action is Action.EXTEND:
        limits, days = limits_of(case, runtime.rules), params.get("days")
        if isinstance(days, int) and 1 <= days <= limits.extension_max.amount and case.answer_by is not None:
            add(_l("Days of extension"), days)
            add(_l("The explanation is then due by"),
                long_date(case.extended_answer_by(days, limits, runtime.calendar)))
    if action in (Action.ASSIGN, Action.TRANSFER):
        unit = params.get("unit_code") or params.get("to_unit") or ""
        add(_l("Unit"), names.get(unit, ""))
    if action is Action.MERGE:
        add(_l("Merge into the case (its id)"), params.get("into_case_id"))
    if action is Action.DECIDE_DISPUTE:
        add(_l("Decision"), {"upheld": _l("Upheld: reopen and flag"),
                             "dismissed": _l("Dismissed: close")}.get(params.get("outcome", ""), ""))
    if action is Action.ANSWER:
        add(_l("Explanation"), params.get("explanation"))
        add(_l("Legal basis"), params.get("legal_basis"))
        add(_l("Minutes of the meeting with the requester (if any)"), params.get("meeting_minutes"))
        for c in params.get("commitments", []):
            add(_l("Commitment"), f"{c['content']} — {c['due_on']}")
    add(_l("Reason"), params.get("reason"))
    return {"action": action.value, "lines": lines}


@pages.get("/ho-so/<case_id>")
@allow(CONSOLE)
def case_page(case_id: str):
    """Hồ sơ: its steps, deadlines, commitments and the forms of the actions open now."""
    return _case_page(_visible_case(case_id))


def _params(action: Action, form, prefix: str = "") -> dict[str, Any]:
    """The form's fields as the action's command reads them (the JSON API's body). On the
    case page every action's form names its fields ``<action>-<field>`` (``prefix``), so
    that the forms side by side keep distinct ids."""
    form = {k[len(prefix):]: v for k, v in form.items() if k.startswith(prefix)}
    text = {Action.REFUSE: ("ground", "reason", "refer_to"), Action.ASSIGN: ("unit_code", "official_id"),
            Action.TRANSFER: ("to_unit", "reason"), Action.EXTEND: ("reason",), Action.SUSPEND: ("reason",),
            Action.ANSWER: ("explanation", "legal_basis", "meeting_minutes"),
            Action.DECIDE_DISPUTE: ("outcome", "reason"), Action.MERGE: ("into_case_id", "reason")}
    params: dict[str, Any] = {name: form.get(name, "") for name in text.get(action, ())}
    if action is Action.EXTEND:
        raw = form.get("days", "").strip()
        params["days"] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else raw
    if action is Action.ANSWER:
        rows = []
        for i in range(COMMITMENT_ROWS):
            content = form.get(f"commitment_{i}_content", "").strip()
            due = form.get(f"commitment_{i}_due_on", "").strip()
            if content or due:
                rows.append({"content": content, "due_on": due})
        params["commitments"] = rows
    return params


def _form_field(name: str, prefix: str = "") -> str:
    """A command's field as the form names it (``commitments[0].due_on`` → ``commitment_0_due_on``;
    each refused file, ``attachments[1]``, beside the form's one file input)."""
    if name.startswith("attachments["):
        return f"{prefix}attachments"
    if name.startswith("commitments["):
        index, _, rest = name[len("commitments["):].partition("].")
        return f"{prefix}commitment_{index}_{rest}"
    return prefix + name


def _run(case: Case, action: Action, params: dict[str, Any], version: int | None, prefix: str = "",
         uploads: tuple[Upload, ...] = ()) -> Case:
    """Take the action as the JSON API does; each refusal as the API's bilingual error."""
    if action is Action.EXTEND and not isinstance(params.get("days"), int):
        raise ApiError(422, "invalid_action", "Nội dung thao tác chưa hợp lệ; xem từng trường dưới đây.",
                       "The action's content breaks a rule; see each field below.",
                       [detail(prefix + "days", "wrong_type", "Số ngày gia hạn là một số nguyên.",
                               "The days of the extension are a whole number.")])
    return take_action(ActOnCase(case.id, action.value, _actor(_principal(), case), params, version,
                                 uploads=uploads), lambda name: _form_field(name, prefix))


def _shown(err: ApiError) -> dict[str, Any]:
    """The error as the page shows it: the API's bilingual document."""
    return error_document(err.code, err.vi, err.en, err.details)["error"]


def _version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


@pages.post("/ho-so/<case_id>/<action>")
@allow(CONSOLE)
@body_limit(MAX_UPLOAD_BODY)  # an answer's files (multipart); every other action keeps the service's limit
def act(case_id: str, action: str):
    """One action's form: done → back to the case page; refused → the page again with the
    message (409 or 422 naming the field) and what was typed. ``preview`` shows the notice.
    The answer's form is multipart, with up to 5 files (photos or PDFs, judged by content)."""
    try:
        chosen = Action(action)
    except ValueError:
        raise ApiError.standard(404) from None
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if chosen is not Action.ANSWER and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    case = _visible_case(case_id)
    prefix = f"{chosen.value}-"
    params = _params(chosen, request.form, prefix)
    uploads = tuple(Upload(f.filename or "", f.read()) for f in request.files.getlist(f"{prefix}attachments")
                    ) if chosen is Action.ANSWER else ()
    typed = {k: v for k, v in request.form.items() if k.startswith(prefix)}
    if request.form.get("preview"):
        return _case_page(case, form=typed, failed=chosen.value, preview=_preview(case, chosen, params))
    try:
        _run(case, chosen, params, _version(), prefix, uploads)
    except ApiError as err:
        if err.status == 404:
            raise
        current = _visible_case(case_id)
        return _case_page(current, status=err.status, error=_shown(err), failed=chosen.value, form=typed)
    return redirect(url_for("console.case_page", case_id=case_id, done=chosen.value), code=303)


@pages.get("/tep-giai-trinh/<file_id>")
@allow(CONSOLE)
def answer_file(file_id: str):
    """Tệp đính kèm of an explanation, to staff of its case's locality: a download (another
    locality's, a malformed id or none: 404)."""
    if not FILE_ID.match(file_id):  # not even looked up
        raise ApiError.standard(404)
    with _runtime().unit_of_work() as uow:
        found = uow.files.answer_file(file_id)
    if found is None or not _principal().may_see(found.locality_code):
        raise ApiError.standard(404)
    return file_download(found.content, found.file.media_type, found.file.filename)


@pages.post("/cam-ket/<commitment_id>/hoan-thanh")
@allow(CONSOLE)
def complete_commitment(commitment_id: str):
    """Hoàn thành cam kết: record it done with its evidence, back on its case's page."""
    principal = _principal()
    runtime = _runtime()
    with runtime.unit_of_work() as uow:
        found = uow.commitments.get(commitment_id) if len(commitment_id) <= 64 else None
    if found is None or not principal.may_see(found.locality_code):
        raise ApiError.standard(404)
    localities = frozenset({found.locality_code}) if principal.sees_every_locality else principal.localities
    actor = Actor(principal.id, Role(principal.role), localities, principal.unit_code)
    case = _visible_case(found.case_id)
    try:
        runtime.complete_commitment(commitment_id, actor, request.form.get("evidence", ""))
    except CommitmentNotFound:
        raise ApiError.standard(404) from None
    except CommitmentAlreadyDone:
        err = ApiError(409, "already_completed", "Cam kết này đã được xác nhận hoàn thành.",
                       "This commitment was completed already.")
        return _case_page(case, status=409, error=_shown(err), failed="commitment")
    except NotPermitted as exc:
        err = ApiError(403, "not_permitted", "Bạn không được xác nhận hoàn thành cam kết này.",
                       f"You may not complete this commitment: {exc}.")
        return _case_page(case, status=403, error=_shown(err), failed="commitment")
    except InvalidAction as exc:
        err = ApiError(422, "invalid_action", "Nội dung chưa hợp lệ; xem từng trường dưới đây.",
                       "The content breaks a rule; see each field below.",
                       [detail(p.field, p.code, p.vi, p.en) for p in exc.problems])
        return _case_page(case, status=422, error=_shown(err), failed="commitment")
    return redirect(url_for("console.case_page", case_id=case.id, done="commitment"), code=303)
