"""Routing's handlers. They never commit: their caller does, once (the consumer, with the
inbox claim; the runtime or the CLI, for a command)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from giaitrinh_common.attachments import Attachment, FileInspector, Upload, judge
from giaitrinh_common.consumer import RejectedEvent
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.ids import time_ordered_id
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.adapters.early_withdrawals import EarlyWithdrawal
from giaitrinh_routing.domain.audit import AuditEntry
from giaitrinh_routing.domain.calendar import WorkingDayCalendar, local_date
from giaitrinh_routing.domain.case import (
    Action,
    ActionNotAllowed,
    Actor,
    Case,
    CaseState,
    CommitmentPromise,
    InvalidAction,
    NotPermitted,
    Problem,
    Role,
    VersionConflict,
)
from giaitrinh_routing.domain.case_files import CaseFile, request_files
from giaitrinh_routing.domain.commitment import Commitment
from giaitrinh_routing.domain.deadline_watch import (
    DEFAULT_POLICY,
    DeadlineAlert,
    WatchPolicy,
    due_alerts,
    first_watch,
    next_watch,
)
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.domain.registry import (
    DEFAULT_RULES,
    FIELDS,
    RoutingRule,
    UnitKind,
    default_units,
    route,
    unit_rows,
)
from giaitrinh_routing.domain.requester import RequesterContact
from giaitrinh_routing.domain.time_limits import NoTimeLimits, RuleBook, TimeLimitSet
from giaitrinh_routing.service_layer.unit_of_work import RoutingUnitOfWork


def on_request_submitted(event: CloudEvent, uow: RoutingUnitOfWork, now: datetime,
                         rules: RuleBook, calendar: WorkingDayCalendar,
                         policy: WatchPolicy = DEFAULT_POLICY) -> None:
    """A request arrived: open its case (once, whatever the delivery count), timed by the rule
    set in force on the day it was received."""
    d = event.data
    if uow.cases.for_request(d["request_id"]) is not None:
        return
    locality = uow.localities.get(d["locality_code"])
    if locality is None or not locality.served:
        # Intake learns the served localities from the registry, so this is a race with a
        # disabling, or a sender that skipped intake: parked with its reason, never guessed at.
        raise RejectedEvent(f"locality {d['locality_code']!r} is "
                            + ("not in the registry" if locality is None else "not served (disabled in the registry)"))
    received_on = received_day(d)
    try:
        limits = rules.in_force(d["kind"], received_on)
    except NoTimeLimits as exc:  # a day before any set took effect: no limit to time it by
        raise RejectedEvent(f"request {d['request_id']}: {exc}") from None
    active = {u.code for u in uow.units.units_of(d["locality_code"]) if u.active}
    routed = route(d["locality_code"], d["field"], uow.units.rules_of(d["locality_code"]), active)
    case = Case.register(id=time_ordered_id(), request_id=d["request_id"],
                         tracking_code=d["tracking_code"], kind=d["kind"], field=d["field"],
                         locality_code=d["locality_code"], now=now, limits=limits,
                         calendar=calendar, received_on=received_on, unit_code=routed.unit_code,
                         official_id=routed.official_id, routed_by=routed.rule_id,
                         channel=d["channel"])
    case.watch_from = first_watch(case, calendar, policy)
    uow.cases.add(case)
    uow.requesters.add(case.id, RequesterContact.from_submitted(d))
    uow.files.add_request_files(case.id, request_files(d))
    uow.files.set_publication(case.id, bool(d.get("consent_to_publish")))
    uow.emit(events_out.CASES_TOPIC, events_out.case_registered(case, event))
    uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id="system", actor_role="system",
                          entity="case", entity_id=case.id, action="register",
                          payload={"request_id": case.request_id, "locality_code": case.locality_code,
                                   "received_on": str(case.received_on),
                                   "accept_by": str(case.accept_by),
                                   "time_limits_id": case.time_limits_id,
                                   "unit_code": case.unit_code, "routed_by": case.routed_by}))
    early = uow.early_withdrawals.take(case.request_id)
    if early is not None:
        # The requester withdrew before the case was opened: it opens withdrawn, through the
        # same step as a withdrawal read later (case.withdrawn follows case.registered).
        act_on_case(ActOnCase(case.id, Action.WITHDRAW.value, _requester_of(case), {"reason": early.reason}),
                    uow, rules, calendar, now, policy)


def received_day(submitted: dict[str, Any]) -> date:
    """The day a request was received, as ``request.submitted`` tells it: the ``received_on``
    an official gave when recording a request received directly, by hotline, at a voter
    meeting or by mail (never later than the day it was recorded), else the day it was
    submitted — in Vietnam's time zone."""
    submitted_on = local_date(datetime.fromisoformat(submitted["submitted_at"]))
    given = submitted.get("received_on")
    return min(date.fromisoformat(given), submitted_on) if given else submitted_on


