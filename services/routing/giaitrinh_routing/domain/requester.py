"""Người yêu cầu — what routing knows of the person who made a request, and who may read it.

Routing keeps only what ``request.submitted`` carries: the kind of requester (citizen,
business, organisation) and, only when the requester asked to be notified, the email and phone
they gave for it. Their name, address and ID number stay in intake (the event never carries
them); their secret link, which acts in their name, is never kept here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from giaitrinh_routing.domain.case import Actor, Case, Role


@dataclass(frozen=True)
class RequesterContact:
    """The requester as the handling side may know them."""

    requester_type: str
    email: str = ""
    phone: str = ""

    @classmethod
    def from_submitted(cls, data: Mapping[str, Any]) -> RequesterContact:
        """From ``request.submitted``'s data: its ``contact`` block (present only with the
        requester's consent to be notified) without the secret link."""
        contact = data.get("contact") or {}
        return cls(str(data["requester_type"]), str(contact.get("email", "")), str(contact.get("phone", "")))


def may_read_requester(actor: Actor, case: Case) -> bool:
    """Who may read the requester's contact (DESIGN §5: personal data only to those who need
    it): the people handling the case — the official it is given to (while it is given to no
    one, the officials of its unit), the head of its unit, and the head of its locality.
    Supervisors (HĐND, MTTQ, UBKT) read the handling, not the person; a provincial admin runs
    the platform and handles no case."""
    if case.locality_code not in actor.localities:
        return False
    if actor.role is Role.LOCALITY_HEAD:
        return True
    if actor.role is Role.UNIT_HEAD:
        return case.unit_code is not None and actor.unit_code == case.unit_code
    if actor.role is Role.OFFICIAL:
        if case.official_id:
            return actor.id == case.official_id
        return case.unit_code is not None and actor.unit_code == case.unit_code
    return False
