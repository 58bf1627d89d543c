"""Every channel keeps the channel contract (tests/contracts/channel_contract.py): the in-memory
fake the delivery loop's tests use, the SMS gateway and webhooks against a real local HTTP server,
and the in-app inbox on a real (SQLite) database."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from giaitrinh_notify.adapters.in_app import InAppChannel
from giaitrinh_notify.adapters.memory_channel import InMemoryChannel
from giaitrinh_notify.adapters.sms_gateway import SmsGatewayChannel, SmsGatewayConfig
from giaitrinh_notify.adapters.webhooks import WebhookChannel, new_signing_secret
from giaitrinh_notify.domain.channels import SMS
from giaitrinh_notify.domain.webhooks import SigningSecret, WebhookSubscription
from tests.contracts.channel_contract import ChannelContract
from tests.support.factories import migrated_runtime
from tests.support.http_receiver import Reply, http_receiver


class TestInMemoryChannel(ChannelContract):
    @pytest.fixture
    def channel(self):
        return InMemoryChannel(SMS)

    @pytest.fixture
    def reachable(self):
        return "+84912345678"

    @pytest.fixture
    def unreachable(self):
        return " "

    @pytest.fixture
    def arrived(self, channel):
        return channel.keys_sent

    @pytest.fixture
    def other_side_refuses(self, channel, reachable):
        return lambda: channel.refuse(reachable)

    @pytest.fixture
    def other_side_fails_once(self, channel, reachable):
        return lambda: channel.fail(reachable)


class HttpReceiverChannel(ChannelContract):
    @pytest.fixture
    def receiver(self):
        with http_receiver() as receiver:
            yield receiver

    @pytest.fixture
    def other_side_refuses(self, receiver):
        return lambda: receiver.replies.append(Reply(400, b'{"error": "no"}'))

    @pytest.fixture
    def other_side_fails_once(self, receiver):
        return lambda: receiver.replies.append(Reply(503, b"busy"))


class TestSmsGatewayChannel(HttpReceiverChannel):
    @pytest.fixture
    def channel(self, receiver):
        return SmsGatewayChannel(SmsGatewayConfig(url=receiver.url + "/send", timeout=5))

    @pytest.fixture
    def reachable(self):
        return "0912345678"

    @pytest.fixture
    def unreachable(self):
        return "không phải số"

    @pytest.fixture
    def arrived(self, receiver):
        return lambda: [json.loads(r.body)["reference"] for r in receiver.received]


class TestWebhookChannel(HttpReceiverChannel):
    @pytest.fixture
    def channel(self, receiver):
        now = datetime(2026, 11, 28, tzinfo=UTC)
        sub = WebhookSubscription("wh-1", receiver.url + "/hooks", ("*",), None, "", True, now,
                                  (SigningSecret("s1", new_signing_secret(), now),))
        return WebhookChannel({"wh-1": sub}.get, timeout=5, allow_http=True, clock=lambda: now.timestamp())

    @pytest.fixture
    def reachable(self):
        return "wh-1"

    @pytest.fixture
    def unreachable(self):
        return "wh-unknown"

    @pytest.fixture
    def arrived(self, receiver):
        return lambda: [r.headers["webhook-id"] for r in receiver.received]


class TestInAppChannel(ChannelContract):
    answers_refusals_and_failures = False

    @pytest.fixture
    def notify(self, bus, sqlite_url):
        runtime = migrated_runtime("notify", sqlite_url("notify"), bus)
        yield runtime
        runtime.close()

    @pytest.fixture
    def channel(self, notify):
        return InAppChannel(notify.unit_of_work)

    @pytest.fixture
    def reachable(self):
        return "acc-1"

    @pytest.fixture
    def unreachable(self):
        return "  "

    @pytest.fixture
    def arrived(self, notify):
        def keys():
            with notify.unit_of_work() as uow:
                items, _ = uow.staff_inbox.page("acc-1", unread_only=False, offset=0, limit=100)
            return [m.delivery_key for m in reversed(items)]
        return keys