class CaseNotFound(LookupError):
    """No such case (HTTP 404) — also what an actor of another locality is told."""


def on_requester_action(event: CloudEvent, action: Action, uow: RoutingUnitOfWork, rules: RuleBook,
                        calendar: WorkingDayCalendar, now: datetime,
                        policy: WatchPolicy = DEFAULT_POLICY) -> None:
    """The requester withdrew the request or disputed its answer in intake (with the secret
    link): take the case's ``withdraw`` or ``dispute`` action as the requester. A withdrawal
    read before the case was opened (its request.submitted dead-lettered — a ward not yet
    served — or read later) is remembered, and the case opens withdrawn; one of a case already
    withdrawn changes nothing. Any other event the case cannot take (a dispute with no case, a
    state that does not allow it, as a withdrawal after the answer) is rejected with its reason."""
    d = event.data
    case = uow.cases.for_request(d["request_id"])
    if case is None and action is Action.WITHDRAW:
        # Kept once per request: a second withdrawal of it before the case opens adds nothing.
        if uow.early_withdrawals.remember(
                EarlyWithdrawal(d["request_id"], event.id, datetime.fromisoformat(d["withdrawn_at"]),
                                d.get("reason", "")), d["locality_code"], now):
            uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id="requester",
                                  actor_role="requester", entity="request", entity_id=d["request_id"],
                                  action="withdraw-before-case", payload={"event_id": event.id}))
        return
    if case is None:
        raise RejectedEvent(f"no case for request {d['request_id']}")
    if action is Action.WITHDRAW and case.state is CaseState.WITHDRAWN:
        return  # withdrawn already (the withdrawal remembered, or told twice): the case has ended
    try:
        act_on_case(ActOnCase(case.id, action.value, _requester_of(case), {"reason": d.get("reason", "")}),
                    uow, rules, calendar, now, policy)
    except (ActionNotAllowed, InvalidAction, NotPermitted) as exc:
        raise RejectedEvent(f"case {case.id} cannot take '{action.value}' from the requester: {exc}") from None


def _requester_of(case: Case) -> Actor:
    """The requester as an actor on their own case (they act through intake's secret link)."""
    return Actor("requester", Role.REQUESTER, frozenset({case.locality_code}), None)


def _may_see(actor: Actor, case: Case) -> bool:
    return actor.role in {Role.SYSTEM, Role.REQUESTER} or case.locality_code in actor.localities


@dataclass(frozen=True)
class ActOnCase:
    """Take ``action`` on a case as ``actor``; ``expected_version`` (the version the actor saw)
    makes a concurrent change a conflict instead of a lost update. ``uploads``: the files sent
    with an answer, as they came; :func:`act_on_case` judges them into ``attachments``."""

    case_id: str
    action: str
    actor: Actor
    params: dict[str, Any] = field(default_factory=dict)
    expected_version: int | None = None
    uploads: tuple[Upload, ...] = ()
    attachments: tuple[Attachment, ...] = ()


def _text(params: dict[str, Any], name: str) -> str:
    value = params.get(name, "")
    if not isinstance(value, str):
        raise InvalidAction([Problem(name, "wrong_type", f"{name} phải là chuỗi ký tự.",
                                     f"{name} must be a string.")])
    return value


