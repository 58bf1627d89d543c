"""Open311 GeoReport v2 at ``/open311/v2/`` — the standard other civic software speaks
(https://wiki.open311.org/GeoReport_v2), in JSON and XML alike (``.json`` / ``.xml``).

  GET  discovery.{fmt}                    the endpoint, its formats and specification
  GET  services.{fmt}?jurisdiction_id=    one service per field (lĩnh vực) of the commune/ward
  GET  services/{code}.{fmt}              the attributes a POST may carry (kind, title)
  GET  requests.{fmt}?jurisdiction_id=    public requests, filtered by the spec's parameters
  GET  requests/{id}.{fmt}                one request by its tracking code
  POST requests.{fmt}                     a registered publisher's request (form, ``api_key``)
  GET  tokens/{token}.{fmt}               the request a POST's token became

``jurisdiction_id`` is the locality code (one deployment serves every commune and ward of the
province). ``service_request_id`` is the tracking code. GET answers show only what the public
timeline shows — never the requester's name, contact, address or the text they wrote. Errors
use the spec's ``[{"code", "description"}]`` (``<errors><error>…``) with the spec's statuses: 400
for what is missing or wrong, 403 for no or a wrong ``api_key``, 404 for what does not exist;
the description is Vietnamese then English.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for

from giaitrinh_common.auth import PUBLIC, allow, csrf_exempt
from giaitrinh_common.tracking_codes import fault_of, normalise
from giaitrinh_common.web import ApiError, body_bytes, current_trace_id
from giaitrinh_intake.adapters.public_lists import CLOSED_STATES, matching_request_ids
from giaitrinh_intake.adapters.publisher_keys import PublisherKeys, SqlPublisherKeys
from giaitrinh_intake.bootstrap import IntakeRuntime
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.model import AccountabilityRequest, Field, Locality, RequestKind
from giaitrinh_intake.service_layer.handlers import InvalidSubmission

PREFIX = "/open311/v2"
open311 = Blueprint("open311", __name__, url_prefix=PREFIX)
FORMATS = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_RANGE = timedelta(days=90)  # the spec's longest start_date..end_date
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE = 100, 500, 10_000
MAX_PARAM = 200  # characters of a query parameter; none of ours is longer
MAX_IDS = 200  # tracking codes asked for at once by service_request_id

# Tên lĩnh vực: the service names, Vietnamese as the portal shows them, English beside.
SERVICE_NAMES: dict[str, tuple[str, str]] = {
    "land": ("Đất đai", "Land"), "construction": ("Xây dựng", "Construction"),
    "environment": ("Môi trường", "Environment"), "finance": ("Tài chính, ngân sách", "Finance and budget"),
    "public_procurement": ("Mua sắm công", "Public procurement"), "personnel": ("Tổ chức cán bộ", "Personnel"),
    "administrative_procedures": ("Thủ tục hành chính", "Administrative procedures"),
    "justice": ("Tư pháp", "Justice"), "social_affairs": ("Lao động, xã hội", "Social affairs"),
    "health": ("Y tế", "Health"), "education": ("Giáo dục", "Education"), "other": ("Lĩnh vực khác", "Other"),
}
KIND_NAMES = {"feedback": "Phản ánh, kiến nghị (Feedback or petition)",
              "accountability_request": "Yêu cầu giải trình (Request for accountability)"}
# What a POST may say besides the spec's own fields (GET services/{code} lists them).
ATTRIBUTES = [
    {"variable": True, "code": "kind", "datatype": "singlevaluelist", "required": False,
     "datatype_description": "feedback (default) or accountability_request", "order": 1,
     "description": "Loại yêu cầu (Kind of request). An accountability request needs first_name, "
                    "last_name and a phone (Decree 59/2019, Art. 10).",
     "values": [{"key": key, "name": name} for key, name in KIND_NAMES.items()]},
    {"variable": True, "code": "title", "datatype": "string", "required": False,
     "datatype_description": "At most 200 characters; the start of description when not given", "order": 2,
     "description": "Tiêu đề (Title)"},
]
# The containers of the spec's XML and what each item inside is called.
_XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
              "attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
# XML 1.0 cannot carry these characters even escaped; they become U+FFFD in an XML answer.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class Open311Error(Exception):
    """An error in the spec's shape: one status, one or more ``(vi, en)`` descriptions."""

    def __init__(self, status: int, *descriptions: tuple[str, str]):
        super().__init__(descriptions[0][1] if descriptions else str(status))
        self.status = status
        self.descriptions = list(descriptions)


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _publishers() -> PublisherKeys:
    return current_app.extensions["giaitrinh_publisher_keys"]


