"""Violation flags over HTTP (*cờ vi phạm*): for the supervisors of a locality (HĐND, MTTQ,
UBKT: their own localities) and the provincial admin (all). A flag names the unit and the
official a case was with, which is not public: hence no wider audience. Another locality's
flags answer 404, as its records do everywhere."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, request

from giaitrinh_common.auth import PROVINCIAL_ADMIN, SUPERVISOR, allow, current_principal, signed_in
from giaitrinh_common.web import ApiError, detail, page_args
from giaitrinh_scoring.adapters.officials import SqlOfficials
from giaitrinh_scoring.domain.violations import KINDS, ViolationFlag

api = Blueprint("scoring_flags_api", __name__, url_prefix="/api/v1/flags")
FLAG_READERS = signed_in(SUPERVISOR, PROVINCIAL_ADMIN)
_LOCALITY = re.compile(r"^[0-9]{1,6}$")


def as_json(flag: ViolationFlag, official_name: str | None = None) -> dict:
    """``official_name``: the official's name from the registry's account events; null while
    scoring has not heard of the account (or the flag names no official)."""
    return {"id": flag.id, "kind": flag.kind, "case_id": flag.case_id, "request_id": flag.request_id,
            "tracking_code": flag.tracking_code, "locality_code": flag.locality_code,
            "unit_code": flag.unit_code, "official_id": flag.official_id,
            "official_name": official_name, "step": flag.step,
            "due_on": flag.due_on.isoformat() if flag.due_on else None,
            "raised_by": {"event_id": flag.raised_by, "event_type": flag.raised_by_type},
            "raised_at": flag.raised_at.isoformat(), "units": list(flag.units)}


def _filters() -> tuple[str | None, str | None]:
    """``locality_code`` and ``kind`` from the query, each checked (400 naming the parameter)."""
    locality, kind = request.args.get("locality_code", "").strip(), request.args.get("kind", "").strip()
    wrong = []
    if locality and not _LOCALITY.match(locality):
        wrong.append(detail("locality_code", "invalid_parameter", "Mã xã/phường gồm 1–6 chữ số.",
                            "A commune/ward code is 1–6 digits."))
    if kind and kind not in KINDS:
        wrong.append(detail("kind", "invalid_parameter", f"Một trong: {', '.join(KINDS)}.",
                            f"One of: {', '.join(KINDS)}."))
    if wrong:
        raise ApiError(400, "invalid_parameter", "Tham số lọc không hợp lệ; xem chi tiết.",
                       "A filter parameter is not valid; see the details.", wrong)
    return locality or None, kind or None


@api.get("")
@allow(FLAG_READERS)
def list_flags():
    """The flags of the caller's localities, newest first:
    ``?locality_code=&kind=&page=&per_page=``."""
    who = current_principal()
    if who is None:  # unreachable behind a signed-in policy; never answer as someone
        raise ApiError.standard(404)
    locality, kind = _filters()
    page = page_args(default_size=50, max_size=200)
    if locality is not None and not who.may_see(locality):
        raise ApiError.standard(404)
    localities = {locality} if locality else (None if who.sees_every_locality else who.localities)
    with current_app.extensions["giaitrinh_runtime"].unit_of_work() as uow:
        items, total = uow.flags.page(localities, kind=kind, limit=page.size, offset=page.offset)
        names = SqlOfficials(uow.session).names(f.official_id for f in items)
    return jsonify(total=total, page=page.number, per_page=page.size,
                   items=[as_json(f, names.get(f.official_id or "")) for f in items])
