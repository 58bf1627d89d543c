"""Webhook subscriptions over HTTP, for the provincial admin: register a receiver (its first
secret is shown once, in the answer), change or switch it off, rotate its secret with an overlap
(the new secret shown once; the old one signs beside it until ``signing_until``), remove it.
Secrets are never listed again: a receiver that lost one gets a rotation."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, jsonify, request

from giaitrinh_common import contracts
from giaitrinh_common.auth import PROVINCIAL_ADMIN, allow, signed_in
from giaitrinh_common.web import ApiError, page_args
from giaitrinh_notify.adapters.webhooks import new_signing_secret
from giaitrinh_notify.domain.webhooks import (
    MAX_DESCRIPTION,
    WebhookSubscription,
    event_type_problems,
    url_problems,
)
from giaitrinh_notify.entrypoints.api_support import invalid, object_body, principal, runtime
from giaitrinh_notify.service_layer import channels

api = Blueprint("notify_webhooks_api", __name__, url_prefix="/api/v1/webhooks")
ADMIN = signed_in(PROVINCIAL_ADMIN)
FIELDS = ("url", "event_types", "locality_code", "description", "active")
_LOCALITY = re.compile(r"^[0-9]{1,10}$")
_ID = re.compile(r"^[0-9a-f-]{36}$")


def as_json(sub: WebhookSubscription) -> dict:
    return {"id": sub.id, "url": sub.url, "event_types": list(sub.event_types),
            "locality_code": sub.locality_code, "description": sub.description, "active": sub.active,
            "created_at": sub.created_at.isoformat(),
            "secrets": [{"id": s.id, "created_at": s.created_at.isoformat(),
                         "expires_at": s.expires_at.isoformat() if s.expires_at else None} for s in sub.secrets]}


def _checked(body: dict, *, creating: bool) -> dict:
    """The fields of ``body`` that are given, checked; 422 naming every field that is wrong."""
    allow_http = runtime().settings.webhook_allow_http
    problems = []
    if creating or "url" in body:
        problems += url_problems(body.get("url"), allow_http=allow_http)
    if creating or "event_types" in body:
        problems += event_type_problems(body.get("event_types"), contracts.known_types())
    out = [(p.field, p.code, p.vi, p.en) for p in problems]
    locality = body.get("locality_code")
    if locality is not None and not (isinstance(locality, str) and _LOCALITY.match(locality)):
        out.append(("locality_code", "invalid_locality", "Mã xã, phường là chữ số (hoặc null: mọi xã, phường).",
                    "A locality code is digits (or null: every locality)."))
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        out.append(("description", "invalid_description", f"Mô tả là chuỗi tối đa {MAX_DESCRIPTION} ký tự.",
                    f"The description is text of at most {MAX_DESCRIPTION} characters."))
    if "active" in body and not isinstance(body["active"], bool):
        out.append(("active", "not_a_boolean", "Giá trị phải là true hoặc false.", "The value must be true or false."))
    if out:
        raise invalid(out[:20])
    return body


def _load(uow, subscription_id: str) -> WebhookSubscription:
    sub = uow.webhook_subscriptions.get(subscription_id) if _ID.match(subscription_id) else None
    if sub is None or (sub.locality_code is not None and not principal().may_see(sub.locality_code)):
        raise ApiError.standard(404)
    return sub


@api.get("")
@allow(ADMIN)
def list_subscriptions():
    page = page_args(default_size=50, max_size=200)
    with runtime().unit_of_work() as uow:
        items, total = uow.webhook_subscriptions.page(None, page.offset, page.size)
    return jsonify(total=total, page=page.number, per_page=page.size, items=[as_json(s) for s in items])


@api.post("")
@allow(ADMIN)
def create_subscription():
    """``{"url", "event_types": [...] or ["*"], "locality_code"?, "description"?}`` → 201 with
    the subscription and its ``secret`` (shown this once)."""
    body = _checked(object_body(FIELDS[:4]), creating=True)
    rt = runtime()
    with rt.unit_of_work() as uow:
        sub = channels.subscribe(uow, url=body["url"], event_types=body["event_types"],
                                 locality_code=body.get("locality_code"), description=body.get("description", ""),
                                 now=rt.now(), new_secret=new_signing_secret)
    resp = jsonify({**as_json(sub), "secret": sub.secrets[0].secret})
    resp.status_code = 201
    resp.headers["Cache-Control"] = "no-store"
    return resp


@api.get("/<subscription_id>")
@allow(ADMIN)
def one_subscription(subscription_id: str):
    with runtime().unit_of_work() as uow:
        return jsonify(as_json(_load(uow, subscription_id)))


@api.patch("/<subscription_id>")
@allow(ADMIN)
def change_subscription(subscription_id: str):
    """Change any of ``url``, ``event_types``, ``locality_code``, ``description``, ``active``."""
    body = _checked(object_body(FIELDS), creating=False)
    rt = runtime()
    with rt.unit_of_work() as uow:
        sub = channels.change_subscription(uow, _load(uow, subscription_id), body, rt.now())
    return jsonify(as_json(sub))


@api.delete("/<subscription_id>")
@allow(ADMIN)
def delete_subscription(subscription_id: str):
    with runtime().unit_of_work() as uow:
        channels.unsubscribe(uow, _load(uow, subscription_id).id)
    return "", 204


@api.post("/<subscription_id>/secrets")
@allow(ADMIN)
def rotate_secret(subscription_id: str):
    """A new secret (shown this once); the ones before it sign beside it until
    ``signing_until`` (now + NOTIFY_WEBHOOK_SECRET_OVERLAP_HOURS)."""
    if request.content_length or request.is_json:
        object_body(())  # nothing to choose: no body, or an empty object
    rt = runtime()
    overlap = timedelta(hours=rt.settings.webhook_secret_overlap_hours)
    with rt.unit_of_work() as uow:
        sub = channels.rotate_secret(uow, _load(uow, subscription_id), now=rt.now(), overlap=overlap,
                                     new_secret=new_signing_secret)
    resp = jsonify({**as_json(sub), "secret": sub.secrets[0].secret,
                    "signing_until": (rt.now() + overlap).isoformat()})
    resp.status_code = 201
    resp.headers["Cache-Control"] = "no-store"
    return resp
