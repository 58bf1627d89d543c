"""SMS through an HTTP gateway, against a real local HTTP server standing in for it: the request
is the one the settings describe (URL, method, JSON or form body, auth header), the delivery key
travels as the client reference, the text goes without diacritics when asked and must fit the
configured segments, and the gateway's answer means what it says — a 4xx is not retried, a 5xx
is, a gateway that hangs (or trickles its answer) is timed out."""
from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from giaitrinh_common.settings import SettingError
from giaitrinh_notify.adapters.sms_gateway import SmsGatewayChannel, SmsGatewayConfig
from giaitrinh_notify.domain.channels import SMS, DeliveryFailed, DeliveryRefused, OutgoingMessage
from giaitrinh_notify.domain.sms_text import fits, phone_number, sms_length, without_diacritics
from giaitrinh_notify.settings import NotifySettings
from tests.support.http_receiver import Reply, http_receiver

NOTICE = "Yêu cầu GT-7X9V-FH1S-T đã được tiếp nhận. Hạn giải trình: 15/12/2026."


def sms(text: str = NOTICE, to: str = "0912 345 678", key: str = "dk-0001") -> OutgoingMessage:
    return OutgoingMessage(delivery_key=key, channel=SMS, recipient=to, subject="", body=text)


def channel(url: str, **config) -> SmsGatewayChannel:
    return SmsGatewayChannel(SmsGatewayConfig(url=url + "/send", **config))


def deliver(ch: SmsGatewayChannel, message: OutgoingMessage, attempts: int = 4) -> tuple[str, int]:
    """The delivery loop's reading of a channel's answer (notify's sender loop keeps the same
    rule, with back-off between tries): refused stops at once, failed tries again."""
    for attempt in range(1, attempts + 1):
        try:
            ch.send(message)
            return "sent", attempt
        except DeliveryRefused:
            return "refused", attempt
        except DeliveryFailed:
            continue
    return "parked", attempts


def test_the_gateway_receives_the_configured_json_body_with_the_delivery_key_as_client_reference():
    with http_receiver() as gateway:
        ch = channel(gateway.url, auth_value="Bearer s3cret", reference_header="Idempotency-Key",
                     body_template='{"phone": "{to_digits}", "content": "{text}", "brand": "{sender}", '
                                   '"ref": "{reference}", "type": 2, "meta": {"n": "{to_national}"}}',
                     sender="UBND-PHUONG")
        ch.send(sms())
        [got] = gateway.received
    assert got.method == "POST" and got.path == "/send"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.headers["Authorization"] == "Bearer s3cret"
    assert got.headers["Idempotency-Key"] == "dk-0001"
    assert json.loads(got.body) == {
        "phone": "84912345678", "content": "Yeu cau GT-7X9V-FH1S-T da duoc tiep nhan. Han giai trinh: 15/12/2026.",
        "brand": "UBND-PHUONG", "ref": "dk-0001", "type": 2, "meta": {"n": "0912345678"}}


def test_a_form_body_goes_url_encoded_with_the_auth_header_the_gateway_names():
    with http_receiver() as gateway:
        ch = channel(gateway.url, body_format="form", auth_header="X-Api-Key", auth_value="k-123",
                     body_template='{"to": "{to}", "msg": "{text}", "client_ref": "{reference}"}')
        ch.send(sms(to="+84 912.345.678"))
        [got] = gateway.received
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert got.headers["X-Api-Key"] == "k-123" and "Authorization" not in got.headers
    assert parse_qs(got.body.decode()) == {"to": ["+84912345678"], "msg": [without_diacritics(NOTICE)],
                                           "client_ref": ["dk-0001"]}


def test_a_get_gateway_takes_the_fields_in_the_query_after_its_own():
    with http_receiver() as gateway:
        ch = SmsGatewayChannel(SmsGatewayConfig(url=gateway.url + "/api?user=u1", method="GET",
                                                body_format="form",
                                                body_template='{"to": "{to_national}", "text": "{text}"}'))
        ch.send(sms(text="Ma tra cuu: GT-7X9V-FH1S-T"))
        [got] = gateway.received
    assert got.method == "GET" and got.body == b""
    assert parse_qs(urlsplit(got.path).query) == {"user": ["u1"], "to": ["0912345678"],
                                                  "text": ["Ma tra cuu: GT-7X9V-FH1S-T"]}


def test_the_text_keeps_its_diacritics_when_the_gateway_takes_unicode():
    with http_receiver() as gateway:
        channel(gateway.url, strip_diacritics=False, max_segments=2).send(sms())
        assert json.loads(gateway.received[0].body)["text"] == NOTICE


