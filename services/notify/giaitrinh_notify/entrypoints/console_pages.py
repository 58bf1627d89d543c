"""Notify's pages in the console (*bàn làm việc*), under ``/console/thong-bao/`` (the gateway
sends that path to notify, the rest of ``/console/`` to routing): the staff's inbox, with a form
to mark messages read, and the delivery log for a locality's heads. Pages in the shared shell;
they work without JavaScript. ``inbox-badge.js`` (shared static) only refreshes the header's
unread count from ``chua-doc.json``; any console page may carry it (README, "Notifications")."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from giaitrinh_common.auth import RECORDING_ROLES, STAFF, allow, csrf_token, signed_in
from giaitrinh_common.ui import Pagination
from giaitrinh_common.web import ApiError, detail, page_args
from giaitrinh_notify.domain.channels import CHANNELS
from giaitrinh_notify.entrypoints import deliveries_api
from giaitrinh_notify.entrypoints.api_support import principal, runtime
from giaitrinh_notify.service_layer import channels

pages = Blueprint("notify_console", __name__, url_prefix="/console/thong-bao", template_folder="templates")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
STAFF_ONLY = signed_in(*sorted(STAFF))
LOG_ROLES = frozenset(deliveries_api.LOG_READERS.roles or ())


def _header() -> dict:
    """What the console's header shows on notify's pages: the unread count, whether the
    delivery log is this person's to read, and whether intake's recording page is theirs."""
    with runtime().unit_of_work() as uow:
        unread = uow.staff_inbox.unread_count(principal().id)
    return {"unread": unread, "reads_log": principal().role in LOG_ROLES,
            "may_record": principal().role in RECORDING_ROLES}


@pages.get("/")
@allow(STAFF_ONLY)
def inbox():
    """The caller's messages, newest first (``?chua-doc=1``: the unread only)."""
    page = page_args(default_size=20, max_size=100)
    unread_only = request.args.get("chua-doc", "") == "1"
    with runtime().unit_of_work() as uow:
        items, total = uow.staff_inbox.page(principal().id, unread_only=unread_only, offset=page.offset,
                                            limit=page.size)
    return render_template("notify/inbox.html", items=items, unread_only=unread_only,
                           pagination=Pagination(page, total), csrf=csrf_token(), **_header())


@pages.post("/da-doc")
@allow(STAFF_ONLY)
def mark_read():
    """The inbox's forms: ``id`` marks one message read, ``all`` every one; back to the inbox
    (303). A form without its CSRF token is refused before this runs (auth.install_auth)."""
    raw_id = request.form.get("id", "")
    if raw_id:
        if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 16):
            raise ApiError(400, "invalid_parameter", "Số thứ tự thư không hợp lệ.", "Not a valid message id.",
                           [detail("id", "invalid_id", "Chỉ chữ số 0–9.", "Digits 0–9 only.")])
        chosen: list[int] | None = [int(raw_id)]
    elif request.form.get("all") == "1":
        chosen = None
    else:
        raise ApiError.standard(400)
    rt = runtime()
    with rt.unit_of_work() as uow:
        channels.mark_read(uow, principal().id, chosen, rt.now())
    back = {k: v for k, v in (("chua-doc", request.form.get("chua-doc")),) if v == "1"}
    return redirect(url_for("notify_console.inbox", **back), code=303)


@pages.get("/chua-doc.json")
@allow(STAFF_ONLY)
def unread_count():
    """The header badge's count, under the console's own path (so the gateway sends it here
    whatever page asks)."""
    with runtime().unit_of_work() as uow:
        count = uow.staff_inbox.unread_count(principal().id)
    resp = jsonify(unread=count)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@pages.get("/nhat-ky")
@allow(deliveries_api.LOG_READERS)
def delivery_log():
    """The delivery log of the caller's localities, filtered by request, recipient, status
    and channel (a GET form: the filters stay in the address)."""
    page = page_args(default_size=50, max_size=200)
    wanted = deliveries_api.filters()
    try:
        items, total, missing = *deliveries_api.query(page, wanted), False
    except ApiError as exc:  # the ledger's revision not applied yet: the page says so, not an error
        if exc.code != "delivery_log_unavailable":
            raise
        items, total, missing = [], 0, True
    return render_template("notify/deliveries.html", items=items, wanted=wanted, channels=CHANNELS,
                           pagination=Pagination(page, total), ledger_missing=missing, **_header())
