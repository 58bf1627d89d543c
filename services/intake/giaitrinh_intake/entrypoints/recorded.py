"""Tiếp nhận trực tiếp: an official records a request a person made directly, by hotline, at a
voter meeting or by mail — ``POST /api/v1/recorded-requests``, by bearer token or the console's
sign-in cookie (with its CSRF token). The body is the public API's submission plus ``channel``
and an optional ``received_on``; it takes the same path (:class:`SubmitRequest`), with the
official's account id, from their token, as the request's ``received_by``. ``Idempotency-Key``
works as on every POST under ``/api/v1/`` (:mod:`giaitrinh_intake.entrypoints.idempotency`).
"""
from __future__ import annotations

import dataclasses

from flask import Blueprint, current_app, jsonify, url_for
from flask import request as http_request
from werkzeug.exceptions import RequestEntityTooLarge

from giaitrinh_common.auth import RECORDING_ROLES, Principal, allow, current_principal, signed_in
from giaitrinh_common.web import ApiError, detail, json_body
from giaitrinh_intake.domain.requester_link import link_path
from giaitrinh_intake.service_layer.handlers import InvalidSubmission

recorded = Blueprint("intake_recorded", __name__, url_prefix="/api/v1")
RECORDERS = signed_in(*sorted(RECORDING_ROLES))  # whoever serves a locality receives its people
RECORDING_FIELDS = ("channel", "received_on")  # beyond the public submission's


def _official() -> Principal:
    who = current_principal()
    if who is None:  # unreachable behind a signed-in policy; never record as no one
        raise ApiError.standard(404)
    return who


def _not_yours() -> ApiError:
    return ApiError(403, "locality_not_yours",
                    "Anh/chị chỉ tiếp nhận yêu cầu cho xã/phường mình phụ trách.",
                    "You may record requests only for the communes and wards you serve.",
                    [detail("locality_code", "not_yours", "Xã/phường này không thuộc phạm vi của anh/chị.",
                            "This commune or ward is not one you serve.")])


@recorded.post("/recorded-requests")
@allow(RECORDERS)
def record():
    """201 with the tracking code and the requester's secret link (for the official to hand to
    the person, once); 422 listing every problem, ``received_by`` in the body among them (an
    unknown field: the receiving official is whoever is signed in); 403 for a locality the
    official does not serve."""
    from giaitrinh_intake.entrypoints.web import _command, _runtime  # web registers this blueprint

    who = _official()
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    http_request.max_content_length = limit
    if (http_request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    body = json_body()
    locality = body.get("locality_code")
    if isinstance(locality, str) and locality.strip() and not who.may_see(locality.strip()):
        raise _not_yours()
    given = {name: body.pop(name) for name in RECORDING_FIELDS if body.get(name) is not None}
    wrong = tuple(name for name, value in given.items() if not isinstance(value, str))
    cmd = _command(body)
    cmd = dataclasses.replace(
        cmd, channel=given.get("channel", "") if "channel" not in wrong else "",
        received_on=given.get("received_on", "") if "received_on" not in wrong else "",
        received_by=who.id, wrong_types=cmd.wrong_types + wrong)
    try:
        receipt = _runtime().submit(cmd)
    except InvalidSubmission as exc:
        raise ApiError(422, "invalid_request", "Yêu cầu chưa hợp lệ; hãy sửa các mục dưới đây.",
                       "The request is not valid yet; fix the items below.",
                       [p.as_dict() for p in exc.problems]) from None
    status_url = url_for("intake_api.lookup", tracking_code=receipt.tracking_code)
    resp = jsonify(request_id=receipt.request_id, tracking_code=receipt.tracking_code,
                   submitted_at=receipt.submitted_at.isoformat(), status_url=status_url,
                   channel=cmd.channel, received_by=who.id,
                   requester_link=link_path(receipt.secret) if receipt.secret else None)
    resp.status_code = 201
    resp.headers["Location"] = status_url
    return resp
