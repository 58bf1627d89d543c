"""Web conventions of every service: bilingual JSON errors, reading input, health and
readiness, metrics.

Errors answer ``{"error": {"code", "message": {"vi", "en"}, "details": [...]}}`` — Vietnamese
first, English beside it — with a status a client can act on. Each item of ``details`` names
the ``field`` (a body field, a query parameter or a path part) with its own ``code`` and
``message``.

Input rules, the same on every service (docs/ARCHITECTURE.md, "Web conventions"):
- A body longer than the service's ``<SVC>_MAX_BODY_BYTES`` is refused with 413 before it is read.
- A JSON body is UTF-8 JSON (RFC 8259) and an object, nested at most :data:`MAX_JSON_DEPTH`
  deep, with no key given twice and no ``NaN``/``Infinity``; else 400 saying which. Its text
  holds no character a database cannot store (U+0000, or half of a UTF-16 surrogate pair):
  422 naming each field that does.
- Unknown fields of a body are refused (422, each named) by the endpoint that reads it, so
  nothing a sender wrote is dropped silently; unknown query parameters are ignored (a GET
  changes nothing, so nothing is lost, and links with extra parameters keep working).
- Whole numbers in a query are ASCII digits within stated bounds (:func:`int_arg`, :func:`page_args`).
The gunicorn worker (:mod:`giaitrinh_common.gunicorn_worker`) answers the server's own errors
(414, 431, a broken request) in the same format.
"""
from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask, Response, g, jsonify, request
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from giaitrinh_common import tracking_codes
from giaitrinh_common.envelope import new_trace_id
from giaitrinh_common.metrics import PlatformMetrics

if TYPE_CHECKING:  # auth builds on this module's errors; it is imported where it is used
    from giaitrinh_common.auth import TokenVerifier

STANDARD_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Yêu cầu không hợp lệ.", "The request is not valid."),
    403: ("forbidden", "Yêu cầu bị từ chối.", "The request is forbidden."),
    404: ("not_found", "Không tìm thấy địa chỉ hoặc hồ sơ này.", "No such address or record."),
    405: ("method_not_allowed", "Phương thức này không được hỗ trợ ở địa chỉ này.",
          "This method is not allowed here."),
    413: ("too_large", "Nội dung gửi lên quá lớn.", "The request body is too large."),
    414: ("uri_too_long", "Địa chỉ (URL) của yêu cầu quá dài.", "The request's address (URL) is too long."),
    415: ("unsupported_media_type", "Hãy gửi nội dung dạng JSON (Content-Type: application/json).",
          "Send the body as JSON (Content-Type: application/json)."),
    417: ("expectation_failed", "Máy chủ không đáp ứng được tiêu đề Expect của yêu cầu.",
          "The server cannot meet the request's Expect header."),
    429: ("too_many_requests", "Gửi quá nhiều yêu cầu trong thời gian ngắn; vui lòng thử lại sau (xem Retry-After).",
          "Too many requests in a short time; please try again later (see Retry-After)."),
    431: ("headers_too_large", "Phần tiêu đề (header) của yêu cầu quá lớn hoặc quá nhiều.",
          "The request's headers are too large or too many."),
    500: ("internal_error", "Lỗi hệ thống; yêu cầu chưa được xử lý, vui lòng thử lại.",
          "Internal error; the request was not processed, please try again."),
    501: ("not_implemented", "Máy chủ không hỗ trợ cách gửi yêu cầu này.",
          "The server does not support this way of sending a request."),
    503: ("service_unavailable", "Dịch vụ tạm thời không trả lời; vui lòng thử lại sau ít phút.",
          "The service is not answering for now; please try again in a few minutes."),
}

DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: a long request with its text is a few tens of KiB
MAX_JSON_DEPTH = 32  # our forms are two levels deep; room for structured data, none for a bomb
MAX_NAMED = 20  # at most this many offending fields are named in one answer
MAX_PAGE = 100_000  # past any real list; keeps page × per_page far inside a 64-bit OFFSET


