"""The delivery log over HTTP (*nhật ký gửi thông báo*): every message notify sent or tried to
send, by request, recipient, status and channel, for the heads of a locality (their own
localities) and the provincial admin (all). It names recipients' addresses, which are personal
data: hence no wider audience. Another locality's delivery answers 404."""
from __future__ import annotations

import re

from flask import Blueprint, jsonify, request

from giaitrinh_common.auth import LOCALITY_HEAD, PROVINCIAL_ADMIN, Principal, allow, signed_in
from giaitrinh_common.web import ApiError, detail, page_args
from giaitrinh_notify.adapters.delivery_log import LedgerMissing, SqlDeliveryLog
from giaitrinh_notify.domain.channels import CHANNELS
from giaitrinh_notify.entrypoints.api_support import principal, runtime

api = Blueprint("notify_deliveries_api", __name__, url_prefix="/api/v1/deliveries")
LOG_READERS = signed_in(LOCALITY_HEAD, PROVINCIAL_ADMIN)
_STATUS = re.compile(r"^[a-z_]{1,20}$")
_REQUEST_ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")
MAX_FILTER = 320  # an email address is at most 254 characters; a webhook id 36


def localities_of(who: Principal) -> frozenset[str] | None:
    """None: every locality (the provincial admin)."""
    return None if who.sees_every_locality else who.localities


def filters() -> dict[str, str | None]:
    """``request_id``, ``recipient``, ``status``, ``channel`` from the query, each checked (400
    naming the parameter)."""
    wrong: list[dict] = []
    out: dict[str, str | None] = {}
    for name, ok in (("request_id", lambda v: bool(_REQUEST_ID.match(v))),
                     ("recipient", lambda v: len(v) <= MAX_FILTER and v.isprintable()),
                     ("status", lambda v: bool(_STATUS.match(v))),
                     ("channel", lambda v: v in CHANNELS)):
        value = request.args.get(name, "").strip()
        out[name] = value or None
        if value and not ok(value):
            wrong.append(detail(name, "invalid_parameter", "Giá trị lọc không hợp lệ.", "Not a valid filter value."))
    if wrong:
        raise ApiError(400, "invalid_parameter", "Tham số lọc không hợp lệ; xem chi tiết.",
                       "A filter parameter is not valid; see the details.", wrong)
    return out


def ledger_unavailable() -> ApiError:
    return ApiError(503, "delivery_log_unavailable",
                    "Nhật ký gửi thông báo chưa sẵn sàng (chưa cập nhật cơ sở dữ liệu).",
                    "The delivery log is not available yet (the database is not migrated).")


def query(page, wanted: dict[str, str | None]) -> tuple[list[dict], int]:
    """The page of the log the caller may see (used by the API and the console page)."""
    with runtime().unit_of_work() as uow:
        try:
            return SqlDeliveryLog(uow.session).page(localities=localities_of(principal()), offset=page.offset,
                                                    limit=page.size, **wanted)
        except LedgerMissing:
            raise ledger_unavailable() from None


@api.get("")
@allow(LOG_READERS)
def list_deliveries():
    """The log, newest first: ``?request_id=&recipient=&status=&channel=&page=&per_page=``."""
    page = page_args(default_size=50, max_size=200)
    items, total = query(page, filters())
    return jsonify(total=total, page=page.number, per_page=page.size, items=items)


@api.get("/<delivery_key>")
@allow(LOG_READERS)
def one_delivery(delivery_key: str):
    if len(delivery_key) > 128:
        raise ApiError.standard(404)
    with runtime().unit_of_work() as uow:
        try:
            found = SqlDeliveryLog(uow.session).get(delivery_key, localities=localities_of(principal()))
        except LedgerMissing:
            raise ledger_unavailable() from None
    if found is None:
        raise ApiError.standard(404)
    return jsonify(found)
