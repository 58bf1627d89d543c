"""Notify's composition root."""
from __future__ import annotations

import functools
import threading
from datetime import timedelta
from pathlib import Path

from prometheus_client import Counter

from giaitrinh_common import contracts
from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_common.storage import Storage
from giaitrinh_common.worker import PeriodicJob
from giaitrinh_notify.adapters import orm
from giaitrinh_notify.adapters.email_smtp import SmtpEmailChannel
from giaitrinh_notify.adapters.in_app import InAppChannel
from giaitrinh_notify.adapters.ledger import sender_storage
from giaitrinh_notify.adapters.rules_file import parse_rules
from giaitrinh_notify.adapters.templates import TemplateRenderer
from giaitrinh_notify.domain.channels import EMAIL, IN_APP, SMS, WEBHOOK, Channel
from giaitrinh_notify.domain.deliveries import RetryPolicy
from giaitrinh_notify.domain.messages import NOTICES
from giaitrinh_notify.domain.rules import Rules
from giaitrinh_notify.service_layer import handlers
from giaitrinh_notify.service_layer.deliveries import ACCOUNT_CHANGED, JOIN_WITHDRAWN, Sender
from giaitrinh_notify.service_layer.unit_of_work import NotifyUnitOfWork
from giaitrinh_notify.settings import NotifySettings

DEFAULT_RULES = Path(__file__).resolve().parent / "notify_rules.yaml"


def load_rules(path: str | Path | None = None) -> Rules:
    """The rules file, checked against the contract's event types; RulesError names the line."""
    path = Path(path) if path else DEFAULT_RULES
    return parse_rules(path.read_text(encoding="utf-8"), str(path), known_types=contracts.known_types())


class NotifyRuntime(ServiceRuntime):
    service = "notify"
    metadata = orm.metadata
    unit_of_work_class = NotifyUnitOfWork
    settings: NotifySettings

    def __init__(self, settings, **kwargs):
        super().__init__(settings, **kwargs)
        self.rules = load_rules(settings.rules_file)  # refused at start, not at the first event
        self.renderer = TemplateRenderer(settings.portal_url)
        self.recorded = threading.Event()  # set when the consumer has committed new messages
        self._sender_storage: Storage | None = None
        self.delivery_counter = Counter("giaitrinh_notify_deliveries", "Deliveries handled by the sender "
                                        "loop, by channel and outcome (sent, retry, parked, undeliverable)",
                                        ["channel", "outcome"], registry=self.platform_metrics.registry)

    def handlers(self):
        types = set(NOTICES) | self.rules.event_types | {ACCOUNT_CHANGED, JOIN_WITHDRAWN} | {
            t for t in contracts.known_types() if t.startswith("vn.giaitrinh.case.")}
        return {t: functools.partial(self._handle, told=t in NOTICES) for t in sorted(types)}

    def _handle(self, event, uow, *, told: bool) -> None:
        now = self.now()
        if told:
            handlers.tell_requester(event, uow, now)
        handlers.plan_deliveries(event, uow, self.rules, now)

    # -- the sender loop ------------------------------------------------------------------------
    def channels(self) -> dict[str, Channel]:
        out: dict[str, Channel] = {IN_APP: InAppChannel(self.unit_of_work, clock=self.clock)}
        if self.settings.smtp is not None:
            out[EMAIL] = SmtpEmailChannel(self.settings.smtp)
        try:  # the SMS and webhook channels, where configured (adapters of their own)
            from giaitrinh_notify.adapters.sms_gateway import SmsGatewayChannel
            sms = SmsGatewayChannel.from_settings(self.settings)
            if sms is not None:
                out[SMS] = sms
            from giaitrinh_notify.adapters.webhooks import WebhookChannel

            def subscription(sub_id):
                with self.unit_of_work() as uow:
                    return uow.webhook_subscriptions.get(sub_id)
            out[WEBHOOK] = WebhookChannel(subscription, timeout=self.settings.webhook_timeout,
                                          allow_http=self.settings.webhook_allow_http, clock=self.clock)
        except ImportError:
            pass
        return out

    def longest_send(self) -> dict[str, timedelta]:
        """How long one send may take at worst, by channel: SMTP's connect, STARTTLS, AUTH and
        DATA each up to its time-out; an SMS or a webhook is bounded whole; the inbox is
        notify's own database, and a second write of a message is the same row."""
        s = self.settings
        out = {IN_APP: timedelta(0), WEBHOOK: timedelta(seconds=s.webhook_timeout)}
        if s.smtp is not None:
            out[EMAIL] = timedelta(seconds=4 * s.smtp.timeout)
        if s.sms_gateway is not None:
            out[SMS] = timedelta(seconds=s.sms_gateway.timeout)
        return out

    def unit_of_work(self) -> NotifyUnitOfWork:
        uow = NotifyUnitOfWork(self.storage)
        uow.on_recorded = self.recorded.set  # wakes the sender loop once new messages are committed
        return uow

    def sender_unit_of_work(self) -> NotifyUnitOfWork:
        """A unit of work on the sender loop's own connections, whose commits do not wait for
        the disk (see :func:`~giaitrinh_notify.adapters.ledger.sender_storage`)."""
        if self.storage.engine.url.database in (None, "", ":memory:"):
            return NotifyUnitOfWork(self.storage)  # an in-memory database exists once per engine
        if self._sender_storage is None:
            self._sender_storage = sender_storage(self.settings.database_url, self.metadata)
        return NotifyUnitOfWork(self._sender_storage)

    def close(self) -> None:
        super().close()
        if self._sender_storage is not None:
            self._sender_storage.engine.dispose()

    def sender(self) -> Sender:
        s = self.settings
        return Sender(unit_of_work=self.sender_unit_of_work, channels=self.channels(), renderer=self.renderer,
                      policy=RetryPolicy(s.max_tries, s.retry_base, s.retry_cap), clock=self.now,
                      lease=timedelta(seconds=s.send_lease), longest_send=self.longest_send(),
                      count=lambda channel, outcome: self.delivery_counter.labels(channel, outcome).inc())

    def jobs(self):
        sender = self.sender()
        interval = self.settings.send_interval

        def send_round() -> None:
            # Woken by the consumer's commit of new messages; the interval is only the longest
            # pause (retries coming due, another worker's messages), not a wait per message.
            self.recorded.clear()
            sender.send_due()
            self.recorded.wait(interval)
        return (PeriodicJob("deliveries", 0, send_round),)


def bootstrap(settings: NotifySettings | None = None, **kwargs) -> NotifyRuntime:
    return NotifyRuntime(settings or NotifySettings.from_env(), **kwargs)