# -- answers in either format ------------------------------------------------------------------
def _element(tag: str, value: Any) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            node.append(_element(key, inner))
    elif isinstance(value, list):
        for inner in value:
            node.append(_element(_XML_ITEMS.get(tag, "item"), inner))
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = _NOT_XML.sub("\ufffd", str(value))  # ElementTree escapes <, > and &
    return node


def answer(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    """``value`` as JSON, or as XML under ``root`` (lists as the spec's repeated items)."""
    if fmt == "json":
        resp = jsonify(value)
    else:
        body = ET.tostring(_element(root, value), encoding="unicode", xml_declaration=False)
        resp = Response('<?xml version="1.0" encoding="utf-8"?>' + body, mimetype="text/xml")
        resp.charset = "utf-8"
    resp.status_code = status
    return resp


def _format_of_path() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def error_answer(status: int, descriptions: Iterable[tuple[str, str]]) -> Response:
    errors = [{"code": status, "description": f"{vi} / {en}"} for vi, en in descriptions]
    return answer(_format_of_path(), "errors", errors, status)


def _w3c(moment: datetime | None) -> str | None:
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds") if moment else None


# -- reading parameters --------------------------------------------------------------------------
def _param(name: str, limit: int = MAX_PARAM) -> str:
    source = request.form if request.method == "POST" else request.args
    value = (source.get(name) or request.args.get(name) or "").strip()
    if len(value) > limit:
        raise Open311Error(400, (f"{name} dài quá {limit} ký tự.", f"{name} is longer than {limit} characters."))
    return value


def _jurisdiction(required: bool = True) -> Locality | None:
    code = _param("jurisdiction_id")
    if not code:
        if required:
            raise Open311Error(400, ("Thiếu jurisdiction_id (mã xã/phường).",
                                     "jurisdiction_id (the commune or ward code) is required."))
        return None
    locality = _runtime().localities.get(code)
    if locality is None:
        raise Open311Error(404, ("Không có xã/phường nào với jurisdiction_id này.",
                                 "No commune or ward has this jurisdiction_id."))
    return locality


def _moment(name: str) -> datetime | None:
    raw = _param(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Open311Error(400, (f"{name} phải là thời điểm theo W3C, ví dụ 2026-11-01T00:00:00+07:00.",
                                 f"{name} must be a W3C date-time, e.g. 2026-11-01T00:00:00+07:00.")) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


def _whole(name: str, default: int, maximum: int) -> int:
    raw = _param(name)
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= maximum:
        raise Open311Error(400, (f"{name} phải là số nguyên từ 1 đến {maximum}.",
                                 f"{name} must be a whole number from 1 to {maximum}."))
    return int(raw)


def _list(name: str, allowed: Iterable[str]) -> list[str]:
    given = [part.strip() for part in _param(name).split(",") if part.strip()]
    allowed = list(allowed)
    unknown = [part for part in given if part not in allowed]
    if unknown:
        raise Open311Error(400, (f"Giá trị {name} không hợp lệ; chọn trong: {', '.join(allowed)}.",
                                 f"{name} must be among: {', '.join(allowed)}."))
    return given


# -- public views of a request -------------------------------------------------------------------
def public_request(record: AccountabilityRequest) -> dict[str, Any]:
    """What Open311 tells anyone of a request: what the public timeline shows, and nothing of
    the requester (no name, contact, address, nor the text they wrote, which may name people)."""
    status = "closed" if _case_state(record) in CLOSED_STATES else "open"
    latest = record.timeline[-1] if record.timeline else None
    deadline = record.deadline
    vi, en = SERVICE_NAMES[record.field.value]
    return {
        "service_request_id": record.tracking_code,
        "status": status,
        "status_notes": f"{latest.label_vi} / {latest.label_en}" if latest else None,
        "service_name": vi,
        "service_code": record.field.value,
        "description": record.title,
        "agency_responsible": record.locality.name,
        "service_notice": KIND_NAMES[record.kind.value],
        "requested_datetime": _w3c(record.submitted_at),
        "updated_datetime": _w3c(max((e.at for e in record.timeline), default=record.submitted_at)),
        "expected_datetime": (_w3c(datetime.combine(deadline[1], datetime.max.time(), VIETNAM))
                              if deadline else None),
        "address": None, "address_id": None, "zipcode": None, "lat": None, "long": None,
        "media_url": None,
    }


def _case_state(record: AccountabilityRequest) -> str | None:
    steps = [e for e in record.timeline if e.case_version is not None]
    return max(steps, key=lambda e: e.case_version or 0).state if steps else None


def _by_tracking_code(raw: str) -> AccountabilityRequest | None:
    code = normalise(raw[:64])
    if fault_of(code) is not None:
        return None
    with _runtime().unit_of_work() as uow:
        return uow.requests.by_tracking_code(code)


# -- the routes ------------------------------------------------------------------------------------
@open311.get(f"/discovery.{FORMATS}")
@allow(PUBLIC)
def discovery(fmt: str):
    """The endpoint's own description (the spec's service discovery)."""
    url = url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0]
    return answer(fmt, "discovery", {
        "changeset": "2026-11-28T00:00:00+07:00",
        "contact": "Cổng Giải Trình — use the portal's contact page",
        "key_service": "Khóa API do quản trị cấp tỉnh cấp (giaitrinh routing publishers) / "
                       "API keys are issued by the provincial administrator",
        "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": "2026-11-28T00:00:00+07:00",
                       "type": "production", "formats": ["application/json", "text/xml"]}],
    })


