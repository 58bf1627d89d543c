"""Rendering a recorded delivery into the message a channel sends, from the Jinja templates in
``giaitrinh_notify/templates/<language>/<audience>/<template>.j2``.

One file per (event's template, audience, language) holds the message for every channel that
carries it: block ``subject``; block ``body`` (email and the in-app inbox); block ``short`` (SMS).
The ledger's template name is ``<audience>/<template>/<channel>``, so the delivery key still
differs per channel. A webhook's body is the event itself, as JSON (personal data removed).

A template that fails — a syntax error, a filter given nothing where a date must be — raises
:class:`TemplateProblem`; the sender parks that message and goes on with the others.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from giaitrinh_notify.domain.channels import SMS, WEBHOOK, OutgoingMessage
from giaitrinh_notify.domain.deliveries import Delivery
from giaitrinh_notify.domain.messages import MONTHS, REFUSAL_GROUNDS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

FIELDS_VI = {"land": "đất đai", "construction": "xây dựng", "environment": "môi trường",
             "finance": "tài chính", "public_procurement": "mua sắm công", "personnel": "tổ chức cán bộ",
             "administrative_procedures": "thủ tục hành chính", "justice": "tư pháp",
             "social_affairs": "xã hội", "health": "y tế", "education": "giáo dục", "other": "khác"}


class TemplateProblem(Exception):
    """The message's template could not be rendered; the reason is the exception's text."""


def _day(value: Any) -> date:
    if isinstance(value, jinja2.Undefined) or value in (None, ""):
        raise TemplateProblem("a date the template needs is missing from the event")
    text = str(value)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date() if "T" in text else date.fromisoformat(text)


def vi_day(value: Any) -> str:
    d = _day(value)
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def en_day(value: Any) -> str:
    d = _day(value)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def excerpt(value: Any, limit: int) -> str:
    text = str(value or "").strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def environment(directory: Path = TEMPLATES) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(directory)), autoescape=False,
                             keep_trailing_newline=False, undefined=jinja2.Undefined)
    env.filters.update(
        vi_day=vi_day, en_day=en_day, excerpt=excerpt,
        ground_vi=lambda g: REFUSAL_GROUNDS.get(str(g), ("căn cứ khác", ""))[0],
        ground_en=lambda g: REFUSAL_GROUNDS.get(str(g), ("", "another ground"))[1],
        field_vi=lambda f: FIELDS_VI.get(str(f), str(f)),
        step_vi=lambda s: "thụ lý" if s == "accept" else "giải trình",
        step_en=lambda s: "accepted or refused" if s == "accept" else "explained")
    return env


def template_name(audience: str, template: str, channel: str) -> str:
    """The ledger's name of a template (part of the delivery key)."""
    return f"{audience}/{template}/{channel}"


class TemplateRenderer:
    """``portal_url``: the site's address the links in messages start with."""

    def __init__(self, portal_url: str = "http://localhost:8080", directory: Path = TEMPLATES):
        self.portal_url = portal_url.rstrip("/")
        self.env = environment(directory)

    def link(self, delivery: Delivery) -> str:
        data = delivery.context.get("data", {})
        if delivery.audience == "requester":
            own = delivery.context.get("requester_link")
            return self.portal_url + (own or f"/tra-cuu?ma={data.get('tracking_code', '')}")
        case_id = data.get("case_id")
        return self.portal_url + (f"/console/cases/{case_id}" if case_id else "/console")

    def render(self, delivery: Delivery) -> OutgoingMessage:
        data: Mapping[str, Any] = delivery.context.get("data", {})
        headers = {"request_id": delivery.request_id or "", "locality_code": delivery.locality_code or "",
                   "topic": delivery.template.split("/")[1] if "/" in delivery.template else ""}
        if delivery.channel == WEBHOOK:
            body = json.dumps(delivery.context.get("event", {}), ensure_ascii=False, sort_keys=True)
            return OutgoingMessage(delivery.delivery_key, WEBHOOK, delivery.recipient, delivery.event_type,
                                   body, delivery.language, headers={})
        audience, template, _channel = delivery.template.split("/")
        name = f"{delivery.language}/{audience}/{template}.j2"
        link = self.link(delivery)
        values = {"d": data, "code": data.get("tracking_code", ""), "link": link}
        try:
            tpl = self.env.get_template(name)
            ctx = tpl.new_context(values)
            subject = "".join(tpl.blocks["subject"](ctx)).strip()
            text = "".join(tpl.blocks["short" if delivery.channel == SMS else "body"](ctx)).strip()
        except TemplateProblem:
            raise
        except (jinja2.TemplateError, KeyError, ValueError, TypeError) as exc:
            raise TemplateProblem(f"template {name}: {type(exc).__name__}: {exc}") from None
        if not subject or not text:
            raise TemplateProblem(f"template {name} rendered an empty subject or text")
        if delivery.audience != "requester":
            headers["link"] = link[len(self.portal_url):] if link.startswith(self.portal_url) else ""
        return OutgoingMessage(delivery.delivery_key, delivery.channel, delivery.recipient,
                               " ".join(subject.split()), text, delivery.language, headers=headers)
