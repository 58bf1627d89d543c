"""Notify's rules and templates, and what one event becomes in the delivery ledger: every rule's
template renders from a real event of its type in Vietnamese and English on every channel it
goes out on; the requester's statutory notices carry what the decree asks; a bad rules file is
refused naming its line; a missing or invalid address is logged undeliverable and blocks
nothing; an unknown type is skipped and counted, a schema-invalid one dead-lettered; a template
error parks that message only."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from giaitrinh_common import contracts, topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_notify.adapters.rules_file import parse_rules
from giaitrinh_notify.adapters.templates import TemplateRenderer, template_name
from giaitrinh_notify.bootstrap import DEFAULT_RULES, load_rules
from giaitrinh_notify.domain.channels import EMAIL, IN_APP, SMS, WEBHOOK, OutgoingMessage
from giaitrinh_notify.domain.deliveries import PARKED, PENDING, SENT, UNDELIVERABLE, Delivery, RetryPolicy
from giaitrinh_notify.domain.rules import RulesError
from giaitrinh_notify.domain.sms_text import fits, without_diacritics
from giaitrinh_notify.service_layer.deliveries import Sender
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.domain.commitment import Commitment
from giaitrinh_routing.domain.deadline_watch import AlertKind, DeadlineAlert
from tests.support import consuming, violations
from tests.support.case_history import MONDAY, CaseHistory, every_step_type
from tests.support.factories import LOCALITY, migrated_runtime, request_submitted

RULES = load_rules()
PORTAL = "https://giaitrinh.example.vn"
RENDERER = TemplateRenderer(PORTAL)
CONTACT = {"email": "dan@example.vn", "phone": "+84 912 345 678",
           "requester_link": "/yeu-cau/GT-7X9V-FH1S-T/bi-mat-0123456789"}


def deadline_alerts() -> dict[str, CloudEvent]:
    history = CaseHistory()
    history.assign(official="can-bo-1")
    out = {}
    for kind in AlertKind:
        alert = DeadlineAlert("accept", kind, date(2026, 11, 9), date(2026, 11, 6))
        out[kind.value] = events_out.deadline_alert(history.case, alert, MONDAY + timedelta(days=7))
        contracts.validate(out[kind.value])
    return out


def joined() -> CloudEvent:
    data = {"request_id": str(uuid.uuid4()), "tracking_code": "GT-7X9V-FH1S-T", "locality_code": LOCALITY,
            "joined_at": "2026-11-24T08:00:00+00:00", "joiner_count": 1, "contact": CONTACT}
    event = CloudEvent.new(type="vn.giaitrinh.request.joined.v1", source="/tests", subject=data["request_id"],
                           locality=LOCALITY, data=data, time=datetime(2026, 11, 24, 8, tzinfo=UTC))
    contracts.validate(event)
    return event


def real_events() -> list[CloudEvent]:
    events = [*every_step_type().values(), request_submitted(contact=CONTACT), joined(),
              *deadline_alerts().values(), *violations.every_kind().values()]
    for event in events:
        contracts.validate(event)
    return events


def rendered(event: CloudEvent, audience: str, template: str, channel: str, language: str) -> OutgoingMessage:
    data = {k: v for k, v in event.data.items() if k != "contact"}
    context = {"data": data, "event": {**event.to_dict(), "data": data}}
    return RENDERER.render(Delivery("k" * 64, event.id, event.type, audience, "someone", channel,
                                    template_name(audience, template, channel), context, language=language,
                                    request_id=data.get("request_id"), locality_code=LOCALITY))


CASES = [(event, rule, audience, channel, language)
         for event in real_events() for rule in RULES.for_event(event.type, LOCALITY, event.data)
         for audience in rule.to for channel in RULES.channels_of(rule, audience) for language in ("vi", "en")]


def test_every_event_type_of_the_rules_has_a_real_event_here():
    covered = {event.type for event, *_ in CASES}
    assert RULES.event_types <= covered
    assert {"due_soon", "overdue", "escalated"} <= {rule.template for _, rule, *_ in CASES}


@pytest.mark.parametrize(("event", "rule", "audience", "channel", "language"), CASES,
                         ids=[f"{r.template}-{a}-{c}-{lang}" for _, r, a, c, lang in CASES])
def test_every_template_renders_from_a_real_event_of_its_type(event, rule, audience, channel, language):
    message = rendered(event, audience, rule.template, channel, language)
    if channel == WEBHOOK:
        body = json.loads(message.body)
        assert body["type"] == event.type and "contact" not in body["data"]
        return
    code = event.data["tracking_code"]
    for text in (message.subject, message.body):
        assert text.strip() and "{{" not in text and "None" not in text and "Undefined" not in text
        assert code in text
    if channel == SMS:
        assert fits(without_diacritics(message.body), 2), message.body
    if language == "vi" and audience == "requester":
        assert any(ch in message.body for ch in "ạảấầẩẫậăắằẳẵặđêếềểễệôốồổỗộơớờởỡợưứừửữự")


def _requester(event_type: str, language: str = "vi") -> OutgoingMessage:
    event = next(e for e in real_events() if e.type == event_type)
    [rule] = [r for r in RULES.for_event(event_type, LOCALITY, event.data) if "requester" in r.to]
    assert rule.statutory
    return rendered(event, "requester", rule.template, EMAIL, language)


def test_the_refusal_notice_names_its_ground_its_reason_and_the_competent_agency():
    vi = _requester("vn.giaitrinh.case.refused.v1").body
    assert "thuộc thẩm quyền của cơ quan khác" in vi and "Thuộc thẩm quyền cấp tỉnh." in vi
    assert "Sở Tài nguyên và Môi trường tỉnh Quảng Trị" in vi
    assert "the matter belongs to another agency" in _requester("vn.giaitrinh.case.refused.v1", "en").body


def test_the_extension_notice_gives_the_new_deadline_and_the_reason():
    event = every_step_type()["vn.giaitrinh.case.extended.v1"]
    due = date.fromisoformat(event.data["details"]["answer_by"])
    vi = _requester("vn.giaitrinh.case.extended.v1").body
    assert f"{due.day:02d}/{due.month:02d}/{due.year}" in vi and "Vụ việc phức tạp" in vi


def test_the_explanation_notice_carries_the_explanation_and_where_to_read_it():
    vi = _requester("vn.giaitrinh.case.answered.v1").body
    assert "Việc cấp phép tuân thủ quy hoạch đã duyệt." in vi and "Luật Đất đai 2024" in vi
    assert f"{PORTAL}/tra-cuu?ma=" in vi


def test_the_acceptance_notice_gives_the_explanations_deadline():
    event = every_step_type()["vn.giaitrinh.case.accepted.v1"]
    due = date.fromisoformat(event.data["deadlines"]["answer_by"])
    assert f"{due.day:02d}/{due.month:02d}/{due.year}" in _requester("vn.giaitrinh.case.accepted.v1").body


# -- the rules file ---------------------------------------------------------------------------
GOOD = """channels:
  requester: [email]