def error_document(code: str, vi: str, en: str,
                   details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The platform's error body (the status travels in HTTP's status line)."""
    return {"error": {"code": code, "message": {"vi": vi, "en": en}, "details": details or []}}


def standard_error_document(status: int) -> dict[str, Any]:
    """The error body of a plain HTTP status (the 500 one for a status not in the table)."""
    code, vi, en = STANDARD_MESSAGES.get(status, STANDARD_MESSAGES[500 if status >= 500 else 400])
    return error_document(code, vi, en)


class ApiError(Exception):
    """An error a client can act on, in Vietnamese and English."""

    def __init__(self, status: int, code: str, vi: str, en: str,
                 details: list[dict[str, Any]] | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(en)
        self.status, self.code, self.vi, self.en = status, code, vi, en
        self.details = details or []
        self.headers = dict(headers or {})  # e.g. WWW-Authenticate on a 401, Retry-After on a 429

    @classmethod
    def standard(cls, status: int) -> ApiError:
        code, vi, en = STANDARD_MESSAGES[status]
        return cls(status, code, vi, en)

    def response(self) -> Response:
        resp = jsonify(error_document(self.code, self.vi, self.en, self.details))
        resp.status_code = self.status
        resp.headers.update(self.headers)
        return resp


def detail(field_name: str, code: str, vi: str, en: str) -> dict[str, Any]:
    """One item of an error's ``details``: what is wrong with one field or parameter."""
    return {"field": field_name, "code": code, "message": {"vi": vi, "en": en}}


def shown(name: str, limit: int = 64) -> str:
    """A name the client sent, safe to echo in an answer: cut to ``limit`` characters, and
    surrogate halves written as ``\\udXXX`` (they cannot be encoded in a UTF-8 answer)."""
    cut = name if len(name) <= limit else name[:limit] + "…"
    return cut.encode("utf-8", "backslashreplace").decode("utf-8")


# -- JSON bodies -----------------------------------------------------------------------------
_MALFORMED = ("malformed_json", "Nội dung không phải JSON hợp lệ (UTF-8).", "The body is not valid JSON (UTF-8).")
# Characters no text column can hold: U+0000 (PostgreSQL refuses it) and lone surrogate halves
# (valid in a JSON escape, but no UTF-8 encoding exists for them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Only an escape (\u0000, \udXXX) can bring one in: raw bytes for them are invalid UTF-8 or JSON.
# An escaped backslash followed by "u0000" is text, not an escape: the even run of backslashes.
_SUSPECT_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F])")


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which of two equal keys wins; a body that means two things is refused.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Over valid JSON (as parsed already) this finds every string once, so it cannot backtrack.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _nested_deeper_than(text: str, limit: int) -> bool:
    """Whether valid JSON ``text`` nests arrays and objects more than ``limit`` deep: strings
    out, then the running count of the brackets left. No recursion, whatever the depth."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > limit


Link = tuple[Any, str | int] | None  # (the parent's link, this key or index); None at the top


def _path(link: Link) -> str:
    parts: list[str | int] = []
    while link is not None:
        link, step = link
        parts.append(step)
    path = ""
    for step in reversed(parts):
        path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else step)
    return path


def _unstorable_fields(value: Any) -> list[str]:
    """The paths (``title``, ``contact.email``, ``items[2]``) of the keys and strings inside
    ``value`` that hold a character no database can store; at most :data:`MAX_NAMED`."""
    found: dict[str, None] = {}  # in order, each once
    stack: list[tuple[Any, Link]] = [(value, None)]
    while stack and len(found) < MAX_NAMED:
        item, link = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                found[_path(link)] = None
        elif isinstance(item, dict):  # children stacked last first, so found in body order
            for key in item:
                if _UNSTORABLE.search(key):
                    found[_path((link, key))] = None
            stack.extend((item[key], (link, key)) for key in reversed(item))
        elif isinstance(item, list):
            stack.extend((item[i], (link, i)) for i in range(len(item) - 1, -1, -1))
    return list(found)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The JSON object in ``raw``, or an ApiError: 400 for what is not one JSON object (not
    UTF-8, not JSON, ``NaN``, a key given twice, nested deeper than :data:`MAX_JSON_DEPTH`,
    ``null`` or another value), 422 naming each field whose text a database cannot store."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_object_without_duplicates,
                           parse_float=_finite, parse_constant=_refuse_constant)
    except _DuplicateKey as dup:
        raise ApiError(400, "duplicate_field", "Một trường được gửi hai lần; mỗi trường chỉ một lần.",
                       "A field is given twice; give each field once.",
                       [detail(shown(dup.key), "duplicate_field", "Trường này được gửi hai lần.",
                               "This field is given twice.")]) from None
    except RecursionError:  # the decoder's own guard, far past MAX_JSON_DEPTH
        raise _too_deep() from None
    except ValueError:  # not UTF-8, not JSON, NaN/Infinity, an integer of over 4300 digits
        raise ApiError(400, *_MALFORMED) from None
    if not isinstance(value, dict):
        got = "null" if value is None else type(value).__name__
        raise ApiError(400, "not_an_object", f"Nội dung phải là một đối tượng JSON {{...}}, không phải {got}.",
                       f"The body must be a JSON object {{...}}, not {got}.")
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _nested_deeper_than(text, MAX_JSON_DEPTH):
        raise _too_deep()
    # Only an escape can bring in U+0000 or a lone surrogate, so most bodies need no look.
    unstorable = _unstorable_fields(value) if _SUSPECT_ESCAPE.search(text) else []
    if unstorable:
        raise ApiError(422, "invalid_characters",
                       "Có ký tự không lưu được (U+0000 hoặc nửa cặp surrogate UTF-16) ở các trường dưới đây.",
                       "Some text holds a character that cannot be stored (U+0000 or half a UTF-16 "
                       "surrogate pair); see the fields below.",
                       [detail(shown(where), "invalid_characters", "Trường này có ký tự không lưu được.",
                               "This field holds a character that cannot be stored.")
                        for where in unstorable])
    return value


def _too_deep() -> ApiError:
    return ApiError(400, "too_deep", f"Nội dung JSON lồng nhau quá {MAX_JSON_DEPTH} tầng.",
                    f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")


def body_bytes() -> bytes:
    """The request's body, or 413 when it is longer than the service's limit. A declared length
    over the limit is refused before reading; a chunked body is read up to the limit, and one
    byte more means too large (werkzeug stops reading there without saying so, and the body
    would be cut short silently)."""
    data = request.get_data(cache=True)  # raises 413 for a declared length over the limit
    limit = request.max_content_length
    if (limit is not None and len(data) >= limit and request.content_length is None
            and request.environ["wsgi.input"].read(1)):
        raise RequestEntityTooLarge()
    return data


def json_body() -> dict[str, Any]:
    """The request's JSON object (see :func:`parse_json_object`), 415 for another media type,
    413 for a body over the service's limit (:func:`body_bytes`)."""
    if not request.is_json:
        raise ApiError.standard(415)
    return parse_json_object(body_bytes())


