"""The staff's in-app inbox over HTTP (*hộp thư cán bộ*): unread count, the list, one message,
marking read. Keyed by the account id of the sign-in token: nobody names whose inbox, so nobody
reads another's (their message ids answer 404)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from giaitrinh_common.auth import STAFF, allow, signed_in
from giaitrinh_common.web import ApiError, page_args
from giaitrinh_notify.domain.staff_inbox import StaffMessage
from giaitrinh_notify.entrypoints.api_support import invalid, object_body, principal, runtime
from giaitrinh_notify.service_layer import channels

api = Blueprint("notify_inbox_api", __name__, url_prefix="/api/v1/me/inbox")
STAFF_ONLY = signed_in(*sorted(STAFF))
MAX_IDS = 500
MAX_ID = 2**53 - 1  # past it, JSON numbers lose their digits in a browser


def as_json(m: StaffMessage) -> dict:
    return {"id": m.id, "subject": m.subject, "body": m.body, "language": m.language, "topic": m.topic,
            "request_id": m.request_id, "locality_code": m.locality_code, "link": m.link,
            "created_at": m.created_at.isoformat(), "read_at": m.read_at.isoformat() if m.read_at else None,
            "unread": m.unread}


@api.get("/unread-count")
@allow(STAFF_ONLY)
def unread_count():
    """How many unread messages the caller has (the console header's badge)."""
    with runtime().unit_of_work() as uow:
        count = uow.staff_inbox.unread_count(principal().id)
    resp = jsonify(unread=count)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@api.get("")
@allow(STAFF_ONLY)
def list_messages():
    """The caller's messages, newest first; ``?unread=1`` for the unread only; paginated."""
    page = page_args(default_size=20, max_size=100)
    unread_only = request.args.get("unread", "") in ("1", "true")
    with runtime().unit_of_work() as uow:
        items, total = uow.staff_inbox.page(principal().id, unread_only=unread_only, offset=page.offset,
                                            limit=page.size)
        unread = uow.staff_inbox.unread_count(principal().id)
    return jsonify(total=total, unread=unread, page=page.number, per_page=page.size,
                   items=[as_json(m) for m in items])


def _message_number(raw: str) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) <= 16 and 0 < int(raw) <= MAX_ID:
        return int(raw)
    raise ApiError.standard(404)


@api.get("/<message_id>")
@allow(STAFF_ONLY)
def one_message(message_id: str):
    """One of the caller's messages, marked read by opening it; 404 for anyone else's."""
    rt = runtime()
    with rt.unit_of_work() as uow:
        message = channels.read_one(uow, principal().id, _message_number(message_id), rt.now())
    if message is None:
        raise ApiError.standard(404)
    return jsonify(as_json(message))


@api.post("/read")
@allow(STAFF_ONLY)
def mark_read():
    """``{"ids": [..]}`` marks those of the caller's messages read (others' are left alone and
    not counted), ``{"all": true}`` every one; answers how many were unread and are now read."""
    body = object_body(("ids", "all"))
    ids = body.get("ids")
    if body.get("all") is True and ids is None:
        chosen = None
    elif "all" in body and body.get("all") is not False:
        raise invalid([("all", "not_true", "Giá trị phải là true.", "The value must be true.")])
    elif not (isinstance(ids, list) and 0 < len(ids) <= MAX_IDS
              and all(type(i) is int and 0 < i <= MAX_ID for i in ids)):
        raise invalid([("ids", "invalid_ids", f"Cần danh sách từ 1 đến {MAX_IDS} số thứ tự thư.",
                        f"Give a list of 1 to {MAX_IDS} message ids.")])
    else:
        chosen = ids
    rt = runtime()
    with rt.unit_of_work() as uow:
        marked = channels.mark_read(uow, principal().id, chosen, rt.now())
        unread = uow.staff_inbox.unread_count(principal().id)
    return jsonify(marked=marked, unread=unread)