def test_a_quote_or_a_line_break_in_the_text_cannot_break_the_gateways_json():
    text = 'Trả lời: "đã xong"\n}, "to": "+84999999999'
    with http_receiver() as gateway:
        channel(gateway.url, max_segments=3).send(sms(text=text))
        body = json.loads(gateway.received[0].body)
    assert body["to"] == "+84912345678" and body["text"] == without_diacritics(text)


def test_a_text_longer_than_the_configured_segments_is_refused_before_anything_is_sent():
    with http_receiver() as gateway:
        with pytest.raises(DeliveryRefused, match="2 segments"):
            channel(gateway.url).send(sms(text="a" * 161))
        with pytest.raises(DeliveryRefused, match="ucs2"):  # diacritics kept: 70 a segment
            channel(gateway.url, strip_diacritics=False).send(sms(text="ệ" * 71))
        with pytest.raises(DeliveryRefused, match="empty"):
            channel(gateway.url).send(sms(text="  \n "))
        channel(gateway.url).send(sms(text="ệ" * 160))  # stripped: 160 GSM characters, one segment
        assert len(gateway.received) == 1


@pytest.mark.parametrize("number", ["", "abc", "12345", "+84 91x 345 678", "0" * 30, "091234567８"])
def test_a_number_that_is_not_a_phone_number_is_refused_as_undeliverable(number):
    with http_receiver() as gateway:
        with pytest.raises(DeliveryRefused, match="not a phone number"):
            channel(gateway.url).send(sms(to=number))
        assert gateway.received == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_4xx_from_the_gateway_is_refused_and_not_retried(status):
    with http_receiver() as gateway:
        gateway.default = Reply(status, b'{"error": "invalid phone"}')
        assert deliver(channel(gateway.url), sms()) == ("refused", 1)
        assert len(gateway.received) == 1


def test_the_refusal_names_the_status_and_what_the_gateway_said():
    with http_receiver() as gateway:
        gateway.default = Reply(422, b'{"error": "brandname not registered"}')
        with pytest.raises(DeliveryRefused) as refused:
            channel(gateway.url, auth_value="Bearer s3cret").send(sms())
    assert "422" in str(refused.value) and "brandname not registered" in str(refused.value)
    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_retried_until_the_gateway_takes_it(status):
    with http_receiver() as gateway:
        gateway.replies = [Reply(status, b"busy"), Reply(status, b"busy")]
        assert deliver(channel(gateway.url), sms()) == ("sent", 3)
        assert [json.loads(r.body)["reference"] for r in gateway.received] == ["dk-0001"] * 3


@pytest.mark.parametrize("status", [408, 429])
def test_a_4xx_that_says_later_is_retried(status):
    with http_receiver() as gateway:
        gateway.replies = [Reply(status, b"slow down")]
        assert deliver(channel(gateway.url), sms()) == ("sent", 2)


def test_a_gateway_that_always_fails_is_parked_after_the_last_try():
    with http_receiver() as gateway:
        gateway.default = Reply(503)
        assert deliver(channel(gateway.url), sms(), attempts=3) == ("parked", 3)
        assert len(gateway.received) == 3


def test_a_hanging_gateway_is_timed_out():
    with http_receiver() as gateway:
        gateway.default = Reply(hang=30)
        started = time.monotonic()
        with pytest.raises(DeliveryFailed, match="within 0.5 s"):
            channel(gateway.url, timeout=0.5).send(sms())
        assert time.monotonic() - started < 3


def test_a_gateway_that_trickles_its_answer_is_timed_out_on_the_whole_exchange():
    # Each byte comes well within the time-out; the whole answer does not.
    with http_receiver() as gateway:
        gateway.default = Reply(200, b'{"ok": true, "padding": "' + b"x" * 200 + b'"}', trickle=0.1)
        started = time.monotonic()
        with pytest.raises(DeliveryFailed, match="within 0.6 s"):
            channel(gateway.url, timeout=0.6).send(sms())
        assert time.monotonic() - started < 3


def test_a_gateway_that_is_not_listening_is_a_temporary_failure():
    with http_receiver() as gateway:
        url = gateway.url
    with pytest.raises(DeliveryFailed, match="connection"):
        channel(url).send(sms())


def test_a_redirect_is_not_followed_and_is_refused():
    with http_receiver() as gateway:
        gateway.default = Reply(302, b"")
        assert deliver(channel(gateway.url), sms()) == ("refused", 1)


def test_the_gateways_own_id_is_read_from_its_answer():
    with http_receiver() as gateway:
        gateway.default = Reply(200, b'{"code": 0, "data": {"id": 98765}}')
        assert channel(gateway.url, id_field="data.id").send(sms()) == "98765"
        assert channel(gateway.url, id_field="data.missing").send(sms()) is None
        gateway.default = Reply(200, b"OK", "text/plain")
        assert channel(gateway.url, id_field="data.id").send(sms()) is None


