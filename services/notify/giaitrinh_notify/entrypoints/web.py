"""Notify's web app: the in-app inbox of a tracking code; the staff's inbox, preferences,
webhook subscriptions and the delivery log (their own modules); the API's description."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.web import tracking_code_arg
from giaitrinh_notify.bootstrap import NotifyRuntime, bootstrap

api = Blueprint("notify_api", __name__, url_prefix="/api/v1")


@api.get("/inbox/<tracking_code>")
@allow(PUBLIC)  # the tracking code is the key
def inbox(tracking_code: str):
    """Messages for the holder of a tracking code (knowing the code is the credential). The
    code is read as intake reads it: look-alike letters mapped back, and a 400 that says
    whether it is not of the form or has a mistyped symbol."""
    code = tracking_code_arg(tracking_code)
    runtime: NotifyRuntime = current_app.extensions["giaitrinh_runtime"]
    with runtime.unit_of_work() as uow:
        notes = uow.inbox_messages.for_tracking_code(code)
    return jsonify(tracking_code=code, items=[
        {"topic": n.topic, "title": n.title, "body": n.body, "title_en": n.title_en,
         "body_en": n.body_en, "created_at": n.created_at.isoformat()}
        for n in notes])


def create_app(runtime: NotifyRuntime | None = None):
    """App factory (gunicorn: ``'giaitrinh_notify.entrypoints.web:create_app()'``)."""
    from giaitrinh_common.openapi import openapi_blueprint
    from giaitrinh_common.ui import install_pages
    from giaitrinh_notify.entrypoints import (
        console_pages,
        deliveries_api,
        inbox_api,
        preferences_api,
        webhooks_api,
    )

    app = (runtime or bootstrap()).web_app(__name__, [
        api, inbox_api.api, preferences_api.api, webhooks_api.api, deliveries_api.api, console_pages.pages,
        openapi_blueprint("notify", "giaitrinh_notify.entrypoints")])  # /api/v1/openapi.json
    return install_pages(app, translations=[console_pages.TRANSLATIONS], home="notify_console.inbox")
