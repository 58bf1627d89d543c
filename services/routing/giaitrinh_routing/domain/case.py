"""Hồ sơ — the case: one request as the handling side tracks it, and the statutory procedure
(*quy trình giải trình*) it follows.

Source: Anti-Corruption Law 36/2018/QH14 and Decree 59/2019/NĐ-CP, chapter on accountability.
Each rule is stated once, here, with its article; the numbers come from the case's time-limit
set (:mod:`giaitrinh_routing.domain.time_limits`). The transition table says which action is
allowed in which state; every action checks who may take it, records who, when and why, moves
the deadlines, bumps the version (optimistic locking) and records a domain event that the unit
of work turns into a contract event (``case.accepted``, …).
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from giaitrinh_routing.domain.calendar import WorkingDayCalendar, local_date
from giaitrinh_routing.domain.case_files import CaseFile
from giaitrinh_routing.domain.time_limits import TimeLimitSet, Unit


class CaseState(StrEnum):
    RECEIVED = "received"  # đã tiếp nhận, chờ thụ lý
    ACCEPTED = "accepted"  # đã thụ lý, đang giải trình
    REFUSED = "refused"  # từ chối (có căn cứ)
    SUSPENDED = "suspended"  # tạm đình chỉ
    ANSWERED = "answered"  # đã giải trình
    CLOSED = "closed"  # kết thúc
    WITHDRAWN = "withdrawn"  # người yêu cầu rút yêu cầu
    DISPUTED = "disputed"  # người yêu cầu không đồng ý, chờ giám sát quyết định
    MERGED = "merged"  # gộp vào hồ sơ khác (trùng nội dung)


class Action(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    EXTEND = "extend"
    SUSPEND = "suspend"
    RESUME = "resume"
    ANSWER = "answer"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    DISPUTE = "dispute"
    DECIDE_DISPUTE = "decide-dispute"
    MERGE = "merge"


S, A = CaseState, Action
# Which action is allowed in which state, and the state it leads to. Not listed: not allowed.
TRANSITIONS: dict[CaseState, dict[Action, CaseState]] = {
    S.RECEIVED: {A.ACCEPT: S.ACCEPTED, A.REFUSE: S.REFUSED, A.ASSIGN: S.RECEIVED,
                 A.TRANSFER: S.RECEIVED, A.WITHDRAW: S.WITHDRAWN, A.MERGE: S.MERGED},
    S.ACCEPTED: {A.ASSIGN: S.ACCEPTED, A.TRANSFER: S.ACCEPTED, A.EXTEND: S.ACCEPTED,
                 A.SUSPEND: S.SUSPENDED, A.ANSWER: S.ANSWERED, A.WITHDRAW: S.WITHDRAWN,
                 A.MERGE: S.MERGED},
    S.SUSPENDED: {A.RESUME: S.ACCEPTED, A.WITHDRAW: S.WITHDRAWN},
    S.ANSWERED: {A.CLOSE: S.CLOSED, A.DISPUTE: S.DISPUTED},
    S.CLOSED: {A.DISPUTE: S.DISPUTED},
    S.DISPUTED: {A.DECIDE_DISPUTE: S.ACCEPTED},  # dismissed → CLOSED, see decide_dispute
    S.REFUSED: {},
    S.WITHDRAWN: {},
    S.MERGED: {},
}


# Kênh tiếp nhận — how a request reached the platform, as intake's ``request.submitted`` says
# (its schema's enum; a test keeps the two the same). Cases registered before routing kept it
# read as "portal", intake's web form and its default (migration 0010_case_channel).
CHANNELS: tuple[str, ...] = ("portal", "api", "open311", "direct", "hotline", "voter_meeting", "mail",
                             "external_system")
DEFAULT_CHANNEL = "portal"


class Role(StrEnum):
    OFFICIAL = "official"  # cán bộ, công chức của một đơn vị
    UNIT_HEAD = "unit_head"  # thủ trưởng đơn vị
    LOCALITY_HEAD = "locality_head"  # Chủ tịch UBND xã, phường
    SUPERVISOR = "supervisor"  # HĐND, MTTQ, UBKT: giám sát
    PROVINCIAL_ADMIN = "provincial_admin"
    REQUESTER = "requester"  # người yêu cầu (through intake)
    SYSTEM = "system"  # the platform itself (the deadline watcher)


@dataclass(frozen=True)
class Actor:
    """Who acts: their id, role, the localities they serve, and their unit (if any)."""

    id: str
    role: Role
    localities: frozenset[str] = frozenset()
    unit_code: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role.value}


class RefusalGround(StrEnum):
    """Căn cứ từ chối — Decree 59/2019, Art. 5 (cases not explained) and Art. 6 (content not
    explained), and Art. 4 (who may request)."""

    NOT_DIRECTLY_AFFECTED = "not_directly_affected"  # Điều 4: không đủ điều kiện yêu cầu
    STATE_OR_BUSINESS_SECRET = "state_or_business_secret"  # Điều 6: bí mật nhà nước, kinh doanh, đời tư
    INTERNAL_DIRECTION = "internal_direction"  # Điều 6: văn bản chỉ đạo, điều hành nội bộ
    ALREADY_EXPLAINED = "already_explained"  # Điều 5: đã được giải trình, không có lý do mới
    BEING_HANDLED = "being_handled"  # Điều 5: đang được xem xét, giải quyết
    REQUESTER_CONDUCT = "requester_conduct"  # Điều 5: say rượu, gây rối, xúc phạm
    INVALID_REPRESENTATIVE = "invalid_representative"  # Điều 5: người đại diện không hợp lệ
    OTHER_AGENCY = "other_agency"  # thuộc thẩm quyền cơ quan khác (chỉ dẫn đến cơ quan đó)


class ActionNotAllowed(Exception):
    """The action is not allowed in the case's state (HTTP 409)."""

    def __init__(self, action: Action, state: CaseState):
        super().__init__(f"{action.value} is not allowed while the case is {state.value}")
        self.action, self.state = action, state


