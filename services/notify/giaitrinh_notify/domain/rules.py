"""Quy tắc thông báo — which event goes to whom, over which channels, with which template.

The rules are data (``notify_rules.yaml`` beside this package, or the file ``NOTIFY_RULES_FILE``
names), read once at start by ``adapters/rules_file.py``. A file that does not parse, or names
an unknown audience, channel or key, is refused with its line (:class:`RulesError`): a worker
never runs on rules it half understood.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REQUESTER, OFFICIAL, UNIT_HEAD, LOCALITY_HEAD, SUPERVISORS, SYSTEMS = (
    "requester", "official", "unit_head", "locality_head", "supervisors", "systems")
AUDIENCES = (REQUESTER, OFFICIAL, UNIT_HEAD, LOCALITY_HEAD, SUPERVISORS, SYSTEMS)
RULE_KEYS = {"event", "template", "to", "statutory", "channels", "when"}


class RulesError(ValueError):
    """The rules file is refused; the message names the file and the line."""


@dataclass(frozen=True)
class Rule:
    event: str
    template: str
    to: tuple[str, ...]
    statutory: bool = False
    channels: tuple[str, ...] = ()  # empty: the audience's defaults
    when: tuple[tuple[str, str], ...] = ()  # (dotted path in the event's data, value)
    line: int = 0

    def applies(self, data: Mapping[str, Any]) -> bool:
        for path, wanted in self.when:
            value: Any = data
            for part in path.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            if str(value) != wanted:
                return False
        return True


@dataclass(frozen=True)
class Rules:
    default_channels: Mapping[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    localities: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)

    def for_event(self, event_type: str, locality_code: str | None,
                  data: Mapping[str, Any]) -> list[Rule]:
        """The rules that apply to one event: the locality's own for that type when it has any,
        else the defaults."""
        own = [r for r in self.localities.get(locality_code or "", ()) if r.event == event_type]
        chosen = own or [r for r in self.rules if r.event == event_type]
        return [r for r in chosen if r.applies(data)]

    def channels_of(self, rule: Rule, audience: str) -> tuple[str, ...]:
        return rule.channels or tuple(self.default_channels.get(audience, ()))

    @property
    def event_types(self) -> set[str]:
        return {r.event for r in self.rules} | {r.event for rs in self.localities.values() for r in rs}

    def every_rule(self) -> list[Rule]:
        return [*self.rules, *(r for rs in self.localities.values() for r in rs)]