def _whole(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAction([Problem(name, "wrong_type", f"{name} phải là số nguyên.",
                                     f"{name} must be a whole number.")])
    return value


def _commitments(params: dict[str, Any]) -> list[dict[str, Any]]:
    value = params.get("commitments", [])
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise InvalidAction([Problem("commitments", "wrong_type",
                                     "commitments phải là danh sách các đối tượng.",
                                     "commitments must be a list of objects.")])
    if len(value) > 50:
        raise InvalidAction([Problem("commitments", "too_many", "Tối đa 50 cam kết.",
                                     "At most 50 commitments.")])
    return value


Step = Callable[[Case, ActOnCase, TimeLimitSet, WorkingDayCalendar, datetime],
                "list[CommitmentPromise] | None"]
# How each action's parameters reach the aggregate.
STEPS: dict[Action, Step] = {
    Action.ACCEPT: lambda c, cmd, lim, cal, now: c.accept(cmd.actor, now, lim, cal),
    Action.REFUSE: lambda c, cmd, lim, cal, now: c.refuse(
        cmd.actor, now, _text(cmd.params, "ground"), _text(cmd.params, "reason"),
        _text(cmd.params, "refer_to")),
    Action.ASSIGN: lambda c, cmd, lim, cal, now: c.assign(
        cmd.actor, now, _text(cmd.params, "unit_code"), _text(cmd.params, "official_id")),
    Action.TRANSFER: lambda c, cmd, lim, cal, now: c.transfer(
        cmd.actor, now, _text(cmd.params, "to_unit"), _text(cmd.params, "reason")),
    Action.EXTEND: lambda c, cmd, lim, cal, now: c.extend(
        cmd.actor, now, _whole(cmd.params, "days"), _text(cmd.params, "reason"), lim, cal),
    Action.SUSPEND: lambda c, cmd, lim, cal, now: c.suspend(cmd.actor, now, _text(cmd.params, "reason")),
    Action.RESUME: lambda c, cmd, lim, cal, now: c.resume(cmd.actor, now, cal),
    Action.ANSWER: lambda c, cmd, lim, cal, now: c.answer(
        cmd.actor, now, _text(cmd.params, "explanation"), _text(cmd.params, "legal_basis"),
        _commitments(cmd.params), _text(cmd.params, "meeting_minutes"),
        [CaseFile(a.id, a.filename, a.media_type, a.size) for a in cmd.attachments]),
    Action.CLOSE: lambda c, cmd, lim, cal, now: c.close(cmd.actor, now),
    Action.WITHDRAW: lambda c, cmd, lim, cal, now: c.withdraw(cmd.actor, now, _text(cmd.params, "reason")),
    Action.DISPUTE: lambda c, cmd, lim, cal, now: c.dispute(cmd.actor, now, _text(cmd.params, "reason")),
    Action.DECIDE_DISPUTE: lambda c, cmd, lim, cal, now: c.decide_dispute(
        cmd.actor, now, _text(cmd.params, "outcome") == "upheld", _text(cmd.params, "reason"), lim, cal),
    Action.MERGE: lambda c, cmd, lim, cal, now: c.merge(
        cmd.actor, now, _text(cmd.params, "into_case_id"), _text(cmd.params, "reason")),
}


def limits_of(case: Case, rules: RuleBook) -> TimeLimitSet:
    """The time limits the case keeps: the set in force on the day it was received (a case
    registered before sets had ids: the set in force then, looked up again)."""
    return (rules.by_id(case.time_limits_id) if case.time_limits_id
            else rules.in_force(case.kind, case.received_day))


def act_on_case(cmd: ActOnCase, uow: RoutingUnitOfWork, rules: RuleBook,
                calendar: WorkingDayCalendar, now: datetime,
                policy: WatchPolicy = DEFAULT_POLICY, inspector: FileInspector | None = None) -> Case:
    """Load the case, take the action through the aggregate, save it with its version check
    (the caller commits, which also turns the step into its contract event). An answer's files
    are judged by the platform's file rules with ``inspector`` (each refused one named, 422) and
    kept with the answer, in the same transaction."""
    try:
        action = Action(cmd.action)
    except ValueError:
        raise InvalidAction([Problem("action", "invalid_choice",
                                     "Thao tác không hợp lệ: " + ", ".join(a.value for a in Action),
                                     "Unknown action; one of: " + ", ".join(a.value for a in Action))]
                            ) from None
    case = uow.cases.get(cmd.case_id)
    if case is None or not _may_see(cmd.actor, case):
        raise CaseNotFound(cmd.case_id)  # before the version: a 409 would tell the case exists
    if cmd.expected_version is not None and cmd.expected_version != case.version:
        raise VersionConflict(f"case {case.id} is at version {case.version}, "
                              f"not {cmd.expected_version}")
    limits = limits_of(case, rules)
    read_version = case.version
    if cmd.uploads:
        cmd = replace(cmd, attachments=tuple(_judged(cmd, action, case, limits, inspector)))
    try:
        promises = STEPS[action](case, cmd, limits, calendar, now)
    except NotPermitted as exc:
        if exc.hidden:
            raise CaseNotFound(cmd.case_id) from None
        raise
    uow.files.add_answer_files(case.id, case.version, cmd.attachments)
    case.watch_from = first_watch(case, calendar, policy)  # deadlines may have moved
    uow.cases.save(case, read_version, promises or (),
                   first_watch=lambda due: calendar.working_days_before(due, policy.lead_working_days))
    return case


def _judged(cmd: ActOnCase, action: Action, case: Case, limits: TimeLimitSet,
            inspector: FileInspector | None) -> list[Attachment]:
    """The files sent with an answer, judged by their content as intake judges a request's; a
    refused one raises :class:`InvalidAction` naming it (``attachments[<n>]``). Only an answer
    takes files; an action the actor may not take now is refused by the step itself, before any
    file is read."""
    if action is not Action.ANSWER:
        raise InvalidAction([Problem("attachments", "not_accepted", "Chỉ văn bản giải trình mới kèm tệp.",
                                     "Only an explanation takes attached files.")])
    if action not in case.actions_open_to(cmd.actor, limits):
        return []
    if inspector is None:
        raise ValueError("files given with no inspector to judge them")
    kept, refused = judge(list(cmd.uploads), inspector)
    if refused:
        raise InvalidAction([Problem(d["field"], d["code"], d["message"]["vi"], d["message"]["en"])
                             for d in refused])
    return kept


class CommitmentNotFound(LookupError):
    """No such commitment (HTTP 404) — also what an actor of another locality is told."""


def complete_commitment(commitment_id: str, actor: Actor, evidence: str, uow: RoutingUnitOfWork,
                        now: datetime) -> Commitment:
    """Hoàn thành cam kết: record it done with its evidence, publish it, audit it."""
    commitment = uow.commitments.get(commitment_id)
    if commitment is None:
        raise CommitmentNotFound(commitment_id)
    try:
        commitment.complete(actor, now, evidence)
    except NotPermitted as exc:
        if exc.hidden:
            raise CommitmentNotFound(commitment_id) from None
        raise
    uow.commitments.save(commitment, None)
    uow.emit(events_out.CASES_TOPIC,
             events_out.commitment_completed(commitment, actor.id, actor.role.value))
    uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id=actor.id,
                          actor_role=actor.role.value, entity="commitment",
                          entity_id=commitment.id, action="complete",
                          payload={"evidence": commitment.evidence,
                                   "on_time": commitment.completed_on_time}))
    return commitment


