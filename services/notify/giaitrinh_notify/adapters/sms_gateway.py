"""SMS through an HTTP gateway (*cổng SMS*), in the request format the operator configures.

Vietnamese SMS gateways each take their own request: a URL, a method, a JSON or a form body
with their own field names, an API key in a header. Rather than one adapter per vendor, the
request is described in the settings (README, "Notifications"):

  NOTIFY_SMS_URL             where to send (empty: no SMS channel)
  NOTIFY_SMS_METHOD          POST (default), PUT or GET (GET sends the fields in the query)
  NOTIFY_SMS_BODY_FORMAT     json (default) or form (application/x-www-form-urlencoded)
  NOTIFY_SMS_BODY_TEMPLATE   a JSON object: the body, with placeholders in its strings
  NOTIFY_SMS_AUTH_HEADER     the header that carries the credential (Authorization)
  NOTIFY_SMS_AUTH_VALUE      its value, e.g. "Bearer …" or the API key (a secret)
  NOTIFY_SMS_REFERENCE_HEADER a header that carries the client reference too (e.g. Idempotency-Key)
  NOTIFY_SMS_SENDER          the brand name or number, for {sender}
  NOTIFY_SMS_ID_FIELD        where the gateway's answer names its message id (e.g. data.id)
  NOTIFY_SMS_STRIP_DIACRITICS send the text without diacritics (true)
  NOTIFY_SMS_MAX_SEGMENTS    the most segments one message may take (1)
  NOTIFY_SMS_TIMEOUT         seconds for the whole exchange (10)

Placeholders: ``{to}`` (+84912345678), ``{to_national}`` (0912345678), ``{to_digits}``
(84912345678), ``{text}``, ``{reference}`` (the delivery key: a gateway that deduplicates on a
client reference drops a copy sent again after a crash between sending and recording) and
``{sender}``. A placeholder may sit inside a longer string (``"Bearer {reference}"`` is
allowed, if odd); an unknown one is refused when the settings are read, naming it. Values are
substituted into the parsed template and the body is serialised afterwards, so a quote or a
line break in a message cannot break the JSON or the form.

The text is checked before anything is sent: once stripped of diacritics (when asked), it must
fit :data:`max_segments` segments (:mod:`giaitrinh_notify.domain.sms_text`); a longer one, an
empty one or a number that is not a phone number is refused (:class:`DeliveryRefused`), since
sending it again cannot help. The gateway's answer means what :mod:`.outbound_http` says.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from giaitrinh_notify.adapters.outbound_http import exchange, raise_for_status
from giaitrinh_notify.domain.channels import SMS, DeliveryRefused, OutgoingMessage
from giaitrinh_notify.domain.sms_text import phone_number, sms_length, without_diacritics

PLACEHOLDERS = ("to", "to_national", "to_digits", "text", "reference", "sender")
DEFAULT_BODY_TEMPLATE = '{"to": "{to}", "text": "{text}", "reference": "{reference}"}'
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
METHODS = ("POST", "PUT", "GET")
FORMATS = ("json", "form")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value  # numbers, booleans, null: as written


@dataclass(frozen=True)
class SmsGatewayConfig:
    """The gateway's request format (see the module's docstring). Checked when built: a
    mistake in it stops the process at start, naming what is wrong, not at the first SMS."""

    url: str
    method: str = "POST"
    body_format: str = "json"
    body_template: str = DEFAULT_BODY_TEMPLATE
    auth_header: str = "Authorization"
    auth_value: str = field(default="", repr=False)  # a secret: never in a log line
    reference_header: str = ""
    sender: str = ""
    id_field: str = ""
    strip_diacritics: bool = True
    max_segments: int = 1
    timeout: float = 10.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"NOTIFY_SMS_URL must be an http(s) address, got {self.url!r}")
        if self.method not in METHODS:
            raise ValueError(f"NOTIFY_SMS_METHOD must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.body_format not in FORMATS:
            raise ValueError(f"NOTIFY_SMS_BODY_FORMAT must be json or form, got {self.body_format!r}")
        if self.method == "GET" and self.body_format != "form":
            raise ValueError("NOTIFY_SMS_METHOD GET sends the fields in the query: NOTIFY_SMS_BODY_FORMAT must be form")
        try:
            template = json.loads(self.body_template)
        except ValueError as exc:
            raise ValueError(f"NOTIFY_SMS_BODY_TEMPLATE is not JSON: {exc}") from None
        if not isinstance(template, dict) or not template:
            raise ValueError("NOTIFY_SMS_BODY_TEMPLATE must be a JSON object with the gateway's fields")
        if self.body_format == "form" and not all(isinstance(v, str) for v in template.values()):
            raise ValueError("a form body is flat: every value of NOTIFY_SMS_BODY_TEMPLATE must be a string")
        used = {m.group(1) for s in _strings(template) for m in _PLACEHOLDER.finditer(s)}
        unknown = sorted(used - set(PLACEHOLDERS))
        if unknown:
            raise ValueError(f"NOTIFY_SMS_BODY_TEMPLATE names unknown placeholders {unknown}; "
                             f"the placeholders are {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
        if "text" not in used or not used & {"to", "to_national", "to_digits"}:
            raise ValueError("NOTIFY_SMS_BODY_TEMPLATE must carry {text} and the number ({to}, "
                             "{to_national} or {to_digits})")
        if not 1 <= self.max_segments <= 10:
            raise ValueError(f"NOTIFY_SMS_MAX_SEGMENTS must be 1 to 10, got {self.max_segments}")
        if not 0 < self.timeout <= 120:
            raise ValueError(f"NOTIFY_SMS_TIMEOUT must be more than 0 and at most 120 s, got {self.timeout}")
        for name in (self.auth_header, self.reference_header):
            if name and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", name):
                raise ValueError(f"a header name is letters, digits and dashes, got {name!r}")
        if any(ch in self.auth_value for ch in "\r\n\x00"):
            raise ValueError("NOTIFY_SMS_AUTH_VALUE holds a line break")

    @property
    def template(self) -> dict[str, Any]:
        return json.loads(self.body_template)


class SmsGatewayChannel:
    """The SMS channel: ``recipient`` is a phone number, ``body`` the text, ``delivery_key``
    the client reference. Keeps :class:`~giaitrinh_notify.domain.channels.Channel`."""

    name = SMS

    def __init__(self, config: SmsGatewayConfig):
        self.config = config

    @classmethod
    def from_settings(cls, settings) -> SmsGatewayChannel | None:
        """The channel the settings describe, or None when no gateway is configured."""
        config = getattr(settings, "sms_gateway", None)
        return cls(config) if config is not None else None

    def text_of(self, message: OutgoingMessage) -> str:
        """The text as it will be sent (without diacritics when configured), or
        :class:`DeliveryRefused` when it is empty or longer than the gateway takes."""
        text = message.body.strip()
        if self.config.strip_diacritics:
            text = without_diacritics(text)
        if not text:
            raise DeliveryRefused("the SMS text is empty")
        length = sms_length(text)
        if length.segments > self.config.max_segments:
            raise DeliveryRefused(
                f"the SMS text takes {length.segments} segments ({length.units} {length.encoding} "
                f"characters); the gateway is configured for at most {self.config.max_segments}")
        return text

    def request(self, message: OutgoingMessage) -> tuple[str, dict[str, str], bytes | None]:
        """The URL, headers and body of the gateway request for ``message`` (checked first)."""
        number = phone_number(message.recipient)
        if number is None:
            raise DeliveryRefused(f"not a phone number: {message.recipient[:40]!r}")
        values = {"to": number.e164, "to_national": number.national, "to_digits": number.digits,
                  "text": self.text_of(message), "reference": message.delivery_key,
                  "sender": self.config.sender}
        fields = _fill(self.config.template, values)
        headers: dict[str, str] = {}
        if self.config.auth_value:
            headers[self.config.auth_header or "Authorization"] = self.config.auth_value
        if self.config.reference_header:
            headers[self.config.reference_header] = message.delivery_key
        url, body = self.config.url, None
        if self.config.method == "GET":
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, urlencode(fields)) if q)
            url = urlunsplit(parts._replace(query=query))
        elif self.config.body_format == "form":
            body = urlencode(fields).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(fields, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        return url, headers, body

    def send(self, message: OutgoingMessage) -> str | None:
        url, headers, body = self.request(message)
        answer = exchange(url, method=self.config.method, headers=headers, body=body,
                          timeout=self.config.timeout)
        raise_for_status(answer, "the SMS gateway")
        return self._provider_id(answer.body)

    def _provider_id(self, body: bytes) -> str | None:
        """The gateway's id for the message, at ``id_field`` (dotted) of a JSON answer."""
        if not self.config.id_field:
            return None
        try:
            value: Any = json.loads(body)
        except ValueError:
            return None
        for step in self.config.id_field.split("."):
            value = value.get(step) if isinstance(value, dict) else None
        return str(value)[:200] if isinstance(value, str | int) and not isinstance(value, bool) else None