class NotPermitted(Exception):
    """This actor may not take this action on this case (HTTP 403, or 404 when the case is
    outside the actor's localities, so that its existence does not leak)."""

    def __init__(self, reason: str, *, hidden: bool = False):
        super().__init__(reason)
        self.hidden = hidden


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    vi: str
    en: str


class InvalidAction(Exception):
    """The action's content breaks a rule (HTTP 422, naming each field)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.en for p in problems))
        self.problems = problems


class VersionConflict(Exception):
    """Someone else changed the case since it was read (HTTP 409: reload and try again)."""


@dataclass(frozen=True)
class CommitmentPromise:
    """Cam kết sau giải trình — a promise made in an explanation: what, by whom, by when."""

    id: str
    content: str
    unit_code: str
    due_on: date


@dataclass(frozen=True)
class StepRecorded:
    """A step of the procedure: the domain event every action records."""

    action: str
    at: datetime
    actor: Actor | None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


REASON_MAX = 2000
TEXT_MAX = 20_000


def _required_text(name: str, value: str, vi: str, en: str, longest: int = REASON_MAX) -> list[Problem]:
    if not value or not value.strip():
        return [Problem(name, "required", vi, en)]
    if len(value) > longest:
        return [Problem(name, "too_long", f"Tối đa {longest} ký tự.", f"At most {longest} characters.")]
    return []


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise InvalidAction(problems)


def explain_by(limits: TimeLimitSet, calendar: WorkingDayCalendar, notified_on: date) -> date:
    """The explanation is due ``limits.explain`` after the acceptance notice of ``notified_on``
    (Decree 59/2019, Art. 13; the notice's own day is not counted)."""
    return limits.explain.end(calendar, notified_on).end


HANDLERS = {Role.OFFICIAL, Role.UNIT_HEAD, Role.LOCALITY_HEAD}
WHO_MAY: dict[Action, set[Role]] = {
    **{a: HANDLERS for a in (A.ACCEPT, A.REFUSE, A.EXTEND, A.SUSPEND, A.RESUME, A.ANSWER,
                             A.CLOSE, A.MERGE, A.TRANSFER)},
    A.ASSIGN: {Role.UNIT_HEAD, Role.LOCALITY_HEAD},
    A.WITHDRAW: {Role.REQUESTER},
    A.DISPUTE: {Role.REQUESTER},
    A.DECIDE_DISPUTE: {Role.SUPERVISOR},
}


@dataclass
class Case:
    """Hồ sơ giải trình / phản ánh: one request as the handling side tracks it."""

    id: str
    request_id: str
    tracking_code: str
    kind: str
    field: str
    locality_code: str
    state: CaseState
    registered_at: datetime
    time_limits_id: str = ""
    accept_by: date | None = None
    answer_by: date | None = None
    unit_code: str | None = None
    official_id: str | None = None
    extensions: int = 0
    suspended_on: date | None = None
    flagged: bool = False
    merged_into: str | None = None
    version: int = 0
    watch_from: date | None = None  # when the deadline watcher looks at it next
    routed_by: str = ""  # the routing rule that sent it to its unit
    channel: str = DEFAULT_CHANNEL  # kênh tiếp nhận: how the request reached the platform
    # Ngày tiếp nhận: the day the request was received — by an official in person, by hotline,
    # at a voter meeting or by mail, the day they received it, which may be before it was
    # recorded; the time limits count from it (None: a case registered before it was kept,
    # received the day it was registered).
    received_on: date | None = None
    # dataclasses.field by its full name: the case has a ``field`` (lĩnh vực) of its own.
    events: list[StepRecorded] = dataclasses.field(default_factory=list, repr=False, compare=False)

    # -- registering ------------------------------------------------------------------------
    @classmethod
    def register(cls, *, id: str, request_id: str, tracking_code: str, kind: str, field: str,
                 locality_code: str, now: datetime, limits: TimeLimitSet | None = None,
                 calendar: WorkingDayCalendar | None = None, received_at: datetime | None = None,
                 unit_code: str | None = None, official_id: str | None = None,
                 routed_by: str = "", channel: str = DEFAULT_CHANNEL,
                 received_on: date | None = None) -> Case:
        """Vào sổ: the request was received at ``received_at`` (default ``now``) by ``channel``,
        or on ``received_on`` when an official received it before recording it; the
        accept-or-refuse period counts from the day after the day of receipt, not the day it
        was typed in (Decree 59/2019, Art. 12; Civil Code Art. 147)."""
        day = received_on or local_date(received_at or now)
        case = cls(id, request_id, tracking_code, kind, field, locality_code, CaseState.RECEIVED,
                   now, unit_code=unit_code, official_id=official_id or None, routed_by=routed_by,
                   channel=channel, received_on=day)
        if limits is not None and calendar is not None:
            case.time_limits_id = limits.id
            case.accept_by = limits.accept.end(calendar, day).end
        return case

    @property
    def received_day(self) -> date:
        """The day of receipt the time limits count from (a case from before it was kept: the
        day it was registered)."""
        return self.received_on or local_date(self.registered_at)

    # -- the rules every action shares -----------------------------------------------------
    def _not_permitted(self, action: Action, actor: Actor) -> NotPermitted | None:
        """Why ``actor`` may not take ``action`` on this case (role × locality × unit), if so."""
        if actor.role is Role.SYSTEM:
            return None
        if actor.role is not Role.REQUESTER and self.locality_code not in actor.localities:
            return NotPermitted("the case belongs to another locality", hidden=True)
        if actor.role not in WHO_MAY[action]:
            return NotPermitted(f"a {actor.role.value} may not {action.value} a case")
        if actor.role is Role.OFFICIAL and self.unit_code is not None and actor.unit_code != self.unit_code:
            return NotPermitted("the case is assigned to another unit")
        return None

    def _check(self, action: Action, actor: Actor) -> CaseState:
        refusal = self._not_permitted(action, actor)
        if refusal is not None:
            raise refusal
        after = TRANSITIONS[self.state].get(action)
        if after is None:
            raise ActionNotAllowed(action, self.state)
        return after

    def _record(self, action: Action, after: CaseState, now: datetime, actor: Actor | None,
                reason: str = "", **details: Any) -> None:
        self.state = after
        self.version += 1
        self.events.append(StepRecorded(action.value, now, actor, reason, details))

    # -- the actions ------------------------------------------------------------------------
    def accept(self, actor: Actor, now: datetime, limits: TimeLimitSet,
               calendar: WorkingDayCalendar) -> None:
        """Thụ lý: accept, with written notice; the explanation is due ``limits.explain`` after
        the acceptance notice (Decree 59/2019, Art. 13)."""
        after = self._check(A.ACCEPT, actor)
        self.answer_by = explain_by(limits, calendar, local_date(now))
        self._record(A.ACCEPT, after, now, actor, answer_by=self.answer_by.isoformat(),
                     accepted_on_time=self.accept_by is None or local_date(now) <= self.accept_by)

    def refuse(self, actor: Actor, now: datetime, ground: str, reason: str,
               refer_to: str = "") -> None:
        """Từ chối: only on a ground of Art. 4–6, named, with a reason; a matter of another
        agency names that agency (Decree 59/2019, Art. 5, 6 and 12)."""
        after = self._check(A.REFUSE, actor)
        problems: list[Problem] = []
        grounds = [g.value for g in RefusalGround]
        if ground not in grounds:
            problems.append(Problem("ground", "invalid_choice",
                                    "Chọn căn cứ từ chối: " + ", ".join(grounds) + ".",
                                    "Choose the ground of refusal: " + ", ".join(grounds) + "."))
        problems += _required_text("reason", reason, "Hãy ghi lý do từ chối.",
                                   "Give the reason for the refusal.")
        if ground == RefusalGround.OTHER_AGENCY and not refer_to.strip():
            problems.append(Problem("refer_to", "required", "Hãy ghi cơ quan có thẩm quyền.",
                                    "Name the agency the matter belongs to."))
        _raise_if(problems)
        self._record(A.REFUSE, after, now, actor, reason, ground=ground,
                     refer_to=refer_to.strip(),
                     on_time=self.accept_by is None or local_date(now) <= self.accept_by)

    def assign(self, actor: Actor, now: datetime, unit_code: str, official_id: str = "") -> None:
        """Phân công: the head gives the case to a unit and, optionally, an official of it."""
        after = self._check(A.ASSIGN, actor)
        _raise_if(_required_text("unit_code", unit_code, "Chọn đơn vị xử lý.", "Choose the unit.", 40))
        self.unit_code, self.official_id = unit_code.strip(), official_id.strip() or None
        self._record(A.ASSIGN, after, now, actor, unit_code=self.unit_code,
                     official_id=self.official_id or "")

    def transfer(self, actor: Actor, now: datetime, to_unit: str, reason: str) -> None:
        """Chuyển: to another unit, with a reason (repeated transfers are counted by scoring as
        a sign of *đùn đẩy*)."""
        after = self._check(A.TRANSFER, actor)
        problems = _required_text("to_unit", to_unit, "Chọn đơn vị nhận.", "Choose the unit.", 40)
        problems += _required_text("reason", reason, "Hãy ghi lý do chuyển.", "Give the reason.")
        if to_unit.strip() and to_unit.strip() == self.unit_code:
            problems.append(Problem("to_unit", "same_unit", "Hồ sơ đã ở đơn vị này.",
                                    "The case is already with this unit."))
        _raise_if(problems)
        from_unit, self.unit_code, self.official_id = self.unit_code, to_unit.strip(), None
        self._record(A.TRANSFER, after, now, actor, reason, from_unit=from_unit or "",
                     to_unit=self.unit_code)

    def extend(self, actor: Actor, now: datetime, days: int, reason: str,
               limits: TimeLimitSet, calendar: WorkingDayCalendar) -> None:
        """Gia hạn: a complex case, once, by at most the set's extension, with written notice
        (Decree 59/2019, Art. 13)."""
        after = self._check(A.EXTEND, actor)
        problems = _required_text("reason", reason, "Hãy ghi lý do gia hạn.",
                                  "Give the reason for the extension.")
        if self.extensions >= limits.max_extensions:
            problems.append(Problem("days", "already_extended",
                                    f"Chỉ được gia hạn {limits.max_extensions} lần (Điều 13 NĐ 59/2019).",
                                    f"A case may be extended {limits.max_extensions} time(s) only "
                                    "(Decree 59/2019, Art. 13)."))
        if not 1 <= days <= limits.extension_max.amount:
            problems.append(Problem("days", "out_of_range",
                                    f"Gia hạn từ 1 đến {limits.extension_max.describe()}.",
                                    f"Extend by 1 to {limits.extension_max.amount} "
                                    f"{limits.extension_max.unit.value.replace('_', ' ')}."))
        _raise_if(problems)
        self.answer_by = self.extended_answer_by(days, limits, calendar)
        self.extensions += 1
        self._record(A.EXTEND, after, now, actor, reason, days=days,
                     answer_by=self.answer_by.isoformat())

    def suspend(self, actor: Actor, now: datetime, reason: str) -> None:
        """Tạm đình chỉ: the time suspended does not count (Decree 59/2019, Art. 14)."""
        after = self._check(A.SUSPEND, actor)
        _raise_if(_required_text("reason", reason, "Hãy ghi lý do tạm đình chỉ.",
                                 "Give the reason for the suspension."))
        self.suspended_on = local_date(now)
        self._record(A.SUSPEND, after, now, actor, reason)

    def resume(self, actor: Actor, now: datetime, calendar: WorkingDayCalendar) -> None:
        """Tiếp tục: the answer deadline moves by the days the case was suspended (Art. 14)."""
        after = self._check(A.RESUME, actor)
        assert self.suspended_on is not None and self.answer_by is not None
        paused = (local_date(now) - self.suspended_on).days
        self.answer_by = calendar.add_days(self.answer_by, paused).end
        self.suspended_on = None
        self._record(A.RESUME, after, now, actor, suspended_days=paused,
                     answer_by=self.answer_by.isoformat())

    def answer(self, actor: Actor, now: datetime, explanation: str, legal_basis: str,
               commitments: list[dict[str, Any]] | None = None, meeting_minutes: str = "",
               attachments: Sequence[CaseFile] = ()) -> list[CommitmentPromise]:
        """Giải trình: the written explanation with its legal basis, the meeting's minutes if
        there was one, the commitments made (Decree 59/2019, Art. 13), and the files attached to
        it (judged already by the platform's file rules; the step names what each is)."""
        after = self._check(A.ANSWER, actor)
        problems = _required_text("explanation", explanation, "Hãy nhập nội dung giải trình.",
                                  "The explanation is required.", TEXT_MAX)
        problems += _required_text("legal_basis", legal_basis, "Hãy ghi căn cứ pháp lý.",
                                   "The legal basis is required.", REASON_MAX)
        promises: list[CommitmentPromise] = []
        for i, raw in enumerate(commitments or []):
            where = f"commitments[{i}]"
            content = str(raw.get("content") or "")
            problems += _required_text(f"{where}.content", content, "Hãy ghi nội dung cam kết.",
                                       "Say what is promised.")
            due = raw.get("due_on")
            try:
                due_on = date.fromisoformat(str(due)) if due else None
            except ValueError:
                due_on = None
            if due_on is None:
                problems.append(Problem(f"{where}.due_on", "required",
                                        "Cam kết phải có hạn hoàn thành (YYYY-MM-DD).",
                                        "A commitment needs a due date (YYYY-MM-DD)."))
            elif due_on <= local_date(now):
                problems.append(Problem(f"{where}.due_on", "in_the_past",
                                        "Hạn hoàn thành phải sau hôm nay.",
                                        "The due date must be after today."))
            unit = str(raw.get("unit_code") or self.unit_code or "")
            if not problems and due_on is not None:
                promises.append(CommitmentPromise(str(uuid.uuid4()), content.strip(), unit, due_on))
        _raise_if(problems)
        files: dict[str, Any] = {"attachments": [f.as_dict() for f in attachments]} if attachments else {}
        self._record(A.ANSWER, after, now, actor, explanation=explanation.strip(),
                     legal_basis=legal_basis.strip(), meeting_minutes=meeting_minutes.strip(),
                     on_time=self.answer_by is None or local_date(now) <= self.answer_by,
                     commitments=[{"id": p.id, "content": p.content, "unit_code": p.unit_code,
                                   "due_on": p.due_on.isoformat()} for p in promises], **files)
        return promises

    def close(self, actor: Actor, now: datetime) -> None:
        after = self._check(A.CLOSE, actor)
        self._record(A.CLOSE, after, now, actor)

    def withdraw(self, actor: Actor, now: datetime, reason: str = "") -> None:
        """Rút yêu cầu: the requester may withdraw before the explanation; the case ends."""
        after = self._check(A.WITHDRAW, actor)
        self._record(A.WITHDRAW, after, now, actor, reason[:REASON_MAX])

    def dispute(self, actor: Actor, now: datetime, reason: str) -> None:
        """Không đồng ý: the requester disputes the explanation; a supervisor decides."""
        after = self._check(A.DISPUTE, actor)
        _raise_if(_required_text("reason", reason, "Hãy nêu lý do không đồng ý.",
                                 "Say why you disagree."))
        self._record(A.DISPUTE, after, now, actor, reason)

    def decide_dispute(self, actor: Actor, now: datetime, upheld: bool, reason: str,
                       limits: TimeLimitSet, calendar: WorkingDayCalendar) -> None:
        """Quyết định của giám sát: upheld → the case is reopened, flagged, and explained again
        within the explain period; dismissed → closed."""
        self._check(A.DECIDE_DISPUTE, actor)
        _raise_if(_required_text("reason", reason, "Hãy ghi lý do quyết định.",
                                 "Give the reason for the decision."))
        if upheld:
            self.flagged = True
            self.answer_by = explain_by(limits, calendar, local_date(now))
            self._record(A.DECIDE_DISPUTE, CaseState.ACCEPTED, now, actor, reason, outcome="upheld",
                         answer_by=self.answer_by.isoformat())
        else:
            self._record(A.DECIDE_DISPUTE, CaseState.CLOSED, now, actor, reason, outcome="dismissed")

    def merge(self, actor: Actor, now: datetime, into_case_id: str, reason: str) -> None:
        """Gộp: a duplicate joins the case of the same content (many people, one content)."""
        after = self._check(A.MERGE, actor)
        problems = _required_text("into_case_id", into_case_id, "Chọn hồ sơ gộp vào.",
                                  "Choose the case to merge into.", 64)
        if into_case_id == self.id:
            problems.append(Problem("into_case_id", "same_case", "Không thể gộp vào chính nó.",
                                    "A case cannot be merged into itself."))
        _raise_if(problems)
        self.merged_into = into_case_id
        self._record(A.MERGE, after, now, actor, reason, into_case_id=into_case_id)

    # -- reading ----------------------------------------------------------------------------
    def allowed_actions(self) -> list[Action]:
        """The actions the state allows now (the transition table alone)."""
        return list(TRANSITIONS[self.state])

    def actions_open_to(self, actor: Actor, limits: TimeLimitSet | None = None) -> list[Action]:
        """The actions ``actor`` may take now — the console offers only these: the state allows
        them, the actor's role, locality and unit may take them, and no rule the case can tell
        in advance refuses them: a case extended as often as its time limits allow is not
        offered another extension (Decree 59/2019, Art. 13). The content of a form (a ground,
        a date) is still checked when the action is taken."""
        return [a for a in self.allowed_actions()
                if self._not_permitted(a, actor) is None and not self._ruled_out(a, limits)]

    def _ruled_out(self, action: Action, limits: TimeLimitSet | None) -> bool:
        if action is A.EXTEND and limits is not None:
            return self.extensions >= limits.max_extensions or limits.extension_max.amount < 1
        return False

    def extended_answer_by(self, days: int, limits: TimeLimitSet, calendar: WorkingDayCalendar) -> date:
        """The explanation's new deadline after an extension by ``days`` (in the unit of the
        set's extension: working days or calendar days, Art. 13)."""
        assert self.answer_by is not None
        period = calendar.add_working_days if limits.extension_max.unit is Unit.WORKING_DAYS \
            else calendar.add_days
        return period(self.answer_by, days).end

    def overdue(self, today: date) -> str | None:
        """Which step is late today, if any: ``accept`` or ``answer``."""
        if self.state is CaseState.RECEIVED and self.accept_by and today > self.accept_by:
            return "accept"
        if self.state is CaseState.ACCEPTED and self.answer_by and today > self.answer_by:
            return "answer"
        return None
