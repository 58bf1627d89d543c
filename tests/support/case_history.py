"""A case's history told as routing tells it: the steps are taken on routing's own ``Case``
aggregate and turned into contract events by routing's own ``events_out``, so the consumers'
tests read exactly what routing publishes (each event is also checked against its schema)."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from giaitrinh_common import contracts
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.tracking_codes import compose
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.adapters.time_limits import load_rule_book
from giaitrinh_routing.domain.calendar import WorkingDayCalendar, local_date
from giaitrinh_routing.domain.case import Actor, Case, Role
from giaitrinh_routing.domain.case_files import CaseFile
from tests.support.factories import LOCALITY, request_submitted

CALENDAR = WorkingDayCalendar()
RULES = load_rule_book()
MONDAY = datetime(2026, 11, 2, 2, tzinfo=UTC)  # 09:00 in Vietnam; accept by 9 Nov
TRACKING_CODE = compose("7X9VFH1S")  # with its right check symbol: the inbox reads it
HEAD = Actor("chu-tich", Role.LOCALITY_HEAD, frozenset({LOCALITY}))
REQUESTER = Actor("requester", Role.REQUESTER)
SUPERVISOR = Actor("hdnd", Role.SUPERVISOR, frozenset({LOCALITY}))


class CaseHistory:
    """One request's case, step by step. Each step method takes the action ``days`` after the
    previous step (or at ``at``) and returns the event routing publishes for it; ``events``
    holds them all in publication order, ``case.registered`` first."""

    def __init__(self, *, request_id: str | None = None, tracking_code: str = TRACKING_CODE,
                 kind: str = "accountability_request", field: str = "land",
                 received: datetime = MONDAY, locality: str = LOCALITY):
        self.submitted = request_submitted(request_id, tracking_code=tracking_code, kind=kind,
                                           field=field, locality_code=locality,
                                           submitted_at=received.isoformat())
        self.limits = RULES.in_force(kind, local_date(received))
        self.case = Case.register(id=str(uuid.uuid4()), request_id=self.submitted.subject,
                                  tracking_code=tracking_code, kind=kind, field=field,
                                  locality_code=locality, now=received + timedelta(minutes=5),
                                  limits=self.limits, calendar=CALENDAR, received_at=received)
        self.now = received + timedelta(minutes=5)
        self.events: list[CloudEvent] = [self._checked(events_out.case_registered(self.case, self.submitted))]

    @property
    def request_id(self) -> str:
        return self.case.request_id

    @staticmethod
    def _checked(event: CloudEvent) -> CloudEvent:
        contracts.validate(event)
        return event

    def _take(self, act: Callable[[datetime], object], days: float, at: datetime | None,
              file_keys: dict[str, str] | None = None) -> CloudEvent:
        self.now = at or self.now + timedelta(days=days)
        act(self.now)
        [step] = self.case.events
        self.case.events.clear()
        event = self._checked(events_out.case_step(self.case, step, file_keys=file_keys))
        self.events.append(event)
        return event

    # -- the steps, by the actor the procedure gives each -------------------------------------
    def accept(self, days: float = 1, at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.accept(HEAD, now, self.limits, CALENDAR), days, at)

    def refuse(self, ground: str = "already_explained", reason: str = "Đã giải trình ngày 1/10.",
               refer_to: str = "", days: float = 1, at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.refuse(HEAD, now, ground, reason, refer_to), days, at)

    def assign(self, unit: str = "dia-chinh", official: str = "", days: float = 0.1,
               at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.assign(HEAD, now, unit, official), days, at)

    def transfer(self, to_unit: str = "kinh-te", reason: str = "Không thuộc lĩnh vực đơn vị.",
                 days: float = 1, at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.transfer(HEAD, now, to_unit, reason), days, at)

    def extend(self, by: int = 10, reason: str = "Vụ việc phức tạp, cần xác minh thực địa.",
               days: float = 1, at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.extend(HEAD, now, by, reason, self.limits, CALENDAR),
                          days, at)

    def suspend(self, reason: str = "Chờ kết quả giám định.", days: float = 1,
                at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.suspend(HEAD, now, reason), days, at)

    def resume(self, days: float = 1, at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.resume(HEAD, now, CALENDAR), days, at)

    def answer(self, explanation: str = "Việc cấp phép tuân thủ quy hoạch đã duyệt.",
               legal_basis: str = "Luật Đất đai 2024, Điều 116.",
               commitments: list[dict] | None = None, minutes: str = "",
               days: float = 1, at: datetime | None = None, by: Actor | None = None,
               files: Sequence[CaseFile] = (), file_keys: dict[str, str] | None = None) -> CloudEvent:
        """``by``: who gives the explanation (the locality head unless said; an official of the
        case's unit may). The head is read when called, so a test may set another. ``files``:
        attached to it, each with its key from ``file_keys`` (by id) as routing's unit of work
        adds it."""
        who = by if by is not None else HEAD
        return self._take(lambda now: self.case.answer(who, now, explanation, legal_basis,
                                                       commitments, minutes, files), days, at, file_keys)

    def close(self, days: float = 1, at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.close(HEAD, now), days, at)

    def withdraw(self, reason: str = "", days: float = 1, at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.withdraw(REQUESTER, now, reason), days, at)

    def dispute(self, reason: str = "Giải trình chưa trả lời câu hỏi chính.", days: float = 1,
                at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.dispute(REQUESTER, now, reason), days, at)

    def decide_dispute(self, upheld: bool, reason: str = "Đã xem xét hồ sơ.", days: float = 1,
                       at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.decide_dispute(SUPERVISOR, now, upheld, reason,
                                                               self.limits, CALENDAR), days, at)

    def merge(self, into: str | None = None, reason: str = "Cùng nội dung với hồ sơ đã có.",
              days: float = 1, at: datetime | None = None) -> CloudEvent:
        return self._take(lambda now: self.case.merge(HEAD, now, into or str(uuid.uuid4()), reason),
                          days, at)


def every_step_type() -> dict[str, CloudEvent]:
    """A real event of every case step type (and ``case.registered``), by type."""
    events: dict[str, CloudEvent] = {}
    main = CaseHistory()
    main.assign()
    main.transfer()
    main.accept()
    main.extend()
    main.suspend()
    main.resume()
    main.answer(commitments=[{"content": "Sửa đèn đường", "due_on": "2026-12-31"}])
    main.dispute()
    main.decide_dispute(upheld=True)
    main.answer()
    main.close()
    refused = CaseHistory()
    refused.refuse(ground="other_agency", reason="Thuộc thẩm quyền cấp tỉnh.",
                   refer_to="Sở Tài nguyên và Môi trường tỉnh Quảng Trị")
    withdrawn = CaseHistory()
    withdrawn.withdraw()
    merged = CaseHistory()
    merged.merge()
    dismissed = CaseHistory()
    dismissed.accept()
    dismissed.answer()
    dismissed.dispute()
    dismissed.decide_dispute(upheld=False)
    for history in (main, refused, withdrawn, merged, dismissed):
        for event in history.events:
            events.setdefault(event.type, event)
    return events