def test_the_settings_build_the_gateway_and_no_url_means_no_sms_channel():
    assert SmsGatewayChannel.from_settings(NotifySettings.from_env({})) is None
    settings = NotifySettings.from_env({
        "NOTIFY_SMS_URL": "https://sms.example.vn/v1/send", "NOTIFY_SMS_METHOD": "put",
        "NOTIFY_SMS_BODY_FORMAT": "FORM", "NOTIFY_SMS_BODY_TEMPLATE": '{"p": "{to}", "m": "{text}"}',
        "NOTIFY_SMS_AUTH_VALUE": "Bearer s3cret", "NOTIFY_SMS_STRIP_DIACRITICS": "false",
        "NOTIFY_SMS_MAX_SEGMENTS": "3", "NOTIFY_SMS_TIMEOUT": "2.5"})
    ch = SmsGatewayChannel.from_settings(settings)
    assert ch is not None and ch.name == SMS
    config = ch.config
    assert (config.method, config.body_format, config.strip_diacritics, config.max_segments,
            config.timeout) == ("PUT", "form", False, 3, 2.5)
    assert "s3cret" not in repr(settings)  # a settings dump in a log keeps the secret


@pytest.mark.parametrize(("env", "named"), [
    ({"NOTIFY_SMS_BODY_TEMPLATE": '{"to": "{to}", "text": "{txt}"}'}, "{txt}"[1:-1]),
    ({"NOTIFY_SMS_BODY_TEMPLATE": '{"to": "{to}"}'}, "{text}"),
    ({"NOTIFY_SMS_BODY_TEMPLATE": '["{to}", "{text}"]'}, "JSON object"),
    ({"NOTIFY_SMS_BODY_TEMPLATE": '{"to": "{to}", "text": '}, "not JSON"),
    ({"NOTIFY_SMS_BODY_FORMAT": "form", "NOTIFY_SMS_BODY_TEMPLATE": '{"to": "{to}", "t": {"x": "{text}"}}'}, "flat"),
    ({"NOTIFY_SMS_BODY_FORMAT": "xml"}, "json or form"),
    ({"NOTIFY_SMS_METHOD": "DELETE"}, "NOTIFY_SMS_METHOD"),
    ({"NOTIFY_SMS_METHOD": "GET"}, "query"),
    ({"NOTIFY_SMS_MAX_SEGMENTS": "0"}, "NOTIFY_SMS_MAX_SEGMENTS"),
    ({"NOTIFY_SMS_TIMEOUT": "0"}, "NOTIFY_SMS_TIMEOUT"),
    ({"NOTIFY_SMS_AUTH_HEADER": "X Api Key"}, "header name"),
    ({"NOTIFY_SMS_URL": "ftp://sms.example.vn/"}, "NOTIFY_SMS_URL"),
])
def test_a_mistake_in_the_gateways_settings_stops_the_start_naming_it(env, named):
    with pytest.raises(SettingError, match=named.replace("{", r"\{").replace("}", r"\}")):
        NotifySettings.from_env({"NOTIFY_SMS_URL": "http://127.0.0.1:1/send", **env})


# -- the text's length --------------------------------------------------------------------------
def test_a_gsm_text_takes_160_in_one_segment_and_153_a_segment_after():
    assert sms_length("a" * 160).segments == 1
    assert sms_length("a" * 161).segments == 2
    assert sms_length("a" * 306).segments == 2 and sms_length("a" * 307).segments == 3
    assert sms_length("{" * 80) == sms_length("a" * 160)  # an extension character takes two places


def test_one_vietnamese_letter_makes_the_whole_text_ucs2_at_70_a_segment():
    assert sms_length("ệ" + "a" * 69).segments == 1
    assert sms_length("ệ" + "a" * 70) == type(sms_length(""))("ucs2", 71, 2)
    assert fits(without_diacritics("ệ" + "a" * 159), 1)
    assert not fits("", 1)


def test_diacritics_come_off_every_vietnamese_letter_and_typographic_marks_turn_plain():
    assert without_diacritics("Đường Nguyễn Trãi – “số 5”… ơ ư ă â ê ô") == 'Duong Nguyen Trai - "so 5"... o u a a e o'
    assert sms_length(without_diacritics("ẮẰẲẴẶ ỨỪỬỮỰ đĐ")).encoding == "gsm7"


def test_a_phone_number_is_read_in_the_three_forms_gateways_ask_for():
    number = phone_number("0912 345 678")
    assert number is not None
    assert (number.e164, number.national, number.digits) == ("+84912345678", "0912345678", "84912345678")
    assert phone_number("+84-912-345-678") == number == phone_number("0084912345678")
    assert phone_number("+1 202 555 0100").national == "+12025550100"
