"""Cam kết: completing a commitment made in an explanation, with evidence of what was done.

``POST /api/v1/commitments/<id>/complete`` ``{"evidence": "…"}`` — by an official of the
responsible unit or a head of its locality; another locality's commitment answers 404, as one
that does not exist.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from giaitrinh_common.auth import STAFF, allow, current_principal, signed_in
from giaitrinh_common.web import ApiError, detail, json_body, shown
from giaitrinh_routing.domain.case import Actor, InvalidAction, NotPermitted, Role
from giaitrinh_routing.domain.commitment import CommitmentAlreadyDone
from giaitrinh_routing.service_layer.handlers import CommitmentNotFound

api = Blueprint("routing_commitments", __name__, url_prefix="/api/v1/commitments")


@api.post("/<commitment_id>/complete")
@allow(signed_in(*STAFF))
def complete(commitment_id: str):
    """Record a commitment done, with its evidence; answers the commitment as it now stands."""
    principal = current_principal()
    assert principal is not None
    body = json_body()
    unknown = [k for k in body if k != "evidence"]
    if unknown:
        raise ApiError(422, "unknown_fields", "Nội dung có trường không được hỗ trợ.",
                       "The body has fields this action does not read.",
                       [detail(shown(k), "unknown_field", "Trường không được hỗ trợ.", "Unknown field.")
                        for k in unknown[:20]])
    evidence = body.get("evidence", "")
    if not isinstance(evidence, str):
        raise ApiError(422, "invalid_action", "evidence phải là chuỗi ký tự.", "evidence must be a string.",
                       [detail("evidence", "wrong_type", "Chuỗi ký tự.", "A string.")])
    runtime = current_app.extensions["giaitrinh_runtime"]
    localities = principal.localities
    if principal.sees_every_locality:
        with runtime.unit_of_work() as uow:
            found = uow.commitments.get(commitment_id) if len(commitment_id) <= 64 else None
        localities = frozenset({found.locality_code}) if found else frozenset()
    actor = Actor(principal.id, Role(principal.role), frozenset(localities), principal.unit_code)
    try:
        done = runtime.complete_commitment(commitment_id, actor, evidence)
    except CommitmentNotFound:
        raise ApiError.standard(404) from None
    except CommitmentAlreadyDone:
        raise ApiError(409, "already_completed", "Cam kết này đã được xác nhận hoàn thành.",
                       "This commitment was completed already.") from None
    except NotPermitted as exc:
        raise ApiError(403, "not_permitted", "Bạn không được xác nhận hoàn thành cam kết này.",
                       f"You may not complete this commitment: {exc}.") from None
    except InvalidAction as exc:
        raise ApiError(422, "invalid_action", "Nội dung chưa hợp lệ; xem từng trường dưới đây.",
                       "The content breaks a rule; see each field below.",
                       [detail(p.field, p.code, p.vi, p.en) for p in exc.problems]) from None
    return jsonify(id=done.id, case_id=done.case_id, content=done.content, unit_code=done.unit_code,
                   due_on=done.due_on.isoformat(), status=done.status, evidence=done.evidence,
                   completed_at=done.completed_at.isoformat() if done.completed_at else None,
                   on_time=done.completed_on_time)