# -- query parameters and path parts -----------------------------------------------------------
def int_arg(name: str, default: int, *, minimum: int, maximum: int, code: str = "invalid_parameter") -> int:
    """Query parameter ``name`` as a whole number in ``[minimum, maximum]`` (``default`` when
    absent or empty), or a 400 with ``code`` naming the parameter. ASCII digits only: ``int()``
    would also take ``٢``, ``+1``, ``1_0``."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if re.fullmatch(r"[0-9]{1,18}", raw) and minimum <= int(raw) <= maximum:
        return int(raw)
    raise ApiError(400, code,
                   f"Tham số {name} phải là số nguyên từ {minimum} đến {maximum}.",
                   f"The parameter {name} must be a whole number from {minimum} to {maximum}.",
                   [detail(name, "out_of_range", f"Số nguyên từ {minimum} đến {maximum}, chỉ chữ số 0–9.",
                           f"A whole number from {minimum} to {maximum}, in digits 0–9.")])


@dataclass(frozen=True)
class Page:
    """One page of a list: ``number`` counts from 1."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_args(*, default_size: int = 50, max_size: int = 500) -> Page:
    """``?page=`` (1..:data:`MAX_PAGE`) and ``?per_page=`` (1..``max_size``) of a list; 400
    ``invalid_paging`` naming the parameter otherwise."""
    return Page(int_arg("page", 1, minimum=1, maximum=MAX_PAGE, code="invalid_paging"),
                int_arg("per_page", default_size, minimum=1, maximum=max_size, code="invalid_paging"))


