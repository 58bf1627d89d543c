"""Choosing channels (*lựa chọn nhận thông báo*): staff for themselves (by their sign-in), a
requester for one request (by its tracking code, the credential the portal already uses; only
among the addresses given with the request). Statutory notices cannot be switched off: only
``non_statutory`` opts out, and a statutory notice follows the chosen channel
(domain/preferences.py)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from giaitrinh_common.auth import PUBLIC, STAFF, allow, signed_in
from giaitrinh_common.web import ApiError, json_body, tracking_code_arg
from giaitrinh_notify.domain.preferences import (
    DEFAULT_REQUESTER_CHANNELS,
    DEFAULT_STAFF_CHANNELS,
    PERSON_CHANNELS,
    REQUESTER_CHANNELS,
    Preference,
    preference_problems,
    requester_person,
    staff_person,
)
from giaitrinh_notify.entrypoints.api_support import invalid, principal, runtime
from giaitrinh_notify.service_layer import channels

api = Blueprint("notify_preferences_api", __name__, url_prefix="/api/v1")


def as_json(pref: Preference, choosable, defaults) -> dict:
    return {"channels": list(pref.channels), "non_statutory": pref.non_statutory,
            "effective_channels": list(pref.channels or defaults), "choosable": list(choosable),
            "defaults": list(defaults), "statutory_always_sent": True,
            "updated_at": pref.updated_at.isoformat() if pref.updated_at else None}


def _put(person: str, choosable, defaults):
    body = json_body()
    problems = preference_problems(body, choosable)
    if problems:
        raise invalid(problems[:20])
    rt = runtime()
    with rt.unit_of_work() as uow:
        pref = channels.choose(uow, person, body, rt.now())
    return jsonify(as_json(pref, choosable, defaults))


@api.route("/me/preferences", methods=["GET", "PUT"])
@allow(signed_in(*sorted(STAFF)))
def my_preferences():
    """The caller's channels (``in_app``, ``email``, ``sms``) and non-statutory opt-out."""
    person = staff_person(principal().id)
    if request.method == "PUT":
        return _put(person, PERSON_CHANNELS, DEFAULT_STAFF_CHANNELS)
    with runtime().unit_of_work() as uow:
        pref = channels.preference_of(uow, person)
    return jsonify(as_json(pref, PERSON_CHANNELS, DEFAULT_STAFF_CHANNELS))


@api.route("/requests/<tracking_code>/preferences", methods=["GET", "PUT"])
@allow(PUBLIC)  # the tracking code is the key, as for the requester's inbox
def requester_preferences(tracking_code: str):
    """A requester's channels for one request (``email``, ``sms``: among the addresses they
    gave) and their opt-out of non-statutory messages; 404 for a code notify has not heard of."""
    code = tracking_code_arg(tracking_code)
    with runtime().unit_of_work() as uow:
        known = bool(uow.inbox_messages.for_tracking_code(code))
        pref = channels.preference_of(uow, requester_person(code))
    if not known:
        raise ApiError.standard(404)
    if request.method == "PUT":
        return _put(requester_person(code), REQUESTER_CHANNELS, DEFAULT_REQUESTER_CHANNELS)
    return jsonify(as_json(pref, REQUESTER_CHANNELS, DEFAULT_REQUESTER_CHANNELS))
