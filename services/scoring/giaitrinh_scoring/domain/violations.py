"""Vi phạm — the violations scoring flags from routing's case events, for supervisors to see.

Directive 53-CT/TW names what accountability must not be: *chậm giải trình* (late),
*né tránh, đùn đẩy* (evasive) and *giải trình không trung thực* (dishonest). Of these, what the
events of a case decide today:

- ``late_handling`` — a step (accept or refuse; explain) not taken by its deadline (Decree
  59/2019/NĐ-CP, Art. 12–13): the deadline watcher's overdue or escalation alert says so, and
  so does the step itself when it is finally taken late (before the watcher's sweep, perhaps).
  One flag per missed deadline, whichever of these tells it first;
- ``dispute_upheld`` — a supervisor upheld the requester's dispute of an explanation: the case
  is reopened and flagged (the explanation did not stand);
- ``commitment_overdue`` — a commitment made in an explanation (cam kết sau giải trình) passed
  its due date undone;
- ``repeated_transfers`` — the case was passed from unit to unit more often than a matter of
  finding the competent unit needs (*đùn đẩy*): see :func:`repeated_transfers`.

A flag is raised once per (case, kind, step): ``step`` names the step of the case the violation
is about, so the same violation told twice, or by two events, is one flag; a new one (a second
missed deadline after an upheld dispute, another commitment) is another. Plain functions of an
event's type and data: no clock, no storage.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

LATE_HANDLING = "late_handling"  # chậm thụ lý, chậm giải trình
DISPUTE_UPHELD = "dispute_upheld"  # giải trình bị giám sát kết luận chưa đúng
COMMITMENT_OVERDUE = "commitment_overdue"  # cam kết sau giải trình quá hạn
REPEATED_TRANSFERS = "repeated_transfers"  # đùn đẩy: hồ sơ bị chuyển qua lại nhiều lần
KINDS = (LATE_HANDLING, DISPUTE_UPHELD, COMMITMENT_OVERDUE, REPEATED_TRANSFERS)

DEADLINE_ALERT = "vn.giaitrinh.case.deadline_alert.v1"
DISPUTE_DECIDED = "vn.giaitrinh.case.dispute_decided.v1"
COMMITMENT_ALERT = "vn.giaitrinh.commitment.alert.v1"
TRANSFERRED = "vn.giaitrinh.case.transferred.v1"
# How many transfers of one case pass without a flag (SCORING_TRANSFER_LIMIT): the next one flags.
DEFAULT_TRANSFER_LIMIT = 2
# The watcher's alerts that mean the deadline has passed (``due_soon`` is only a reminder).
MISSED = ("overdue", "escalated")
# The steps that say whether they met their deadline: (the step, the detail saying so, the
# deadline it was held to) — the same step and deadline the watcher's alert names.
LATE_STEPS = {
    "vn.giaitrinh.case.accepted.v1": ("accept", "accepted_on_time", "accept_by"),
    "vn.giaitrinh.case.refused.v1": ("accept", "on_time", "accept_by"),
    "vn.giaitrinh.case.answered.v1": ("answer", "on_time", "answer_by"),
}

# Flag ids are derived from (case, kind, step), so a rebuild from offset 0 names each flag, and
# the event that tells of it, as the incremental path did: the consumers' inboxes drop the copy.
_NAMESPACE = uuid.UUID("9a4c1f8e-7b0e-4c55-9a8e-2f1f5d6c0b17")


@dataclass(frozen=True)
class CaseOnRecord:
    """What scoring knows of a case from its events: whose hands it is in now. Kept so that a
    flag names the official when an alert does not (``version``: the latest step applied)."""

    case_id: str
    request_id: str
    tracking_code: str | None = None
    unit_code: str | None = None
    official_id: str | None = None
    version: int = 0


def follow(known: CaseOnRecord | None, event_type: str, data: Mapping[str, Any]) -> CaseOnRecord | None:
    """The case as known after a case event (None: the event says nothing of who handles it).
    An older step than the one known changes nothing, so the order of arrival does not matter."""
    if not event_type.startswith("vn.giaitrinh.case.") or "case_id" not in data or event_type == DEADLINE_ALERT:
        return None
    version = int(data.get("version") or 0)  # case.registered has none: it is the first
    if known is not None and version < known.version:
        return None
    details = data.get("details") or {}
    official = known.official_id if known is not None else None
    if event_type.endswith(".assigned.v1"):
        official = details.get("official_id") or None
    elif event_type.endswith(".transferred.v1"):
        official = None  # a transfer gives the case to the unit, not yet to anyone in it
    return CaseOnRecord(case_id=data["case_id"], request_id=data["request_id"],
                        tracking_code=data.get("tracking_code") or (known.tracking_code if known else None),
                        unit_code=data.get("unit_code"), official_id=official, version=version)


@dataclass(frozen=True)
class ViolationFlag:
    """Cờ vi phạm — one violation of the procedure, raised by one event of routing's."""

    kind: str
    case_id: str
    request_id: str
    locality_code: str
    step: str  # accept@<deadline>, answer@<deadline>, decision@v<version>, commitment@<id>, transfer@<n>
    raised_by: str  # the id of the event that raised it (the earliest, by its time)
    raised_by_type: str
    raised_at: datetime  # when that event says it happened, not when scoring heard of it
    unit_code: str | None = None
    official_id: str | None = None
    tracking_code: str | None = None
    due_on: date | None = None  # the deadline or due date missed, where there is one
    units: tuple[str, ...] = ()  # the units a repeatedly transferred case went through, in order

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.case_id, self.kind, self.step)

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, "|".join(self.key)))

    def naming(self, known: CaseOnRecord | None) -> ViolationFlag:
        """The flag with what the case record adds: its tracking code, and its official when the
        case is still with the unit the flag names."""
        if known is None:
            return self
        official = self.official_id or (known.official_id if known.unit_code == self.unit_code else None)
        return replace(self, tracking_code=self.tracking_code or known.tracking_code, official_id=official)

    def is_earlier_than(self, other: ViolationFlag) -> bool:
        """Whether this telling of the same flag comes first (by time, then event id: a total
        order, so every order of arrival keeps the same one)."""
        return (self.raised_at, self.raised_by) < (other.raised_at, other.raised_by)