def tracking_code_arg(raw: str) -> str:
    """A tracking code a person typed (path or query), normalised as intake issues it, or a 400
    saying whether it is not of the form GT-XXXX-XXXX-X or has a mistyped symbol."""
    code = tracking_codes.normalise(raw)
    fault = tracking_codes.fault_of(code)
    if fault is tracking_codes.CodeFault.MALFORMED:
        raise ApiError(400, "invalid_tracking_code",
                       f"Mã tra cứu không đúng dạng {tracking_codes.FORM}; hãy kiểm tra lại.",
                       f"The tracking code is not of the form {tracking_codes.FORM}; check it again.",
                       [detail("tracking_code", fault.value, f"Dạng đúng: {tracking_codes.FORM}.",
                               f"The form is {tracking_codes.FORM}.")])
    if fault is tracking_codes.CodeFault.WRONG_CHECK_SYMBOL:
        raise ApiError(400, "invalid_tracking_code",
                       "Ký tự kiểm tra (ký tự cuối) của mã tra cứu không khớp: có một ký tự bị gõ nhầm.",
                       "The tracking code's check character (the last one) does not match: a "
                       "character was mistyped.",
                       [detail("tracking_code", fault.value, "Hãy so từng ký tự với phiếu tiếp nhận.",
                               "Compare each character with the receipt.")])
    return code


_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_TRACE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TRACE_HEADER = "X-Trace-Id"


def trace_id_from(headers: Mapping[str, str] | Headers) -> str:
    """The trace id a caller sent — W3C ``traceparent``'s trace id, else ``X-Trace-Id`` —
    or a new one. It travels in every event the request causes (the envelope's ``traceid``),
    so one citizen request can be followed across the four services' logs and topics."""
    match = _TRACEPARENT.match(headers.get("traceparent", "").strip().lower())
    if match and match.group(1) != "0" * 32:
        return match.group(1)
    given = headers.get(TRACE_HEADER, "").strip()
    return given if _TRACE_ID.match(given) else new_trace_id()


def current_trace_id() -> str:
    """The trace id of the request being served (see :func:`trace_id_from`)."""
    return g.get("trace_id") or trace_id_from(request.headers)


@dataclass(frozen=True)
class Readiness:
    """What ``/readyz`` asks, by name. ``needs``: what the process cannot serve without; one
    that fails makes it not ready (503), and an orchestrator stops sending it traffic.
    ``reports``: what it only tells about, under ``detail`` (a web process never talks to
    Kafka, so a broker outage must not take intake offline while its outbox carries the
    requests)."""

    needs: Mapping[str, Callable[[], bool]]
    reports: Mapping[str, Callable[[], bool]] = field(default_factory=dict)


_BODY_LIMIT = "__giaitrinh_body_limit__"


