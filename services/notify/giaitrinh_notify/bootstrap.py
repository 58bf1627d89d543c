"""Notify's composition root."""
from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

from prometheus_client import Counter

from giaitrinh_common import contracts
from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_common.worker import PeriodicJob
from giaitrinh_notify.adapters import orm
from giaitrinh_notify.adapters.email_smtp import SmtpEmailChannel
from giaitrinh_notify.adapters.in_app import InAppChannel
from giaitrinh_notify.adapters.rules_file import parse_rules
from giaitrinh_notify.adapters.templates import TemplateRenderer
from giaitrinh_notify.domain.channels import EMAIL, IN_APP, SMS, WEBHOOK, Channel
from giaitrinh_notify.domain.deliveries import RetryPolicy
from giaitrinh_notify.domain.messages import NOTICES
from giaitrinh_notify.domain.rules import Rules
from giaitrinh_notify.service_layer import handlers
from giaitrinh_notify.service_layer.deliveries import ACCOUNT_CHANGED, Sender
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
        self.delivery_counter = Counter("giaitrinh_notify_deliveries", "Deliveries handled by the sender "
                                        "loop, by channel and outcome (sent, retry, parked, undeliverable)",
                                        ["channel", "outcome"], registry=self.platform_metrics.registry)

    def handlers(self):
        types = set(NOTICES) | self.rules.event_types | {ACCOUNT_CHANGED} | {
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

    def sender(self) -> Sender:
        s = self.settings
        return Sender(unit_of_work=self.unit_of_work, channels=self.channels(), renderer=self.renderer,
                      policy=RetryPolicy(s.max_tries, s.retry_base, s.retry_cap), clock=self.now,
                      lease=timedelta(seconds=s.send_lease),
                      count=lambda channel, outcome: self.delivery_counter.labels(channel, outcome).inc())

    def jobs(self):
        sender = self.sender()
        return (PeriodicJob("deliveries", self.settings.send_interval, sender.send_due),)


def bootstrap(settings: NotifySettings | None = None, **kwargs) -> NotifyRuntime:
    return NotifyRuntime(settings or NotifySettings.from_env(), **kwargs)