def watch_commitments(uow: RoutingUnitOfWork, now: datetime, calendar: WorkingDayCalendar,
                      policy: WatchPolicy, limit: int = 500) -> int:
    """Remind the unit of commitments due soon and flag overdue ones, each once."""
    today = local_date(now)
    raised = 0
    for commitment in uow.commitments.due_for_watch(today, limit):
        for kind in commitment.alerts_due(today, calendar, policy.lead_working_days):
            if kind == "due_soon":
                commitment.reminded = True
            else:
                commitment.flagged_overdue = True
            uow.emit(events_out.CASES_TOPIC, events_out.commitment_alert(commitment, kind, now))
            uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id="system",
                                  actor_role="system", entity="commitment",
                                  entity_id=commitment.id, action=f"alert-{kind}",
                                  payload={"due_on": commitment.due_on.isoformat()}))
            raised += 1
        uow.commitments.save(commitment, commitment.next_watch(today, calendar,
                                                               policy.lead_working_days))
    return raised


def watch_cases(case_ids: list[str], uow: RoutingUnitOfWork, now: datetime,
                calendar: WorkingDayCalendar, policy: WatchPolicy) -> int:
    """Raise the deadline alerts due today for these cases (each once: the unique key of a
    raised alert makes a second worker's transaction fail), and set when to look again.
    Set-based — a few statements for the whole batch — so a sweep keeps up with a province."""
    today = local_date(now)
    cases = uow.cases.get_many(case_ids)
    raised = uow.alerts.raised([c.id for c in cases])
    new: list[tuple[str, DeadlineAlert]] = []
    watches = []
    for case in cases:
        alerts = due_alerts(case, today, calendar, policy, raised[case.id])
        for alert in alerts:
            new.append((case.id, alert))
            uow.emit(events_out.CASES_TOPIC, events_out.deadline_alert(case, alert, now))
            uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id="system",
                                  actor_role="system", entity="case", entity_id=case.id,
                                  action=f"alert-{alert.kind.value}",
                                  payload={"step": alert.step,
                                           "deadline": alert.deadline.isoformat(),
                                           "escalate_to": alert.escalate_to}))
        watches.append((case.id, next_watch(case, today, calendar, policy,
                                            raised[case.id] | {a.key for a in alerts})))
    uow.alerts.add(new, now)
    uow.cases.set_watches(watches)
    return len(new)


