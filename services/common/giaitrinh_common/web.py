"""Web conventions of every service: bilingual JSON errors, health and readiness, metrics.

Errors answer ``{"error": {"code", "message": {"vi", "en"}, "details": [...]}}`` — Vietnamese
first, English beside it — with a status a client can act on.
"""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from giaitrinh_common.metrics import PlatformMetrics

STANDARD_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Yêu cầu không hợp lệ.", "The request is not valid."),
    404: ("not_found", "Không tìm thấy địa chỉ hoặc hồ sơ này.", "No such address or record."),
    405: ("method_not_allowed", "Phương thức này không được hỗ trợ ở địa chỉ này.",
          "This method is not allowed here."),
    413: ("too_large", "Nội dung gửi lên quá lớn.", "The request body is too large."),
    415: ("unsupported_media_type", "Hãy gửi nội dung dạng JSON (Content-Type: application/json).",
          "Send the body as JSON (Content-Type: application/json)."),
    500: ("internal_error", "Lỗi hệ thống; yêu cầu chưa được xử lý, vui lòng thử lại.",
          "Internal error; the request was not processed, please try again."),
}


class ApiError(Exception):
    """An error a client can act on, in Vietnamese and English."""

    def __init__(self, status: int, code: str, vi: str, en: str,
                 details: list[dict[str, Any]] | None = None):
        super().__init__(en)
        self.status, self.code, self.vi, self.en = status, code, vi, en
        self.details = details or []

    def response(self) -> Response:
        body = {"error": {"code": self.code, "message": {"vi": self.vi, "en": self.en},
                          "details": self.details}}
        resp = jsonify(body)
        resp.status_code = self.status
        return resp


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 415/400 ApiError saying what to fix."""
    if not request.is_json:
        code, vi, en = STANDARD_MESSAGES[415]
        raise ApiError(415, code, vi, en)
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "malformed_json", "Nội dung không phải JSON hợp lệ.",
                       "The body is not valid JSON.")
    if not isinstance(body, dict):
        raise ApiError(400, "not_an_object", "Nội dung phải là một đối tượng JSON {...}.",
                       "The body must be a JSON object {...}.")
    return body


_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_TRACE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TRACE_HEADER = "X-Trace-Id"


def trace_id_from(headers: Mapping[str, str]) -> str:
    """The trace id a caller sent — W3C ``traceparent``'s trace id, else ``X-Trace-Id`` —
    or a new one. It travels in every event the request causes (the envelope's ``traceid``),
    so one citizen request can be followed across the four services' logs and topics."""
    match = _TRACEPARENT.match(headers.get("traceparent", "").strip().lower())
    if match and match.group(1) != "0" * 32:
        return match.group(1)
    given = headers.get(TRACE_HEADER, "").strip()
    return given if _TRACE_ID.match(given) else uuid.uuid4().hex


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


def install_platform_routes(app: Flask, *, service: str, metrics: PlatformMetrics,
                            readiness: Readiness) -> None:
    """``/healthz`` (the process answers), ``/readyz`` (200 when everything the process needs
    answers, 503 otherwise; ``checks`` names those, ``detail`` the rest), ``/metrics``, HTTP
    metrics on every request, and bilingual JSON errors."""
    service_metrics = metrics.for_service(service)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=service)

    @app.get("/readyz")
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
    def metrics_endpoint():
        return Response(metrics.render(), mimetype="text/plain; version=0.0.4")

    @app.before_request
    def _start_timer():
        g._started = time.perf_counter()
        g.trace_id = trace_id_from(request.headers)

    @app.after_request
    def _record(response: Response):
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        started = g.get("_started", time.perf_counter())
        service_metrics.http(request.method, route, response.status_code,
                             time.perf_counter() - started)
        response.headers[TRACE_HEADER] = current_trace_id()
        return response

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return err.response()

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        code, vi, en = STANDARD_MESSAGES.get(status, (err.name.lower().replace(" ", "_"),
                                                      err.description or err.name, err.name))
        return ApiError(status, code, vi, en).response()

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error")
        code, vi, en = STANDARD_MESSAGES[500]
        return ApiError(500, code, vi, en).response()