@open311.get(f"/services.{FORMATS}")
@allow(PUBLIC)
def services(fmt: str):
    """Dịch vụ: one per field of the commune or ward (its ``jurisdiction_id``)."""
    locality = _jurisdiction()
    assert locality is not None
    return answer(fmt, "services", [
        {"service_code": code, "service_name": SERVICE_NAMES[code][0],
         "description": f"{SERVICE_NAMES[code][0]} — {locality.name} ({SERVICE_NAMES[code][1]})",
         "metadata": True, "type": "realtime", "keywords": SERVICE_NAMES[code][1].lower(),
         "group": locality.name}
        for code in _fields_of(locality)])


def _fields_of(locality: Locality) -> list[str]:
    """The fields the locality's units handle, as the registry says (and "other", which the
    committee's office takes); every field while the registry names none."""
    fields_of = getattr(_runtime().localities, "fields_of", None)
    named = set(fields_of(locality.code)) if fields_of is not None else set()
    handled = [field.value for field in Field if field.value in named]
    return handled + ([Field.OTHER.value] if Field.OTHER.value not in handled else []) if handled \
        else [field.value for field in Field]


@open311.get(f"/services/<service_code>.{FORMATS}")
@allow(PUBLIC)
def service_definition(service_code: str, fmt: str):
    """The attributes a POST of this service may carry."""
    _jurisdiction(required=False)
    if service_code not in SERVICE_NAMES:
        raise Open311Error(404, ("Không có dịch vụ (lĩnh vực) với mã này.", "No service has this service_code."))
    return answer(fmt, "service_definition", {"service_code": service_code, "attributes": ATTRIBUTES})


