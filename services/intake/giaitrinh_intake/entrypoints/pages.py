"""The citizens' portal (cổng thông tin): intake's pages, in the shared shell
(:mod:`giaitrinh_common.ui`). Vietnamese first; every page works without JavaScript.

  /            what the platform is for, how to submit a request and how to track it
  /tra-cuu     tra cứu: a tracking code's public progress (``?ma=GT-XXXX-XXXX-X``)
  /xa-phuong   the communes and wards served, searchable without diacritics (``?q=``)

The progress page shows what ``GET /api/v1/requests/<code>`` answers, from the same public
properties of the request, and nothing more: no requester's personal data.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.ui import Pagination
from giaitrinh_common.ui.search import matches, sort_key
from giaitrinh_common.web import ApiError, page_args, tracking_code_arg
from giaitrinh_intake.bootstrap import IntakeRuntime
from giaitrinh_intake.domain.model import Locality

pages = Blueprint("intake_pages", __name__, template_folder="templates")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"  # this module's and the templates' catalog

LOCALITIES_PER_PAGE = 24
MAX_QUERY = 100  # characters of a search kept: no commune's name is longer

# The public words for the request's kind, field and status (the API's values).
KINDS = {"accountability_request": _l("Request for accountability"), "feedback": _l("Feedback or petition")}
FIELDS = {
    "land": _l("Land"), "construction": _l("Construction"), "environment": _l("Environment"),
    "finance": _l("Finance and budget"), "public_procurement": _l("Public procurement"),
    "personnel": _l("Personnel"), "administrative_procedures": _l("Administrative procedures"),
    "justice": _l("Justice"), "social_affairs": _l("Social affairs"), "health": _l("Health"),
    "education": _l("Education"), "other": _l("Other"),
}
STATUSES = {
    "submitted": _l("Received, waiting to be registered"), "registered": _l("Registered, waiting to be accepted"),
    "accepted": _l("Accepted, being explained"), "refused": _l("Refused"), "answered": _l("Explained"),
    "extended": _l("Time for the explanation extended"), "suspended": _l("Suspended"),
    "disputed": _l("Explanation disputed"), "closed": _l("Closed"), "withdrawn": _l("Withdrawn"),
    "transferred": _l("Transferred to another unit"), "merged": _l("Merged with another request"),
}
DEADLINES = {"accept": _l("Accept or refuse by"), "answer": _l("Explain by")}


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _province() -> str:
    return ", ".join(_runtime().localities.province_names)


@pages.get("/")
@allow(PUBLIC)
def home():
    """Trang chủ: the platform's purpose, how to submit and track, the tracking-code form."""
    return render_template("intake/home.html", province=_province(),
                           locality_count=len(_runtime().localities.all()))


@pages.get("/tra-cuu")
@allow(PUBLIC)  # the tracking code is the key; the page holds no personal data
def track():
    """Tra cứu: the form, and with ``?ma=`` the request's public progress or why there is none
    (400 for a code that cannot be one, 404 for a code no request has)."""
    raw = request.args.get("ma", "").strip()[:64]
    if not raw:
        return render_template("intake/track.html", code="", record=None, error=None)
    try:
        code = tracking_code_arg(raw)
    except ApiError as err:
        return _track_error(raw, err)
    with _runtime().unit_of_work() as uow:
        record = uow.requests.by_tracking_code(code)
        details = uow.submissions.details(record.id) if record is not None else None
    if record is None:
        return _track_error(code, ApiError(404, "unknown_tracking_code", "Không có yêu cầu nào với mã tra cứu này.",
                                           "No request has this tracking code."))
    return render_template("intake/track.html", code=code, record=record, details=details, error=None, kinds=KINDS,
                           fields=FIELDS, statuses=STATUSES, deadlines=DEADLINES)


def _track_error(code: str, err: ApiError):
    # The form again, with the problem on its one field (the API's details name "tracking_code").
    details = [{**d, "field": "ma"} for d in err.details] or [
        {"field": "ma", "code": err.code, "message": {"vi": err.vi, "en": err.en}}]
    error = {"code": err.code, "message": {"vi": err.vi, "en": err.en}, "details": details}
    return render_template("intake/track.html", code=code, record=None, error=error), err.status


@pages.get("/xa-phuong")
@allow(PUBLIC)
def localities():
    """Xã, phường: the communes and wards served, in Vietnamese alphabetical order, found by
    any words of their name typed with or without diacritics."""
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    page = page_args(default_size=LOCALITIES_PER_PAGE, max_size=100)
    everything = sorted(_runtime().localities.all(), key=_by_name)
    found = [loc for loc in everything if matches(query, loc.name)] if query else everything
    pagination = Pagination(page, len(found))
    return render_template("intake/localities.html", query=query, places=pagination.slice(found),
                           paging=pagination, total=len(everything), province=_province())


_KINDS_OF_PLACE = ("Phường ", "Xã ", "Đặc khu ")


def _by_name(locality: Locality) -> tuple:
    # "Phường Đông Hà" sorts under Đ, not under P: the kind of place is not its name.
    name = next((locality.name[len(k):] for k in _KINDS_OF_PLACE if locality.name.startswith(k)), locality.name)
    return sort_key(name)