def file_download(content: bytes, media_type: str, filename: str) -> Response:
    """A kept file (a request's or an answer's attachment) as a download: always
    ``Content-Disposition: attachment`` (never shown inline, where a browser might run it),
    the type its content was proven to be, ``nosniff`` so that no browser second-guesses it,
    and no copy kept by a shared cache (it may hold personal data)."""
    resp = Response(content, mimetype=media_type)
    # An HTTP header is Latin-1: a Vietnamese name goes as RFC 6266's filename* (UTF-8), with
    # its ASCII letters (diacritics dropped) as the plain filename for old clients.
    plain = filename.replace("Đ", "D").replace("đ", "d")  # letters of their own, not D with a mark
    ascii_name = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    resp.headers.set("Content-Disposition", "attachment", filename=ascii_name.replace('"', "") or "tep",
                     **({} if ascii_name == filename else {"filename*": "UTF-8''" + quote(filename, safe="")}))
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def body_limit(max_bytes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A route's own body limit in place of the service's ``<SVC>_MAX_BODY_BYTES``: for the one
    form that takes files (intake's submission form; the gateway's location for it says the
    same). Put it under the route decorator."""
    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, _BODY_LIMIT, max_bytes)
        return view
    return mark


def install_platform_routes(app: Flask, *, service: str, metrics: PlatformMetrics,
                            readiness: Readiness, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                            verifier: TokenVerifier | None = None, cookie_secure: bool = False) -> None:
    """``/healthz`` (the process answers), ``/readyz`` (200 when everything the process needs
    answers, 503 otherwise; ``checks`` names those, ``detail`` the rest), ``/metrics``, HTTP
    metrics on every request, and bilingual JSON errors. Every route, these and those added
    later, must declare who may use it (:mod:`giaitrinh_common.auth`): a route without a
    policy cannot be registered, and each request is checked against its route's policy with
    ``verifier`` (a process without one serves only public routes: 503 on the others)."""
    from giaitrinh_common.auth import PUBLIC, TokenVerifier, allow, guard_routes, install_auth

    guard_routes(app)  # first: a route registered after this without a policy raises
    service_metrics = metrics.for_service(service)
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes  # werkzeug answers 413 past it
    # Behind the gateway (deploy/nginx/giaitrinh.conf.template), one proxy hop says who the
    # client is, the scheme and host it used, and the prefix the gateway took off the path
    # (X-Forwarded-Prefix: /intake), so url_for builds addresses that work through the gateway.
    # The gateway replaces whatever a caller sent in these headers. Reached on its own port, the
    # process believes a caller's own: they change only the addresses in that caller's answers
    # and the client address in the access log.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)  # type: ignore[method-assign]

    @app.get("/healthz")
    @allow(PUBLIC)
    def healthz():
        return jsonify(status="ok", service=service)

    @app.get("/readyz")
    @allow(PUBLIC)
    def readyz():
        def ask(checks: Mapping[str, Callable[[], bool]]) -> dict[str, str]:
            return {name: ("ok" if check() else "unavailable") for name, check in checks.items()}

        checks = ask(readiness.needs)
        ready = all(v == "ok" for v in checks.values())
        resp = jsonify(status="ready" if ready else "not_ready", service=service, checks=checks,
                       detail=ask(readiness.reports))
        resp.status_code = 200 if ready else 503
        return resp

    @app.get("/metrics")
    @allow(PUBLIC)  # on the process's own port; the gateway never passes /metrics on
    def metrics_endpoint():
        return Response(metrics.render(), mimetype="text/plain; version=0.0.4")

    @app.before_request
    def _start_timer():
        g._started = time.perf_counter()
        g.trace_id = trace_id_from(request.headers)

    @app.before_request
    def _refuse_unreadable_requests():
        # A declared length over the limit is refused before anything reads the body (werkzeug
        # itself refuses only when a view reads it, and a chunked body as it reads past it).
        limit = getattr(app.view_functions.get(request.endpoint or ""), _BODY_LIMIT, max_body_bytes)
        request.max_content_length = limit  # werkzeug's own check too, for a chunked body
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge()
        # U+0000 in the address reaches SQL as text PostgreSQL cannot hold.
        nul_in = [name for name, value in request.args.items(multi=True) if "\x00" in name + value]
        if "\x00" in request.path or nul_in:
            raise ApiError(400, "invalid_characters", "Địa chỉ (URL) có ký tự U+0000.",
                           "The address (URL) holds the character U+0000.",
                           [detail(shown(n.replace("\x00", "\\0")), "invalid_characters",
                                   "Tham số này có ký tự U+0000.", "This parameter holds U+0000.")
                            for n in nul_in[:MAX_NAMED]])

    # After the checks above: a body over the limit is refused before a form is read for CSRF.
    install_auth(app, verifier or TokenVerifier(""), cookie_secure=cookie_secure)

    @app.after_request
    def _record(response: Response):
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        started = g.get("_started", time.perf_counter())
        service_metrics.http(request.method, route, response.status_code,
                             time.perf_counter() - started)
        response.headers[TRACE_HEADER] = current_trace_id()
        return response

    def _answer(err: ApiError) -> Response:
        # An app with pages (giaitrinh_common.ui.install_pages) answers a browser with the same
        # error as an HTML page; it decides, and falls back to this JSON body.
        as_page = app.extensions.get("giaitrinh_error_page")
        return as_page(err) if as_page is not None else err.response()

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return _answer(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        code, vi, en = STANDARD_MESSAGES.get(status, (err.name.lower().replace(" ", "_"),
                                                      err.description or err.name, err.name))
        resp = _answer(ApiError(status, code, vi, en))
        if allowed := getattr(err, "valid_methods", None):  # a 405 says what is allowed
            resp.headers["Allow"] = ", ".join(allowed)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error")
        code, vi, en = STANDARD_MESSAGES[500]
        return _answer(ApiError(500, code, vi, en))