rules:
  - {event: vn.giaitrinh.case.accepted.v1, template: accepted, to: [requester], statutory: true}
"""


@pytest.mark.parametrize(("text", "line", "words"), [
    (GOOD.replace("to: [requester]", "to: [requestor]"), 4, "unknown audience 'requestor'"),
    (GOOD.replace("[email]", "[fax]"), 2, "unknown channel 'fax'"),
    (GOOD.replace("statutory: true", "statutary: true"), 4, "unknown key 'statutary'"),
    (GOOD.replace("case.accepted", "case.acepted"), 4, "unknown event type"),
    (GOOD + "  - {event: vn.giaitrinh.case.closed.v1, template: closed\n", 6, "not valid YAML"),
    (GOOD + "localities:\n  quang-tri: []\n", 6, "not a commune/ward code"),
    (GOOD.replace("template: accepted, ", ""), 4, "needs 'template'"),
])
def test_a_bad_rules_file_is_refused_naming_its_line(text, line, words):
    with pytest.raises(RulesError) as refused:
        parse_rules(text, "rules.yaml", known_types=contracts.known_types())
    assert f"rules.yaml, line {line}:" in str(refused.value) and words in str(refused.value)


def test_a_bad_rules_file_stops_the_worker_at_start(tmp_path, bus):
    bad = tmp_path / "rules.yaml"
    bad.write_text(GOOD.replace("[email]", "[pigeon]"))
    with pytest.raises(RulesError, match="line 2"):
        migrated_runtime("notify", f"sqlite:///{tmp_path}/n.db", bus, NOTIFY_RULES_FILE=str(bad))


def test_a_localitys_own_rules_replace_the_defaults_for_the_types_it_names():
    rules = parse_rules(DEFAULT_RULES.read_text() .replace("localities: {}", """localities:
  "18880":
    - {event: vn.giaitrinh.case.deadline_alert.v1, template: overdue, to: [official, unit_head, locality_head],
       when: {alert.kind: overdue}}"""), known_types=contracts.known_types())
    overdue = {"alert": {"kind": "overdue"}}
    assert rules.for_event("vn.giaitrinh.case.deadline_alert.v1", "18880", overdue)[0].to == (
        "official", "unit_head", "locality_head")
    assert rules.for_event("vn.giaitrinh.case.deadline_alert.v1", "18881", overdue)[0].to == ("official", "unit_head")
    assert rules.for_event("vn.giaitrinh.case.deadline_alert.v1", "18880", {"alert": {"kind": "due_soon"}}) == []


# -- from an event to the ledger -------------------------------------------------------------
@pytest.fixture
def runtime(tmp_path, bus):
    rt = migrated_runtime("notify", f"sqlite:///{tmp_path}/notify.db", bus)
    yield rt
    rt.close()


def consume(runtime, *events: CloudEvent, raw: list[tuple[str, bytes]] = ()) -> None:
    consuming.publish(runtime, *events, raw=raw)
    consuming.drain(runtime.consumer())


def ledger(runtime) -> list[Delivery]:
    with runtime.unit_of_work() as uow:
        return uow.deliveries.listed(limit=1000)


def staff(account_id: str, role: str, **extra) -> CloudEvent:
    data = {"account_id": account_id, "name": account_id, "role": role, "localities": [LOCALITY],
            "active": True, "changed_at": "2026-11-01T00:00:00+00:00", **extra}
    return CloudEvent.new(type="vn.giaitrinh.account.changed.v1", source="/tests", subject=account_id,
                          locality=LOCALITY, data=data, time=datetime(2026, 11, 1, tzinfo=UTC))


def test_the_requester_is_written_to_at_their_addresses_and_staff_by_their_roles(runtime):
    history = CaseHistory()
    history.submitted.data["contact"] = CONTACT  # the case's events follow this very event
    consume(runtime, staff("truong-phong", "unit_head", unit_code="dia-chinh", email="tp@example.vn"),
            staff("can-bo-1", "official", unit_code="dia-chinh"), history.submitted, *history.events)
    history.assign(official="can-bo-1")
    history.accept()
    consume(runtime, *history.events[-2:])
    rows = {(d.audience, d.template, d.recipient) for d in ledger(runtime)}
    assert ("requester", "requester/received/email", "dan@example.vn") in rows
    assert ("requester", "requester/received/sms", "+84 912 345 678") in rows
    assert ("requester", "requester/accepted/email", "dan@example.vn") in rows
    assert ("official", "official/assigned/in_app", "can-bo-1") in rows
    assert all(d.status == PENDING for d in ledger(runtime))


def test_a_missing_or_invalid_address_is_undeliverable_with_its_reason_and_blocks_nothing(runtime):
    consume(runtime, request_submitted(contact={"email": "dan@example.vn"}),
            request_submitted(),  # no contact at all: a statutory notice with nowhere to go
            staff("tp", "unit_head", unit_code="dia-chinh", email="not-an-address"))
    rows = ledger(runtime)
    nowhere = [d for d in rows if d.status == UNDELIVERABLE]
    assert [d.reason for d in nowhere] == ["no email address"]
    assert [d.recipient for d in rows if d.status == PENDING] == ["dan@example.vn"]
    with runtime.storage.engine.connect() as db:  # told on giaitrinh.deliveries.v1 by the outbox
        [failed] = db.execute(sa.select(runtime.storage.outbox.c.payload).where(
            runtime.storage.outbox.c.type == "vn.giaitrinh.delivery.failed.v1")).scalars()
    data = json.loads(failed)["data"]
    assert data["status"] == UNDELIVERABLE and data["reason"] == "no email address"
    assert "recipient" not in data


def counted(runtime, outcome: str) -> float:
    return sum(s.value for m in runtime.platform_metrics.registry.collect()
               if m.name == "giaitrinh_events_consumed" for s in m.samples
               if s.name.endswith("_total") and s.labels["outcome"] == outcome)


def test_an_unknown_type_is_skipped_and_counted_and_a_schema_invalid_one_dead_lettered(runtime):
    rated = CloudEvent.new(type="vn.giaitrinh.request.rated.v1", source="/tests", subject=str(uuid.uuid4()),
                           locality=LOCALITY, time=MONDAY, data={
                               "request_id": str(uuid.uuid4()), "tracking_code": "GT-7X9V-FH1S-T",
                               "locality_code": LOCALITY, "rated_at": MONDAY.isoformat(), "rating": 4})
    teleported = json.loads(request_submitted(contact=CONTACT).to_json())
    teleported["type"] = "vn.giaitrinh.request.teleported.v1"  # in no contract at all
    invalid = json.loads(request_submitted(contact=CONTACT).to_json())
    invalid["data"]["tracking_code"] = "not a code"
    good = request_submitted(contact={"email": "ok@example.vn"})
    consume(runtime, rated, good, raw=[(topics.REQUESTS, json.dumps(teleported).encode()),
                                       (topics.REQUESTS, json.dumps(invalid).encode())])
    assert counted(runtime, "ignored") == 1  # a type notify has no rule for: skipped, counted
    dead = {json.loads(m.value)["id"]: m.header("x-dead-letter-reason") or m.headers
            for m in runtime.bus.records(topics.dead_letter_topic(topics.REQUESTS, "notify"))}
    assert set(dead) == {teleported["id"], invalid["id"]}
    assert [d.recipient for d in ledger(runtime)] == ["ok@example.vn"]


class Recording:
    """A channel that keeps what it is given (the sender loop is under test, not a channel)."""

    name = EMAIL

    def __init__(self):
        self.sent: list[OutgoingMessage] = []

    def send(self, message):
        self.sent.append(message)
        return None


def test_a_template_error_parks_that_message_only(runtime, tmp_path):
    consume(runtime, request_submitted(contact={"email": "a@example.vn"}))
    history = CaseHistory()
    history.submitted.data["contact"] = {"email": "b@example.vn"}
    consume(runtime, history.submitted, *history.events)
    history.accept()
    consume(runtime, history.events[-1])
    broken = tmp_path / "templates"
    for path in Path(RENDERER.env.loader.searchpath[0]).rglob("*.j2"):
        target = broken / path.relative_to(RENDERER.env.loader.searchpath[0])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    (broken / "vi/requester/accepted.j2").write_text("{% block subject %}{{ d.at|vi_day }{% endblock %}")
    channel = Recording()
    sender = Sender(runtime.unit_of_work, {EMAIL: channel, IN_APP: channel}, TemplateRenderer(PORTAL, broken),
                    RetryPolicy(), runtime.now)
    sender.send_due()
    by_template = {d.template: d for d in ledger(runtime)}
    assert by_template["requester/accepted/email"].status == PARKED
    assert "template error" in by_template["requester/accepted/email"].reason
    assert by_template["requester/received/email"].status == SENT
    assert sorted(m.recipient for m in channel.sent) == ["a@example.vn", "b@example.vn"]


def test_the_sender_loop_counts_each_outcome_by_channel_for_prometheus(runtime):
    history = CaseHistory()
    consume(runtime, staff("can-bo-1", "official", unit_code="dia-chinh", email="cb1@example.vn"),
            history.submitted, *history.events)
    history.assign(official="can-bo-1")
    consume(runtime, history.events[-1])
    assert runtime.sender().send_due() == 2  # the official's inbox and email
    with runtime.unit_of_work() as uow:
        assert uow.staff_inbox.unread_count("can-bo-1") == 1
    samples = {(s.labels["channel"], s.labels["outcome"]): s.value
               for m in runtime.platform_metrics.registry.collect() if m.name == "giaitrinh_notify_deliveries"
               for s in m.samples if s.name.endswith("_total")}
    # No SMTP server is configured for this runtime: the email is undeliverable, with that reason.
    assert samples == {("in_app", "sent"): 1, ("email", "undeliverable"): 1}
    [email] = [d for d in ledger(runtime) if d.channel == EMAIL and d.audience == "official"]
    assert email.reason == "the email channel is not configured"


# -- supervisors hear of violation flags -------------------------------------------------------
def test_the_supervisors_of_the_locality_hear_of_a_violation_flag_in_app_and_by_email(runtime):
    history = CaseHistory()
    history.assign(official="can-bo-1")
    alert = violations.overdue_alert(history)
    flag = violations.flagged(alert, history)
    elsewhere = staff("ubkt-khac", "supervisor", body="ubkt", email="ubkt@example.vn")
    elsewhere.data["localities"] = ["18881"]
    consume(runtime, staff("hdnd", "supervisor", body="hdnd", email="hdnd@example.vn"),
            staff("mttq", "supervisor", body="mttq"), elsewhere,
            staff("can-bo-1", "official", unit_code="dia-chinh", email="cb1@example.vn"))
    consume(runtime, alert, flag)  # the directory knows the staff before (other topics interleave)
    told = {(d.recipient, d.channel, d.status) for d in ledger(runtime) if d.event_id == flag.id}
    # Not the UBKT of another ward, not the official; MTTQ's account gives no email: in the app only.
    assert told == {("hdnd", IN_APP, PENDING), ("hdnd@example.vn", EMAIL, PENDING), ("mttq", IN_APP, PENDING)}
    assert {d.template for d in ledger(runtime) if d.event_id == flag.id} == {
        "supervisors/violation_flagged/in_app", "supervisors/violation_flagged/email"}


def test_a_late_handling_flag_names_the_step_its_deadline_and_who_had_the_case():
    flag = violations.every_kind()["late_handling"]
    vi = rendered(flag, "supervisors", "violation_flagged", EMAIL, "vi")
    assert vi.subject == f"Cờ vi phạm: chậm giải trình, hồ sơ {flag.data['tracking_code']}"
    assert "không được thụ lý đúng hạn (hạn: 09/11/2026)" in vi.body and "cán bộ: can-bo-1" in vi.body
    assert vi.body.count(f"{PORTAL}/console/cases/{flag.data['case_id']}") == 1


def test_a_flag_whose_tracking_code_scoring_does_not_know_names_the_case():
    history = CaseHistory()
    promise = Commitment(str(uuid.uuid4()), history.case.id, history.request_id, LOCALITY,
                         "Cắm lại mốc", "dia-chinh", date(2026, 12, 15))
    alert = events_out.commitment_alert(promise, "overdue", datetime(2026, 12, 16, 2, tzinfo=UTC))
    flag = violations.flagged(alert, history, known=False)
    assert flag.data["tracking_code"] is None
    for language in ("vi", "en"):
        message = rendered(flag, "supervisors", "violation_flagged", IN_APP, language)
        assert history.case.id in message.subject and "None" not in message.subject + message.body