def flag_raised_by(event_type: str, data: Mapping[str, Any], *, event_id: str,
                   at: datetime) -> ViolationFlag | None:
    """The violation one event of ``event_type`` with ``data`` raises, if any."""
    def flag(kind: str, step: str, **extra: Any) -> ViolationFlag:
        return ViolationFlag(kind=kind, case_id=data["case_id"], request_id=data["request_id"],
                             locality_code=data["locality_code"], step=step, raised_by=event_id,
                             raised_by_type=event_type, raised_at=at,
                             unit_code=data.get("unit_code") or None, **extra)

    if event_type == DEADLINE_ALERT and data["alert"]["kind"] in MISSED:
        alert = data["alert"]
        return flag(LATE_HANDLING, f"{alert['step']}@{alert['deadline']}",
                    tracking_code=data.get("tracking_code"), due_on=date.fromisoformat(alert["deadline"]))
    if event_type in LATE_STEPS:
        step, on_time, deadline_of = LATE_STEPS[event_type]
        deadline = (data.get("deadlines") or {}).get(deadline_of)
        if (data.get("details") or {}).get(on_time) is False and deadline:
            return flag(LATE_HANDLING, f"{step}@{deadline}", tracking_code=data.get("tracking_code"),
                        due_on=date.fromisoformat(deadline))
        return None
    if event_type == DISPUTE_DECIDED and (data.get("details") or {}).get("outcome") == "upheld":
        return flag(DISPUTE_UPHELD, f"decision@v{data['version']}", tracking_code=data.get("tracking_code"))
    if event_type == COMMITMENT_ALERT and data["kind"] == "overdue":
        return flag(COMMITMENT_OVERDUE, f"commitment@{data['commitment_id']}",
                    due_on=date.fromisoformat(data["due_on"]))
    return None


@dataclass(frozen=True)
class Transfer:
    """Một lần chuyển — one transfer of a case to another unit, as ``case.transferred`` tells it."""

    case_id: str
    version: int  # the case's version after the transfer: the order of the case's steps
    request_id: str
    locality_code: str
    from_unit: str | None
    to_unit: str
    event_id: str
    at: datetime
    tracking_code: str | None = None


def transfer_told_by(event_type: str, data: Mapping[str, Any], *, event_id: str,
                     at: datetime) -> Transfer | None:
    """The transfer one event tells of, if it is a ``case.transferred``."""
    if event_type != TRANSFERRED:
        return None
    details = data.get("details") or {}
    return Transfer(case_id=data["case_id"], version=int(data["version"]), request_id=data["request_id"],
                    locality_code=data["locality_code"], from_unit=details.get("from_unit") or None,
                    to_unit=details.get("to_unit") or data.get("unit_code") or "", event_id=event_id, at=at,
                    tracking_code=data.get("tracking_code") or None)


def repeated_transfers(transfers: Iterable[Transfer], limit: int = DEFAULT_TRANSFER_LIMIT) -> ViolationFlag | None:
    """Đùn đẩy — the flag a case's transfers raise: one when it is transferred more than
    ``limit`` times (by default the third transfer flags), else None.

    Why a count, and why more than two by default: a transfer is lawful and often right — a
    matter that belongs elsewhere is pointed to the competent body (Decree 59/2019/NĐ-CP, Art. 5
    and the accept-or-refuse step), and the routing rules can send a case to the wrong unit
    first, which one transfer corrects and a second may still. A case handed on again after
    that is no longer being placed but passed along — what Directive 53-CT/TW calls *đùn đẩy*
    (shirking by passing the buck) — and each unit that passes it keeps its own deadlines clean
    while the requester waits. The limit is a setting (``SCORING_TRANSFER_LIMIT``), since how
    many transfers a locality tolerates is a policy, not a law.

    One flag per case (step ``transfer@<limit + 1>``), however many transfers follow: the
    flag is about the case being passed around, and its later transfers only confirm it. The
    transfers are taken in the case's own order (its version), not in the order they arrive,
    so the flag is raised by the same transfer and names the same units whatever the order of
    arrival; a transfer told twice is one (it has one version). The flag names the unit that
    made the transfer over the limit (the handler adds the official who had the case there) and
    every unit the case went through up to it, in order (A → B → A is ping-pong, and shown)."""
    ordered = sorted({t.version: t for t in transfers}.values(), key=lambda t: t.version)
    if len(ordered) <= limit:
        return None
    counted = ordered[:limit + 1]
    over = counted[-1]
    units: list[str] = []
    for transfer in counted:
        for unit in (transfer.from_unit, transfer.to_unit):
            if unit and (not units or units[-1] != unit):
                units.append(unit)
    return ViolationFlag(kind=REPEATED_TRANSFERS, case_id=over.case_id, request_id=over.request_id,
                         locality_code=over.locality_code, step=f"transfer@{limit + 1}",
                         raised_by=over.event_id, raised_by_type=TRANSFERRED, raised_at=over.at,
                         unit_code=over.from_unit, official_id=None, tracking_code=over.tracking_code,
                         units=tuple(units))


# The event types that can raise a flag: the handler and the subscription both read it.
RAISED_BY = (DEADLINE_ALERT, *LATE_STEPS, DISPUTE_DECIDED, COMMITMENT_ALERT, TRANSFERRED)
