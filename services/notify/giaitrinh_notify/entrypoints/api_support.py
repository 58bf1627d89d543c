"""What notify's API modules share: the runtime of the app, who is asking, the clock, and the
platform's answers for checked input (422 naming each field)."""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from giaitrinh_common.auth import Principal, current_principal
from giaitrinh_common.web import ApiError, detail, json_body
from giaitrinh_notify.bootstrap import NotifyRuntime


def runtime() -> NotifyRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def principal() -> Principal:
    """The signed-in caller (routes that call this declare a signed-in policy)."""
    who = current_principal()
    if who is None:  # unreachable behind a signed-in policy; never answer as someone
        raise ApiError.standard(404)
    return who


def invalid(problems: Iterable[tuple[str, str, str, str]]) -> ApiError:
    """422 ``invalid_fields`` with one detail per (field, code, vi, en)."""
    return ApiError(422, "invalid_fields", "Một số trường không hợp lệ; xem chi tiết.",
                    "Some fields are not valid; see the details.",
                    [detail(f, c, vi, en) for f, c, vi, en in problems])


def object_body(allowed: Iterable[str]) -> dict:
    """The JSON object of the request, 422 naming each field not in ``allowed``."""
    body = json_body()
    allowed_set = set(allowed)
    unknown = [(str(k)[:64], "unknown_field", "Trường này không được hỗ trợ.", "This field is not supported.")
               for k in body if k not in allowed_set]
    if unknown:
        raise invalid(unknown[:20])
    return body
