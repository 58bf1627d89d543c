"""Webhooks to registered systems, against a real local HTTP server standing in for the
receiver: each delivery is signed in the style of Standard Webhooks and verified here by an
implementation written from the specification, independent of notify's; a secret rotated with
an overlap signs beside the new one until the overlap ends; a 4xx is not retried, a 5xx is, a
receiver that hangs is timed out; a subscription switched off receives nothing."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from giaitrinh_notify.adapters import webhooks
from giaitrinh_notify.adapters.webhooks import WebhookChannel, new_signing_secret
from giaitrinh_notify.domain.channels import WEBHOOK, DeliveryFailed, DeliveryRefused, OutgoingMessage
from giaitrinh_notify.domain.webhooks import (
    SigningSecret,
    WebhookSubscription,
    event_type_problems,
    url_problems,
)
from tests.support.http_receiver import Received, Reply, http_receiver

T0 = datetime(2026, 11, 28, 8, tzinfo=UTC)
BODY = json.dumps({"type": "vn.giaitrinh.case.accepted.v1", "data": {"tracking_code": "GT-7X9V-FH1S-T",
                   "note": "Đã tiếp nhận"}}, ensure_ascii=False)


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()


def receiver_verifies(got: Received, secret: str, now: float, tolerance: int = 300) -> bool:
    """A receiver's check written from the Standard Webhooks specification alone: strip
    ``whsec_``, base64-decode the key, HMAC-SHA256 over ``id.timestamp.body``, compare with each
    space-separated ``v1,`` signature in constant time, and refuse an old timestamp."""
    h = {k.lower(): v for k, v in got.headers.items()}
    msg_id, timestamp, header = h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"]
    if abs(now - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + got.body, hashlib.sha256)
    expected = base64.b64encode(mac.digest())
    for part in header.split(" "):
        version, _, value = part.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return True
    return False


def subscription(url: str, *secrets: SigningSecret, active: bool = True) -> WebhookSubscription:
    return WebhookSubscription(id="wh-1", url=url + "/hooks/giaitrinh", event_types=("*",), locality_code=None,
                               description="Hệ thống một cửa tỉnh", active=active, created_at=T0,
                               secrets=secrets or (SigningSecret("s1", new_signing_secret(), T0),))


def message(key: str = "dk-42", body: str = BODY) -> OutgoingMessage:
    return OutgoingMessage(delivery_key=key, channel=WEBHOOK, recipient="wh-1", subject="", body=body)


def channel(subs: dict[str, WebhookSubscription], clock: Clock, **kw) -> WebhookChannel:
    return WebhookChannel(subs.get, timeout=kw.pop("timeout", 5.0), allow_http=True, clock=clock, **kw)


def deliver(ch: WebhookChannel, msg: OutgoingMessage, attempts: int = 4) -> tuple[str, int]:
    """The delivery loop's reading of a channel's answer: refused stops, failed tries again."""
    for attempt in range(1, attempts + 1):
        try:
            ch.send(msg)
            return "sent", attempt
        except DeliveryRefused:
            return "refused", attempt
        except DeliveryFailed:
            continue
    return "parked", attempts


def test_a_delivery_carries_the_delivery_key_the_timestamp_and_a_signature_the_receiver_verifies():
    clock = Clock(T0)
    with http_receiver() as receiver:
        sub = subscription(receiver.url)
        channel({"wh-1": sub}, clock).send(message())
        [got] = receiver.received
    assert got.method == "POST" and got.path == "/hooks/giaitrinh"
    assert got.headers["webhook-id"] == "dk-42"
    assert got.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert got.headers["Content-Type"] == "application/json"
    assert got.body == BODY.encode("utf-8")  # exactly the body that was signed
    assert receiver_verifies(got, sub.secrets[0].secret, now=clock())
    assert not receiver_verifies(got, new_signing_secret(), now=clock())  # another secret does not
    assert webhooks.verify(got.headers["webhook-signature"], sub.secrets[0].secret, "dk-42",
                           got.headers["webhook-timestamp"], got.body, now=clock())


def test_a_changed_body_id_or_timestamp_fails_the_receivers_check():
    clock = Clock(T0)
    with http_receiver() as receiver:
        sub = subscription(receiver.url)
        channel({"wh-1": sub}, clock).send(message())
        [got] = receiver.received
    secret = sub.secrets[0].secret
    tampered = [Received(got.method, got.path, got.headers, got.body.replace(b"GT-7X9V", b"GT-0000")),
                Received(got.method, got.path, {**got.headers, "webhook-id": "dk-43"}, got.body),
                Received(got.method, got.path, {**got.headers, "webhook-timestamp": str(int(clock()) + 1)}, got.body)]
    assert [receiver_verifies(t, secret, now=clock()) for t in tampered] == [False, False, False]
    assert not receiver_verifies(got, secret, now=clock() + 3600)  # replayed an hour later


def test_every_try_of_one_message_keeps_its_id_and_is_signed_at_its_own_time():
    clock = Clock(T0)
    with http_receiver() as receiver:
        receiver.replies = [Reply(503)]
        sub = subscription(receiver.url)
        ch = channel({"wh-1": sub}, clock)
        with pytest.raises(DeliveryFailed):
            ch.send(message())
        clock.at += timedelta(minutes=2)
        ch.send(message())
        first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "dk-42"
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 120
    assert receiver_verifies(second, sub.secrets[0].secret, now=clock())


def test_a_rotated_secret_signs_beside_the_new_one_until_the_overlap_ends():
    clock = Clock(T0)
    old = SigningSecret("s1", new_signing_secret(), T0)
    new = SigningSecret("s2", new_signing_secret(), T0 + timedelta(days=1))
    with http_receiver() as receiver:
        subs = {"wh-1": subscription(receiver.url, old)}
        ch = channel(subs, clock)
        clock.at = T0 + timedelta(days=1)
        subs["wh-1"] = subs["wh-1"].rotated(new, clock.at, timedelta(hours=24))
        ch.send(message("dk-during"))
        clock.at += timedelta(hours=23, minutes=59)
        ch.send(message("dk-late-in-overlap"))
        clock.at += timedelta(minutes=1)
        ch.send(message("dk-after"))
        during, late, after = receiver.received
    for got in (during, late):
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        # A receiver that has not swapped yet, and one that has, both accept it.
        sent_at = int(got.headers["webhook-timestamp"])
        assert receiver_verifies(got, old.secret, now=sent_at)
        assert receiver_verifies(got, new.secret, now=sent_at)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert receiver_verifies(after, new.secret, now=clock())
    assert not receiver_verifies(after, old.secret, now=clock())


def test_rotating_again_within_the_overlap_does_not_extend_the_oldest_secret():
    a, b, c = (SigningSecret(n, new_signing_secret(), T0 + timedelta(hours=i)) for i, n in enumerate("abc"))
    sub = subscription("https://x.example", a).rotated(b, T0 + timedelta(hours=1), timedelta(hours=24))
    sub = sub.rotated(c, T0 + timedelta(hours=2), timedelta(hours=24))
    ends = {s.id: s.expires_at for s in sub.secrets}
    assert ends == {"c": None, "b": T0 + timedelta(hours=26), "a": T0 + timedelta(hours=25)}
    assert sub.signing_secrets(T0 + timedelta(hours=25, seconds=1)) == (c.secret, b.secret)
    # An overlap of 0: the old secret stops at once.
    assert subscription("https://x.example", a).rotated(b, T0, timedelta(0)).signing_secrets(T0) == (b.secret,)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 413, 422])
def test_a_4xx_from_the_receiver_is_refused_and_not_retried(status):
    with http_receiver() as receiver:
        receiver.default = Reply(status, b"no")
        assert deliver(channel({"wh-1": subscription(receiver.url)}, Clock(T0)), message()) == ("refused", 1)
        assert len(receiver.received) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_5xx_or_a_429_is_retried_until_the_receiver_takes_it(status):
    with http_receiver() as receiver:
        receiver.replies = [Reply(status), Reply(status)]
        assert deliver(channel({"wh-1": subscription(receiver.url)}, Clock(T0)), message()) == ("sent", 3)
        assert {r.headers["webhook-id"] for r in receiver.received} == {"dk-42"}


def test_a_hanging_receiver_is_timed_out():
    with http_receiver() as receiver:
        receiver.default = Reply(hang=30)
        started = time.monotonic()
        with pytest.raises(DeliveryFailed, match="within 0.5 s"):
            channel({"wh-1": subscription(receiver.url)}, Clock(T0), timeout=0.5).send(message())
        assert time.monotonic() - started < 3


def test_a_redirect_is_not_followed():
    with http_receiver() as receiver:
        receiver.default = Reply(307, b"")
        assert deliver(channel({"wh-1": subscription(receiver.url)}, Clock(T0)), message()) == ("refused", 1)


def test_a_subscription_switched_off_or_gone_receives_nothing():
    with http_receiver() as receiver:
        off = channel({"wh-1": subscription(receiver.url, active=False)}, Clock(T0))
        with pytest.raises(DeliveryRefused, match="no active webhook subscription"):
            off.send(message())
        with pytest.raises(DeliveryRefused, match="no active webhook subscription"):
            channel({}, Clock(T0)).send(message())
        expired = SigningSecret("s0", new_signing_secret(), T0, expires_at=T0)
        with pytest.raises(DeliveryRefused, match="no secret"):
            channel({"wh-1": subscription(receiver.url, expired)}, Clock(T0)).send(message())
        assert receiver.received == []


def test_a_plain_http_receiver_is_refused_unless_the_settings_allow_it():
    with http_receiver() as receiver:
        ch = WebhookChannel({"wh-1": subscription(receiver.url)}.get, allow_http=False, clock=Clock(T0))
        with pytest.raises(DeliveryRefused, match="may not receive"):
            ch.send(message())
        assert receiver.received == []


def test_the_channels_own_headers_cannot_be_overridden_by_a_message():
    with http_receiver() as receiver:
        msg = OutgoingMessage(delivery_key="dk-42", channel=WEBHOOK, recipient="wh-1", subject="", body=BODY,
                              headers={"webhook-id": "forged", "Webhook-Signature": "v1,forged",
                                       "X-Giaitrinh-Type": "t"})
        channel({"wh-1": subscription(receiver.url)}, Clock(T0)).send(msg)
        [got] = receiver.received
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["webhook-id"] == "dk-42" and "forged" not in headers["webhook-signature"]
    assert headers["x-giaitrinh-type"] == "t"


def test_a_secret_is_whsec_and_base64_of_32_random_bytes():
    first, second = new_signing_secret(), new_signing_secret()
    assert first != second and first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    with pytest.raises(ValueError):
        webhooks.secret_key("whsec_not*base64")
    with pytest.raises(ValueError):
        webhooks.secret_key("sk_" + first[6:])


# -- what a subscription may be ---------------------------------------------------------------
@pytest.mark.parametrize("url", ["", None, 7, "http://receiver.example/h", "ftp://receiver.example/",
                                 "https:///nohost", "https://user:pw@receiver.example/h", "https://r.example/h#x",
                                 "https://r.example:99999/", "https://r.example/ h", "https://r.example/" + "a" * 2000,
                                 "https://rễ.example/"])
def test_a_receiving_address_must_be_https_with_a_host_and_nothing_secret_in_it(url):
    assert url_problems(url, allow_http=False)


def test_a_receiving_address_that_is_fine():
    assert url_problems("https://mot-cua.quangtri.gov.vn/hooks?x=1", allow_http=False) == []
    assert url_problems("http://10.0.0.5:8080/hooks", allow_http=True) == []


def test_subscribed_event_types_are_types_of_the_published_contract():
    known = ["vn.giaitrinh.case.accepted.v1", "vn.giaitrinh.case.refused.v1"]
    assert event_type_problems(["*"], known) == []
    assert event_type_problems(["vn.giaitrinh.case.accepted.v1"], known) == []
    assert [p.field for p in event_type_problems(["vn.giaitrinh.case.acepted.v1", 3, "*"], known)] == \
        ["event_types[0]", "event_types[1]", "event_types[2]"]
    assert event_type_problems([], known) and event_type_problems("*", known)
    assert event_type_problems(["vn.giaitrinh.case.accepted.v1"] * 2, known)[0].code == "duplicate_event_type"


def test_a_subscription_wants_its_types_of_its_locality_while_active():
    sub = WebhookSubscription("wh-2", "https://x.example", ("vn.giaitrinh.case.accepted.v1",), "18880", "",
                              True, T0)
    assert sub.wants("vn.giaitrinh.case.accepted.v1", "18880")
    assert not sub.wants("vn.giaitrinh.case.refused.v1", "18880")
    assert not sub.wants("vn.giaitrinh.case.accepted.v1", "19000")
    every = subscription("https://x.example")
    assert every.wants("vn.giaitrinh.case.refused.v1", "19000")
    assert not subscription("https://x.example", active=False).wants("vn.giaitrinh.case.refused.v1", "19000")


def test_the_settings_give_the_webhooks_time_out_plain_http_and_the_rotation_overlap():
    from giaitrinh_common.settings import SettingError
    from giaitrinh_notify.settings import NotifySettings

    defaults = NotifySettings.from_env({})
    assert (defaults.webhook_timeout, defaults.webhook_allow_http, defaults.webhook_secret_overlap_hours) == \
        (10.0, False, 24)
    settings = NotifySettings.from_env({"NOTIFY_WEBHOOK_TIMEOUT": "2.5", "NOTIFY_WEBHOOK_ALLOW_HTTP": "true",
                                        "NOTIFY_WEBHOOK_SECRET_OVERLAP_HOURS": "48"})
    ch = WebhookChannel.from_settings(settings, {}.get)
    assert (ch.timeout, ch.allow_http, settings.webhook_secret_overlap_hours) == (2.5, True, 48)
    for name, value in (("NOTIFY_WEBHOOK_TIMEOUT", "0"), ("NOTIFY_WEBHOOK_TIMEOUT", "soon"),
                        ("NOTIFY_WEBHOOK_SECRET_OVERLAP_HOURS", "-1"), ("NOTIFY_WEBHOOK_ALLOW_HTTP", "maybe")):
        with pytest.raises(SettingError, match=name):
            NotifySettings.from_env({name: value})


def test_a_secret_rotated_in_the_same_second_still_puts_the_new_one_first():
    a, b = SigningSecret("z-old", new_signing_secret(), T0), SigningSecret("a-new", new_signing_secret(), T0)
    sub = subscription("https://x.example", a).rotated(b, T0, timedelta(hours=1))
    assert [s.id for s in sub.secrets] == ["a-new", "z-old"]
    assert sub.signing_secrets(T0) == (b.secret, a.secret)