@open311.get(f"/requests.{FORMATS}")
@allow(PUBLIC)  # public data only: see public_request
def requests_list(fmt: str):
    """Requests of the jurisdiction, newest first: by ``service_request_id`` (comma-separated,
    overriding the rest), else by ``service_code``, ``start_date``/``end_date`` (at most 90 days
    apart; the latest 90 days by default), ``status`` (open, closed), a ``page_size`` (1–500,
    100) at a time from ``page`` (1…)."""
    locality = _jurisdiction()
    assert locality is not None
    ids = [part.strip() for part in _param("service_request_id", MAX_IDS * 16).split(",") if part.strip()]
    if ids:
        found = [_by_tracking_code(code) for code in ids]
        records = [r for r in found if r is not None and r.locality.code == locality.code]
        return answer(fmt, "service_requests", [public_request(r) for r in records])
    fields = _list("service_code", SERVICE_NAMES)
    statuses = _list("status", ("open", "closed"))
    start, end = _moment("start_date"), _moment("end_date")
    if start is None and end is None:
        end = _runtime().now()
    if start is not None and end is not None and start > end:
        raise Open311Error(400, ("start_date phải trước end_date.", "start_date must come before end_date."))
    start = start if start is not None else end - MAX_RANGE  # type: ignore[operator]
    end = end if end is not None else start + MAX_RANGE
    if end - start > MAX_RANGE:
        raise Open311Error(400, ("Khoảng start_date–end_date tối đa 90 ngày.",
                                 "start_date and end_date may be at most 90 days apart."))
    size = _whole("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page = _whole("page", 1, MAX_PAGE)
    with _runtime().unit_of_work() as uow:
        found_ids = matching_request_ids(uow.session, locality_code=locality.code, fields=fields, start=start,
                                         end=end, open_or_closed=statuses, limit=size, offset=(page - 1) * size)
        records = [uow.requests.get(request_id) for request_id in found_ids]
    return answer(fmt, "service_requests", [public_request(r) for r in records if r is not None])


@open311.get(f"/requests/<service_request_id>.{FORMATS}")
@allow(PUBLIC)  # the tracking code is the key; the answer holds no personal data
def request_one(service_request_id: str, fmt: str):
    locality = _jurisdiction(required=False)
    record = _by_tracking_code(service_request_id)
    if record is None or (locality is not None and record.locality.code != locality.code):
        raise Open311Error(404, ("Không có yêu cầu nào với mã này.", "No request has this service_request_id."))
    return answer(fmt, "service_requests", [public_request(record)])


@open311.get(f"/tokens/<token>.{FORMATS}")
@allow(PUBLIC)
def token(token: str, fmt: str):
    """The token a POST answered with is the request's id; here it becomes the tracking code."""
    _jurisdiction(required=False)
    record = None
    if re.fullmatch(r"[0-9a-f-]{36}", token):
        with _runtime().unit_of_work() as uow:
            record = uow.requests.get(token)
    if record is None:
        raise Open311Error(404, ("Không có yêu cầu nào với token này.", "No request has this token."))
    return answer(fmt, "service_requests", [{"service_request_id": record.tracking_code, "token": token}])


@open311.post(f"/requests.{FORMATS}")
@allow(PUBLIC)  # the api_key in the form is checked below, against the registry's publishers
@csrf_exempt  # a machine's form, authenticated by its api_key, not by a cookie
def requests_create(fmt: str):
    """Tạo yêu cầu: a registered publisher hands in a request for a locality it serves."""
    _refuse_invalid_utf8()
    api_key = (request.form.get("api_key") or request.args.get("api_key") or "")
    if not api_key:
        raise Open311Error(403, ("Thiếu api_key.", "api_key is required."))
    publisher = _publishers().verify(api_key)
    if publisher is None:
        raise Open311Error(403, ("api_key không hợp lệ.", "The api_key is not valid."))
    locality = _jurisdiction()
    assert locality is not None
    if locality.code not in publisher.localities:
        raise Open311Error(403, ("api_key này không được gửi yêu cầu cho xã/phường này.",
                                 "This api_key may not send requests for this jurisdiction."))
    service_code = _param("service_code")
    if not service_code:
        raise Open311Error(400, ("Thiếu service_code.", "service_code is required."))
    if service_code not in SERVICE_NAMES:
        raise Open311Error(404, ("Không có dịch vụ (lĩnh vực) với mã này.", "No service has this service_code."))
    receipt = _runtime().submit(_command(service_code, locality))
    return answer(fmt, "service_requests", [{
        "service_request_id": receipt.tracking_code, "token": receipt.request_id,
        "service_notice": "Đã tiếp nhận; tra cứu bằng mã này. / Received; follow it with this code.",
        "account_id": None}], 201)


def _refuse_invalid_utf8() -> None:
    """werkzeug reads a form's bytes that are not UTF-8 as U+FFFD, silently: refused here instead."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    try:
        parse_qsl(body_bytes().decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except ValueError:  # UnicodeDecodeError included
        raise Open311Error(400, ("Biểu mẫu không phải UTF-8 hợp lệ.", "The form is not valid UTF-8.")) from None


def _form_text(name: str) -> str:
    # Not cut: the domain refuses text over its limits, naming the field (the body's own limit
    # bounds the whole form).
    return request.form.get(name) or ""


def _location() -> tuple[str, str, str]:
    """Where it is (address text, latitude, longitude): the spec asks for one of them (or an
    address_id); the domain checks the point (both or neither, inside Viet Nam)."""
    lat, long = _form_text("lat").strip(), _form_text("long").strip()
    address = " ".join(_form_text("address_string").split())
    if not (address or lat or long or _form_text("address_id").strip()):
        raise Open311Error(400, ("Cần vị trí: lat và long, address_string hoặc address_id.",
                                 "A location is required: lat and long, address_string or address_id."))
    return address, lat, long


def _command(service_code: str, locality: Locality) -> SubmitRequest:
    address, lat, long = _location()
    description = _form_text("description").strip()
    title = _form_text("attribute[title]").strip() or " ".join(description.split())[:100]
    kind = _form_text("attribute[kind]").strip() or RequestKind.FEEDBACK.value
    name = " ".join(f"{_form_text('first_name')} {_form_text('last_name')}".split())
    email, phone = _form_text("email").strip(), _form_text("phone").strip()
    return SubmitRequest(kind=kind, channel="open311", field=service_code, locality_code=locality.code,
                         title=title, content=description, full_name=name, email=email, phone=phone,
                         wants_notifications=bool(email or phone), location_text=address, latitude=lat,
                         longitude=long, trace_id=current_trace_id())


# -- putting it on the app ------------------------------------------------------------------------
_OPEN311_FIELDS = {"content": "description", "title": "attribute[title]", "kind": "attribute[kind]",
                   "full_name": "first_name", "field": "service_code", "locality_code": "jurisdiction_id",
                   "location_text": "address_string", "latitude": "lat", "longitude": "long"}


@open311.errorhandler(Open311Error)
def _spec_error(err: Open311Error):
    return error_answer(err.status, err.descriptions)


@open311.errorhandler(InvalidSubmission)
def _invalid(err: InvalidSubmission):
    """The domain's problems, each naming the Open311 field it came from."""
    return error_answer(400, [(f"{_OPEN311_FIELDS.get(p.field, p.field)}: {p.vi}",
                               f"{_OPEN311_FIELDS.get(p.field, p.field)}: {p.en}") for p in err.problems])


def install_open311(app: Flask, publishers: PublisherKeys | None = None) -> None:
    """Open311 on ``app``, its POST checked against ``publishers`` (the registry's table by
    default); every error under ``/open311/v2/`` — the app's own too (404, 405, 413) — answers
    in the spec's format."""
    runtime: IntakeRuntime = app.extensions["giaitrinh_runtime"]
    app.extensions["giaitrinh_publisher_keys"] = publishers or SqlPublisherKeys(runtime.storage.engine)
    app.register_blueprint(open311)

    fallback = app.extensions.get("giaitrinh_error_page")

    def error_page(err: ApiError) -> Response:
        if request.path.startswith(PREFIX + "/"):
            resp = error_answer(err.status, [(err.vi, err.en)])
            resp.headers.update(err.headers)
            return resp
        return fallback(err) if fallback is not None else err.response()

    app.extensions["giaitrinh_error_page"] = error_page
