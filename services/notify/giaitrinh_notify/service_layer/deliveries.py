"""From an event to recorded deliveries, and from recorded deliveries to sent messages.

:func:`plan` runs in the consumer's transaction (the event's inbox row, the directory's update
and every delivery it causes commit together: an event is planned exactly once). It only
*records*; :meth:`Sender.send_due` — the sender loop, a worker job — sends what is recorded, one
message at a time, each completed in its own transaction.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.topics import DELIVERIES
from giaitrinh_notify.adapters.templates import TemplateProblem, TemplateRenderer, template_name
from giaitrinh_notify.domain.channels import EMAIL, IN_APP, SMS, WEBHOOK, Channel, DeliveryFailed, DeliveryRefused
from giaitrinh_notify.domain.deliveries import (
    PENDING,
    UNDELIVERABLE,
    Delivery,
    RetryPolicy,
    delivery_key,
    is_email_address,
)
from giaitrinh_notify.domain.preferences import (
    DEFAULT_REQUESTER_CHANNELS,
    DEFAULT_STAFF_CHANNELS,
    requester_person,
    staff_person,
)
from giaitrinh_notify.domain.rules import (
    LOCALITY_HEAD,
    OFFICIAL,
    REQUESTER,
    SUPERVISORS,
    SYSTEMS,
    UNIT_HEAD,
    Rules,
)
from giaitrinh_notify.domain.sms_text import phone_number
from giaitrinh_notify.service_layer.channels import channels_for_person

log = logging.getLogger(__name__)

ACCOUNT_CHANGED = "vn.giaitrinh.account.changed.v1"
SUBMITTED, JOINED = "vn.giaitrinh.request.submitted.v1", "vn.giaitrinh.request.joined.v1"
JOIN_WITHDRAWN = "vn.giaitrinh.request.join_withdrawn.v1"
DELIVERY_SENT, DELIVERY_FAILED = "vn.giaitrinh.delivery.sent.v1", "vn.giaitrinh.delivery.failed.v1"


# -- who ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """One person (or system) a rule names, with an address per channel ("" = none)."""

    key: str | None  # account:<id>, request:<tracking code>, None for a system
    addresses: Mapping[str, str]
    language: str = "vi"


def remember(event: CloudEvent, uow) -> None:
    """Keep what notify needs later to know who to tell."""
    data = event.data
    if event.type == ACCOUNT_CHANGED:
        uow.directory.remember_staff(data, event.time)
    elif event.type in (SUBMITTED, JOINED) and data.get("contact"):
        uow.directory.remember_contact(data["request_id"], "submitted" if event.type == SUBMITTED else event.id,
                                       data["tracking_code"], data["locality_code"], data["contact"], event.time)
    elif event.type == JOIN_WITHDRAWN and data.get("joined_event_id"):
        uow.directory.forget_joiner(data["request_id"], data["joined_event_id"], data["tracking_code"],
                                    data["locality_code"], event.time)
    elif event.type.startswith("vn.giaitrinh.case.") and data.get("request_id"):
        details = data.get("details") or {}
        moved = event.type.endswith(".transferred.v1")
        uow.directory.note_handling(
            data["request_id"], data["locality_code"], int(data.get("version") or 0),
            unit_code=details.get("to_unit") or details.get("unit_code") or data.get("unit_code"),
            official_id=details.get("official_id") or data.get("official_id"), clear_official=moved)


def _staff_person(s) -> Person:
    return Person(staff_person(s.account_id), {IN_APP: s.account_id, EMAIL: s.email or "", SMS: s.phone or ""})


def people(audience: str, event: CloudEvent, uow) -> list[Person]:
    data = event.data
    request_id = data.get("request_id")
    locality = data.get("locality_code") or event.locality
    if audience == REQUESTER:
        only = event.id if event.type == JOINED else None  # a joiner's notice is the joiner's
        if only and request_id and uow.directory.has_left(request_id, only):
            return []  # they left before their joining was read: told nothing, not even that
        contacts = uow.directory.contacts(request_id, only) if request_id else []
        return [Person(requester_person(c.tracking_code), {EMAIL: c.email or "", SMS: c.phone or ""})
                for c in contacts] or [Person(requester_person(str(data.get("tracking_code", ""))), {})]
    if audience == SYSTEMS:
        return [Person(None, {WEBHOOK: sub.id})
                for sub in uow.webhook_subscriptions.wanting(event.type, locality)]
    handling = uow.directory.handling(request_id) if request_id else None
    unit = (handling.unit_code if handling else None) or data.get("unit_code")
    if audience == OFFICIAL:
        official = handling.official_id if handling else None
        return [_staff_person(s) for s in uow.directory.staff(account_id=official)] if official else []
    if audience == UNIT_HEAD:
        return [_staff_person(s) for s in uow.directory.staff(role="unit_head", locality_code=locality,
                                                              unit_code=unit)] if unit else []
    if audience == LOCALITY_HEAD:
        return [_staff_person(s) for s in uow.directory.staff(role="locality_head", locality_code=locality)]
    if audience == SUPERVISORS:
        return [_staff_person(s) for s in uow.directory.staff(role="supervisor", locality_code=locality)]
    return []


def address_problem(channel: str, address: str) -> str | None:
    """Why ``address`` cannot be used on ``channel``; None when it can."""
    if not address:
        return f"no {channel} address"
    if channel == EMAIL and not is_email_address(address):
        return f"not an email address: {address[:80]!r}"
    if channel == SMS and phone_number(address) is None:
        return f"not a phone number: {address[:40]!r}"
    return None


def _without_file_keys(data: dict[str, Any]) -> dict[str, Any]:
    """``case.answered`` without the key of each of the explanation's files: a key opens its file
    whether or not the explanation is published, and is the requester's alone (intake shows it
    on their own page)."""
    details = data.get("details")
    if not isinstance(details, dict) or not details.get("attachments"):
        return data
    files = [{k: v for k, v in f.items() if k != "key"} for f in details["attachments"]]
    return {**data, "details": {**details, "attachments": files}}


def _context(event: CloudEvent, audience: str, person: Person, uow) -> dict[str, Any]:
    data = {k: v for k, v in event.data.items() if k != "contact"}  # personal data stays out
    if audience != REQUESTER:
        data = _without_file_keys(data)
    if audience == SYSTEMS:
        body = event.to_dict()
        body["data"] = data
        return {"event": body}
    out: dict[str, Any] = {"data": data}
    if audience == REQUESTER and event.data.get("request_id"):
        link = next((c.requester_link for c in uow.directory.contacts(event.data["request_id"])
                     if c.requester_link and requester_person(c.tracking_code) == person.key), None)
        if link:
            out["requester_link"] = link
    return out


def plan(event: CloudEvent, uow, rules: Rules, now: datetime) -> int:
    """Record every message ``event`` causes under ``rules``; how many were recorded."""
    remember(event, uow)
    locality = event.data.get("locality_code") or event.locality
    recorded = 0
    for rule in rules.for_event(event.type, locality, event.data):
        for audience in rule.to:
            defaults = rules.channels_of(rule, audience)
            for person in people(audience, event, uow):
                reachable = [c for c, a in person.addresses.items() if a]
                if person.key is None:
                    chosen: Iterable[str] = [c for c in defaults if c in reachable]
                else:
                    fallback = DEFAULT_REQUESTER_CHANNELS if audience == REQUESTER else DEFAULT_STAFF_CHANNELS
                    chosen = channels_for_person(uow, person.key, statutory=rule.statutory, reachable=reachable,
                                                 default=defaults or fallback)
                chosen = [c for c in chosen if c in defaults or rule.statutory]
                if not chosen and rule.statutory:
                    chosen = [defaults[0]]  # told nowhere: logged undeliverable, with the reason
                for channel in chosen:
                    address = person.addresses.get(channel, "")
                    problem = address_problem(channel, address)
                    template = template_name(audience, rule.template, channel)
                    delivery = Delivery(
                        delivery_key=delivery_key(event.id, f"{person.key}|{address}", channel, template),
                        event_id=event.id, event_type=event.type, audience=audience,
                        recipient=address or "-", channel=channel, template=template,
                        context=_context(event, audience, person, uow), language=person.language,
                        statutory=rule.statutory, request_id=event.data.get("request_id"),
                        locality_code=locality, person=person.key,
                        status=UNDELIVERABLE if problem else PENDING, reason=problem)
                    if uow.deliveries.record(delivery, now):
                        recorded += 1
                        if problem:
                            log.warning("notify: %s to %s over %s undeliverable: %s", event.type,
                                        person.key, channel, problem)
                            _emit_outcome(uow, delivery, DELIVERY_FAILED, now)
    return recorded


# -- sending --------------------------------------------------------------------------------
def _emit_outcome(uow, delivery: Delivery, type_: str, now: datetime, *, status: str | None = None,
                  reason: str | None = None, attempts: int | None = None) -> None:
    data: dict[str, Any] = {
        "delivery_key": delivery.delivery_key, "event_id": delivery.event_id,
        "event_type": delivery.event_type, "channel": delivery.channel, "audience": delivery.audience,
        "template": delivery.template, "statutory": delivery.statutory,
        "status": status or delivery.status, "attempts": delivery.attempts if attempts is None else attempts,
        "at": now.isoformat()}
    if delivery.request_id:
        data["request_id"] = delivery.request_id
    if delivery.locality_code:
        data["locality_code"] = delivery.locality_code
    if type_ == DELIVERY_FAILED:
        data["reason"] = (reason or delivery.reason or "")[:2000]
    uow.emit(DELIVERIES, CloudEvent.new(
        type=type_, source="giaitrinh/notify", subject=delivery.request_id or delivery.delivery_key,
        locality=delivery.locality_code or "", data=data, time=now))


@dataclass
class Sender:
    """The sender loop's one step. ``channels``: the configured channels by name (a channel
    not configured makes its messages undeliverable, with that reason).

    Messages are taken a batch at a time (one transaction) and sent one at a time, each
    completed in its own transaction right after its send: a death between a send and its
    record leaves one message in doubt, never a batch (docs/ARCHITECTURE.md, "the one window").
    ``longest_send`` is how long one send may take at worst, by channel (for SMTP: connect,
    STARTTLS, AUTH and DATA, each up to its time-out; a channel not named: half the lease): a
    taken message is sent only while at least that much of its lease is left, so that no other
    loop can take it while it is on its way; the rest of a batch that ran late is given back,
    untried."""

    unit_of_work: Callable[[], Any]
    channels: Mapping[str, Channel]
    renderer: TemplateRenderer
    policy: RetryPolicy
    clock: Callable[[], datetime]
    lease: timedelta = timedelta(seconds=120)
    batch: int = 50
    count: Callable[[str, str], None] = lambda channel, outcome: None
    longest_send: Mapping[str, timedelta] = field(default_factory=dict)

    def send_due(self, max_batches: int = 20) -> int:
        """Send what is due, batch after batch until none is left (messages recorded while a
        batch was sent are sent in the same call, not after the loop's pause); how many were
        handled."""
        handled = 0
        for _ in range(max_batches):
            claimed_at = self.clock()
            with self.unit_of_work() as uow:
                taken = uow.deliveries.claim_due(claimed_at, self.batch, self.lease)
                uow.commit()
            if not taken:
                break
            for n, delivery in enumerate(taken):
                longest = self.longest_send.get(delivery.channel, self.lease / 2)
                if self.clock() + longest > claimed_at + self.lease:
                    self._give_back(taken[n:])
                    return handled + n
                self.send_one(delivery)
            handled += len(taken)
        for channel in self.channels.values():  # a held connection not needed any more
            close_idle = getattr(channel, "close_idle", None)
            if close_idle is not None:
                close_idle()
        return handled

    def _give_back(self, untried: list[Delivery]) -> None:
        log.warning("notify: %d taken messages given back untried: their lease would run out before "
                    "a slow send could end", len(untried))
        with self.unit_of_work() as uow:
            uow.deliveries.give_back(untried, self.clock())
            uow.commit()

    def send_one(self, delivery: Delivery) -> str:
        """Send one taken message and record how it went; the outcome's name."""
        provider_id, outcome, reason = None, "sent", ""
        try:
            message = self.renderer.render(delivery)
            channel = self.channels.get(delivery.channel)
            if channel is None:
                raise DeliveryRefused(f"the {delivery.channel} channel is not configured")
            provider_id = channel.send(message)
        except TemplateProblem as exc:
            outcome, reason = "parked", f"template error: {exc}"
        except DeliveryRefused as exc:
            outcome, reason = "undeliverable", str(exc) or type(exc).__name__
        except DeliveryFailed as exc:
            outcome, reason = "retry", str(exc) or type(exc).__name__
        except Exception as exc:  # a channel's own bug must not stop the loop: treated as temporary
            log.exception("notify: channel %s failed unexpectedly", delivery.channel)
            outcome, reason = "retry", f"{type(exc).__name__}: {exc}"
        now = self.clock()
        with self.unit_of_work() as uow:
            ledger = uow.deliveries
            if outcome == "sent":
                ledger.mark_sent(delivery.delivery_key, provider_id, now)
                _emit_outcome(uow, delivery, DELIVERY_SENT, now, status="sent")
            elif outcome == "retry":
                when = self.policy.next_try(delivery.attempts, now)
                if when is None:
                    outcome, reason = "parked", f"{reason} (after {delivery.attempts} tries)"
                else:
                    ledger.retry_at(delivery.delivery_key, reason, when, now)
            if outcome == "parked":
                ledger.park(delivery.delivery_key, reason, now)
                _emit_outcome(uow, delivery, DELIVERY_FAILED, now, status="parked", reason=reason)
            elif outcome == "undeliverable":
                ledger.undeliverable(delivery.delivery_key, reason, now)
                _emit_outcome(uow, delivery, DELIVERY_FAILED, now, status="undeliverable", reason=reason)
            uow.commit()
        if outcome != "sent":
            log.warning("notify: delivery %s over %s %s: %s", delivery.delivery_key[:12], delivery.channel,
                        outcome, reason)
        self.count(delivery.channel, outcome)
        return outcome
