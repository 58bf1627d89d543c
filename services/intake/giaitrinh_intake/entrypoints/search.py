"""Tìm kiếm công khai — the published answers, found by any words with or without diacritics,
filtered by commune or ward, field and period, a page at a time: ``GET /api/v1/search`` for
programs and the page ``/tim-kiem`` (a GET form: no JavaScript) for people.

Only requests whose requester agreed to publish the answer are found
(:func:`giaitrinh_intake.domain.search.search_entry`); a result shows the request's public
properties and the explanation, never who asked.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.ui import Pagination
from giaitrinh_common.ui.search import sort_key
from giaitrinh_common.web import ApiError, Page, detail, page_args
from giaitrinh_intake.bootstrap import IntakeRuntime
from giaitrinh_intake.domain.model import Field
from giaitrinh_intake.domain.search import MAX_QUERY_CHARS, SearchHit, SearchPage, SearchQuery
from giaitrinh_intake.entrypoints.open311 import VIETNAM
from giaitrinh_intake.entrypoints.pages import FIELDS, KINDS

search_api = Blueprint("intake_search_api", __name__, url_prefix="/api/v1")
search_pages = Blueprint("intake_search_pages", __name__, template_folder="templates")
PER_PAGE, MAX_PER_PAGE = 20, 100
EXCERPT_CHARS = 300


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _problem(name: str, code: str, vi: str, en: str) -> ApiError:
    return ApiError(400, "invalid_search", "Điều kiện tìm kiếm chưa hợp lệ; xem mục dưới đây.",
                    "The search is not valid; see the item below.", [detail(name, code, vi, en)])


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise _problem(name, "invalid_date", "Ngày phải có dạng YYYY-MM-DD, ví dụ 2026-11-01.",
                       "A date is written YYYY-MM-DD, for example 2026-11-01.") from None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), VIETNAM)


def read_query(names: dict[str, str], page: Page) -> SearchQuery:
    """The search the request asks for; ``names`` maps each parameter (q, locality_code, field,
    from, to) to its name in this URL (the page uses Vietnamese ones). 400 naming the parameter
    for a locality not served, a field that does not exist, a date that is no date, or a
    period that ends before it starts."""
    words = request.args.get(names["q"], "")[:MAX_QUERY_CHARS].split()
    locality = request.args.get(names["locality_code"], "").strip()
    if locality and _runtime().localities.get(locality) is None:
        raise _problem(names["locality_code"], "unknown_locality", "Mã xã/phường không thuộc địa bàn được phục vụ.",
                       "The commune/ward code is not one this platform serves.")
    field = request.args.get(names["field"], "").strip()
    if field and field not in {f.value for f in Field}:
        raise _problem(names["field"], "invalid_choice", "Lĩnh vực không hợp lệ.",
                       f"field must be one of: {', '.join(f.value for f in Field)}.")
    since, until = _day(names["from"]), _day(names["to"])
    if since and until and until < since:
        raise _problem(names["to"], "period_reversed", "Ngày kết thúc phải sau ngày bắt đầu.",
                       "The end of the period must come after its start.")
    return SearchQuery(words=tuple(words), locality_code=locality, field=field,
                       since=_local_midnight(since) if since else None,
                       until=_local_midnight(until + timedelta(days=1)) if until else None,
                       page=page.number, per_page=page.size)


def run(query: SearchQuery) -> SearchPage:
    with _runtime().unit_of_work() as uow:
        return uow.search.search(query)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"


def _hit_json(hit: SearchHit) -> dict:
    return {"tracking_code": hit.tracking_code, "kind": hit.kind, "field": hit.field,
            "locality": {"code": hit.locality_code, "name": hit.locality_name}, "title": hit.title,
            "submitted_at": hit.submitted_at.isoformat(), "answered_at": hit.answered_at.isoformat(),
            "explanation": hit.explanation, "legal_basis": hit.legal_basis,
            "status_url": url_for("intake_api.lookup", tracking_code=hit.tracking_code)}


API_NAMES = {"q": "q", "locality_code": "locality_code", "field": "field", "from": "from", "to": "to"}
PAGE_NAMES = {"q": "q", "locality_code": "xa", "field": "linh_vuc", "from": "tu", "to": "den"}


@search_api.get("/search")
@allow(PUBLIC)  # published answers only; nothing of the requester
def search():
    """Tìm kiếm: ``q`` (words, any order, with or without diacritics; the last may be cut short),
    ``locality_code``, ``field``, ``from``/``to`` (submitted on those days, Vietnam time),
    ``page``/``per_page`` (1–100, 20); ``has_more`` says whether the next page holds more (the
    matches are not counted)."""
    page = page_args(default_size=PER_PAGE, max_size=MAX_PER_PAGE)
    found = run(read_query(API_NAMES, page))
    return jsonify(page=page.number, per_page=page.size, has_more=found.has_more,
                   results=[_hit_json(hit) for hit in found.hits])


@search_pages.get("/tim-kiem")
@allow(PUBLIC)
def search_page():
    """Tìm kiếm câu trả lời đã công khai: the form, and the answers found, a page at a time."""
    page = page_args(default_size=PER_PAGE, max_size=MAX_PER_PAGE)
    localities = sorted(_runtime().localities.all(), key=lambda loc: sort_key(loc.name))
    values = {name: request.args.get(name, "")[:MAX_QUERY_CHARS] for name in PAGE_NAMES.values()}
    searched = any(values.values())
    error, found, seen = None, None, 0
    try:
        query = read_query(PAGE_NAMES, page)
        found = run(query)
        seen = found.seen_at_least(query)
    except ApiError as err:
        error = {"code": err.code, "message": {"vi": err.vi, "en": err.en}, "details": err.details}
    # Pages up to this one and the next when there is one: the matches are not counted.
    paging = Pagination(page, seen)
    body = render_template("intake/search.html", values=values, searched=searched, error=error,
                           hits=found.hits if found else (), paging=paging, localities=localities,
                           fields=FIELDS, kinds=KINDS, excerpt=_excerpt)
    return body, 400 if error else 200