def _register(uow: RoutingUnitOfWork, locality: Locality, at: str, actor_id: str = "system",
              actor_role: str = "system") -> None:
    """A new locality with the default units and routing rules, audited."""
    uow.localities.add(locality)
    uow.flush()  # the units and rules refer to it
    for unit in default_units(locality.code):
        uow.units.put_unit(unit)
    for field_, unit_code in DEFAULT_RULES.items():
        uow.units.put_rule(RoutingRule(locality.code, field_, unit_code))
    uow.record(AuditEntry(at=at, actor_id=actor_id, actor_role=actor_role, entity="locality",
                          entity_id=locality.code, action="register",
                          payload={"name": locality.name, "default_units": True, "served": locality.served}))


def announce_locality(uow: RoutingUnitOfWork, code: str, now: datetime) -> None:
    """Publish the locality as the registry now holds it (``locality.changed``): served or
    not, its active units and the fields each handles. Called after every change to it."""
    locality = uow.localities.get(code)
    if locality is None:
        return
    uow.flush()  # the units and rules changed in this transaction
    uow.emit(events_out.REGISTRY_TOPIC,
             events_out.locality_changed(locality, uow.units.units_of(code), uow.units.rules_of(code), now))


def seed_localities(uow: RoutingUnitOfWork, localities: Iterable[Locality],
                    progress: Callable[[int], None] = lambda n: None,
                    now: datetime | None = None) -> int:
    """Add the localities not yet registered, served, each with the default units and routing
    rules; return how many were added. Safe to run again (what exists is left as admins edited
    it). Every served locality of the list is announced again, so a consumer whose table was
    lost or is new (intake, scoring) learns the registry from this run too."""
    known = uow.localities.known_codes()
    when = now or datetime.now(UTC)
    at = when.astimezone(UTC).isoformat()
    added = 0
    for locality in localities:
        if locality.code not in known:
            _register(uow, locality, at)
            added += 1
        announce_locality(uow, locality.code, when)
        progress(1)
    return added


class UnknownLocality(LookupError):
    """No commune or ward has this code in the official list (HTTP 404)."""


