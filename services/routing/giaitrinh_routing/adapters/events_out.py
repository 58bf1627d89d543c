"""Routing's domain facts as contract events: the case's on ``giaitrinh.cases.v1``, the
registry's (localities, accounts, publishers) on ``giaitrinh.registry.v1``."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from giaitrinh_common import topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.domain.audit import AuditEntry
from giaitrinh_routing.domain.case import Case, StepRecorded
from giaitrinh_routing.domain.commitment import Commitment
from giaitrinh_routing.domain.deadline_watch import DeadlineAlert
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.domain.registry import RoutingRule, Unit, fields_by_unit

SOURCE = "/giaitrinh/routing"
CASES_TOPIC = topics.CASES
REGISTRY_TOPIC = topics.REGISTRY

# The contract type of each step of the procedure.
STEP_TYPES = {
    "accept": "accepted", "refuse": "refused", "assign": "assigned", "transfer": "transferred",
    "extend": "extended", "suspend": "suspended", "resume": "resumed", "answer": "answered",
    "close": "closed", "withdraw": "withdrawn", "dispute": "disputed",
    "decide-dispute": "dispute_decided", "merge": "merged",
}
# The details each type carries (the rest of a step's details stay in routing's step log).
DETAILS = {
    "accepted": ("answer_by", "accepted_on_time"), "refused": ("ground", "refer_to", "on_time"),
    "assigned": ("unit_code", "official_id"), "transferred": ("from_unit", "to_unit"),
    "extended": ("days", "answer_by"), "suspended": (), "resumed": ("suspended_days", "answer_by"),
    "answered": ("explanation", "legal_basis", "meeting_minutes", "on_time", "commitments", "attachments"),
    "closed": (), "withdrawn": (), "disputed": (), "dispute_decided": ("outcome", "answer_by"),
    "merged": ("into_case_id",),
}


def case_registered(case: Case, submitted: CloudEvent) -> CloudEvent:
    """``case.registered`` follows the ``request.submitted`` that opened the case."""
    data = {"case_id": case.id, "request_id": case.request_id,
            "tracking_code": case.tracking_code, "kind": case.kind, "field": case.field,
            "locality_code": case.locality_code, "state": case.state.value,
            "registered_at": case.registered_at.isoformat(), "unit_code": case.unit_code}
    if case.accept_by is not None:
        data["accept_by"] = case.accept_by.isoformat()
        data["time_limits_id"] = case.time_limits_id
    if case.official_id:  # the routing rule's default official: notify tells them of the new case
        data["official_id"] = case.official_id
    return CloudEvent.new(
        type="vn.giaitrinh.case.registered.v1", source=SOURCE, subject=case.request_id,
        locality=case.locality_code, time=case.registered_at,
        traceid=submitted.traceid or None, follows=submitted, data=data)


def _case_part(case: Case) -> dict:
    return {"case_id": case.id, "request_id": case.request_id, "tracking_code": case.tracking_code,
            "kind": case.kind, "field": case.field, "locality_code": case.locality_code,
            "state": case.state.value, "version": max(case.version, 1), "unit_code": case.unit_code,
            "deadlines": {"accept_by": case.accept_by.isoformat() if case.accept_by else None,
                          "answer_by": case.answer_by.isoformat() if case.answer_by else None},
            "flagged": case.flagged}


def deadline_alert(case: Case, alert: DeadlineAlert, now: datetime) -> CloudEvent:
    """``case.deadline_alert``: due soon, overdue (to the unit head) or escalated (to the
    locality head), once per case, step, kind and deadline."""
    data = {**_case_part(case), "at": now.isoformat(),
            "alert": {"kind": alert.kind.value, "step": alert.step,
                      "deadline": alert.deadline.isoformat(), "escalate_to": alert.escalate_to}}
    return CloudEvent.new(type="vn.giaitrinh.case.deadline_alert.v1", source=SOURCE,
                          subject=case.request_id, locality=case.locality_code, time=now, data=data)


def _commitment_part(c: Commitment) -> dict:
    return {"commitment_id": c.id, "case_id": c.case_id, "request_id": c.request_id,
            "locality_code": c.locality_code, "content": c.content, "unit_code": c.unit_code,
            "due_on": c.due_on.isoformat(), "status": c.status}


def commitment_alert(c: Commitment, kind: str, now: datetime) -> CloudEvent:
    """``commitment.alert``: due soon (a reminder to the unit) or overdue (flagged)."""
    return CloudEvent.new(type="vn.giaitrinh.commitment.alert.v1", source=SOURCE,
                          subject=c.request_id, locality=c.locality_code, time=now,
                          data={**_commitment_part(c), "kind": kind, "at": now.isoformat()})


def commitment_completed(c: Commitment, actor_id: str, actor_role: str) -> CloudEvent:
    assert c.completed_at is not None
    return CloudEvent.new(type="vn.giaitrinh.commitment.completed.v1", source=SOURCE,
                          subject=c.request_id, locality=c.locality_code, time=c.completed_at,
                          data={**_commitment_part(c), "evidence": c.evidence,
                                "on_time": bool(c.completed_on_time),
                                "at": c.completed_at.isoformat(),
                                "actor": {"id": actor_id, "role": actor_role}})


def audit_entry(case: Case, step: StepRecorded) -> AuditEntry:
    actor = step.actor.as_dict() if step.actor else {"id": "system", "role": "system"}
    return AuditEntry(at=step.at.astimezone(UTC).isoformat(), actor_id=actor["id"],
                      actor_role=actor["role"], entity="case", entity_id=case.id,
                      action=step.action,
                      payload={"state": case.state.value, "version": case.version,
                               "reason": step.reason, "details": step.details,
                               "deadlines": {"accept_by": str(case.accept_by), "answer_by": str(case.answer_by)}})


def _details(name: str, step: StepRecorded, file_keys: Mapping[str, str]) -> dict[str, Any]:
    details = {k: step.details[k] for k in DETAILS[name] if k in step.details}
    if name == "answered" and details.get("attachments") and file_keys:
        details["attachments"] = [{**f, "key": file_keys[f["id"]]} if f["id"] in file_keys else f
                                  for f in details["attachments"]]
    return details


def case_step(case: Case, step: StepRecorded, traceid: str = "",
              file_keys: Mapping[str, str] | None = None) -> CloudEvent:
    """One step of the procedure (``case.accepted``, ``case.refused``, …) with the case as it
    stands after it. ``file_keys``: the keys given to an answer's files, by id — each rides in
    ``case.answered`` beside its file (for intake to show the requester), never in the step
    log or the audit log."""
    name = STEP_TYPES[step.action]
    actor = step.actor.as_dict() if step.actor else {"id": "system", "role": "system"}
    data = {"case_id": case.id, "request_id": case.request_id, "tracking_code": case.tracking_code,
            "kind": case.kind, "field": case.field, "locality_code": case.locality_code,
            "state": case.state.value, "version": case.version, "at": step.at.isoformat(),
            "actor": actor, "reason": step.reason, "unit_code": case.unit_code,
            "deadlines": {"accept_by": case.accept_by.isoformat() if case.accept_by else None,
                          "answer_by": case.answer_by.isoformat() if case.answer_by else None},
            "flagged": case.flagged,
            "details": _details(name, step, file_keys or {})}
    return CloudEvent.new(type=f"vn.giaitrinh.case.{name}.v1", source=SOURCE,
                          subject=case.request_id, locality=case.locality_code, time=step.at,
                          traceid=traceid or None, data=data)


# -- the registry (key = the entity's id; each event is the entity's whole current state) ------
# The tenant attribute of an account without localities (a provincial admin's scope is the
# whole deployment): not a locality code, so no locality's filter ever matches it by accident.
PROVINCE_WIDE = "province"


def _province_name(province_code: str) -> str:
    from giaitrinh_routing.adapters.reference_data import province_name
    try:
        return province_name(province_code)
    except ValueError:  # a province the official list does not know (test data): its code
        return province_code


def locality_changed(locality: Locality, units: list[Unit], rules: dict[str, RoutingRule],
                     now: datetime) -> CloudEvent:
    """``locality.changed``: whether the locality is served, and its units with the fields
    each handles now (by the rules, the fallback included)."""
    handles = fields_by_unit(locality.code, rules, {u.code for u in units if u.active})
    data = {"locality_code": locality.code, "name": locality.name,
            "province_code": locality.province_code,
            "province_name": _province_name(locality.province_code),
            "division_type": locality.division_type, "served": locality.served,
            "units": [{"code": u.code, "name": u.name, "kind": u.kind.value,
                       "fields": handles.get(u.code, [])} for u in units if u.active],
            "changed_at": now.astimezone(UTC).isoformat()}
    return CloudEvent.new(type="vn.giaitrinh.locality.changed.v1", source=SOURCE, subject=locality.code,
                          locality=locality.code, time=now, data=data)


def account_changed(account, now: datetime) -> CloudEvent:
    """``account.changed``: a staff account as it now is (never its password or secrets)."""
    data = {"account_id": account.id, "name": account.display_name, "role": account.role.value,
            "localities": sorted(account.localities), "active": not account.disabled,
            "changed_at": now.astimezone(UTC).isoformat()}
    if account.unit_code:
        data["unit_code"] = account.unit_code
    if account.body is not None:
        data["body"] = account.body.value
    if account.email:  # staff contact, for notify's email and SMS alerts; absent when not given
        data["email"] = account.email
    if account.phone:
        data["phone"] = account.phone
    return CloudEvent.new(type="vn.giaitrinh.account.changed.v1", source=SOURCE, subject=account.id,
                          locality=min(account.localities, default=PROVINCE_WIDE), time=now, data=data)


def publisher_changed(api_key, now: datetime) -> CloudEvent:
    """``publisher.changed``: a system allowed to publish, known by its key's SHA-256 (the
    digest routing stores; the key itself never leaves routing)."""
    data = {"publisher_id": api_key.id, "name": api_key.name, "key_sha256": api_key.key_digest,
            "localities": sorted(api_key.localities), "active": not api_key.disabled,
            "changed_at": now.astimezone(UTC).isoformat()}
    return CloudEvent.new(type="vn.giaitrinh.publisher.changed.v1", source=SOURCE, subject=api_key.id,
                          locality=min(api_key.localities, default=PROVINCE_WIDE), time=now, data=data)