def set_locality_served(uow: RoutingUnitOfWork, code: str, served: bool, actor_id: str, now: datetime,
                        official: Callable[[str], Locality | None]) -> Locality:
    """Enable (serve) or disable a locality — the provincial admin's decision. A locality not
    yet registered is registered from the ``official`` list with the default units; its
    cases stay when it is disabled. Announced either way (``locality.changed``)."""
    at = now.astimezone(UTC).isoformat()
    locality = uow.localities.get(code)
    if locality is None:
        found = official(code)
        if found is None:
            raise UnknownLocality(code)
        _register(uow, replace(found, served=served), at, actor_id, "provincial_admin")
    elif locality.served != served:
        uow.localities.set_served(code, served)
        uow.record(AuditEntry(at=at, actor_id=actor_id, actor_role="provincial_admin", entity="locality",
                              entity_id=code, action="enable" if served else "disable", payload={}))
    announce_locality(uow, code, now)
    result = uow.localities.get(code)
    assert result is not None
    return result


@dataclass(frozen=True)
class RowProblem:
    """One problem of a row of an imported CSV file: its line (the header is line 1), the
    message in English and, where the rule says it, in Vietnamese, and the column as the file
    spells it ("" for the row as a whole)."""

    line: int
    message: str
    vi: str = ""
    column: str = ""
    code: str = "invalid_row"

    @classmethod
    def of(cls, line: int, problem: Problem) -> RowProblem:
        """A domain :class:`Problem` of the row, its field being the file's column."""
        return cls(line, problem.en, problem.vi, problem.field, problem.code)

    @property
    def text_vi(self) -> str:
        """"Dòng 3: role: …" — the Vietnamese, or the English where the rule has none."""
        return f"Dòng {self.line}: " + (f"{self.column}: " if self.column else "") + (self.vi or self.message)

    @property
    def text_en(self) -> str:
        return f"Line {self.line}: " + (f"{self.column}: " if self.column else "") + self.message


class ImportRefused(Exception):
    """The file was not imported at all: every problem, each with its line number."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__("; ".join(f"line {p.line}: {p.message}" for p in problems))
        self.problems = problems


def import_units(uow: RoutingUnitOfWork, rows: Iterable[dict[str, str]], actor_id: str,
                 now: datetime) -> dict[str, int]:
    """Add or change units from CSV rows (:data:`UNIT_COLUMNS`); every row is checked first
    (:func:`unit_rows`) and nothing is written unless all are valid: else :class:`ImportRefused`
    names each problem with its line (the header is line 1) and column, in both languages."""
    parsed, found = unit_rows(rows, uow.localities.known_codes())
    if found:
        raise ImportRefused([RowProblem.of(line, problem) for line, problem in found])
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    changed_localities: set[str] = set()
    for unit in parsed:
        outcome = uow.units.put_unit(unit)
        counts[outcome] += 1
        if outcome != "unchanged":
            changed_localities.add(unit.locality_code)
            uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id=actor_id,
                                  actor_role="provincial_admin", entity="unit",
                                  entity_id=f"{unit.locality_code}:{unit.code}", action=outcome,
                                  payload={"name": unit.name, "kind": unit.kind.value,
                                           "active": unit.active}))
    for code in sorted(changed_localities):
        announce_locality(uow, code, now)
    return counts


def set_rule(uow: RoutingUnitOfWork, rule: RoutingRule, actor_id: str, now: datetime) -> None:
    """Route a field of a locality to one of its active handling units."""
    handling = {u.code for u in uow.units.units_of(rule.locality_code)
                if u.active and u.kind is UnitKind.HANDLING}
    if rule.unit_code not in handling:
        raise InvalidAction([Problem("unit_code", "unknown_unit",
                                     "Đơn vị không thuộc xã/phường này hoặc không xử lý hồ sơ.",
                                     "No active handling unit of this locality has this code.")])
    if rule.field not in FIELDS:
        raise InvalidAction([Problem("field", "invalid_choice", "Lĩnh vực không hợp lệ.",
                                     "Unknown field: " + ", ".join(DEFAULT_RULES))])
    uow.units.put_rule(rule)
    uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id=actor_id,
                          actor_role="provincial_admin", entity="rule", entity_id=rule.id,
                          action="set", payload={"unit_code": rule.unit_code,
                                                 "official_id": rule.official_id}))
    announce_locality(uow, rule.locality_code, now)
