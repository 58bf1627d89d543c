"""Reading notify's rules file (YAML) into :class:`~giaitrinh_notify.domain.rules.Rules`,
keeping each node's line so that every refusal names where in the file the mistake is."""
from __future__ import annotations

import re

import yaml

from giaitrinh_notify.domain.channels import CHANNELS
from giaitrinh_notify.domain.rules import AUDIENCES, RULE_KEYS, Rule, Rules, RulesError

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_LOCALITY = re.compile(r"^[0-9]{1,10}$")


def _fail(source: str, node: yaml.Node | None, message: str) -> RulesError:
    line = node.start_mark.line + 1 if node is not None else 1
    return RulesError(f"{source}, line {line}: {message}")


def _scalar(source: str, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _fail(source, node, f"{what} must be a single value")
    return str(node.value).strip()


def _names(source: str, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise _fail(source, node, f"{what} must be a non-empty list")
    out = []
    for item in node.value:
        name = _scalar(source, item, what)
        if name not in allowed:
            raise _fail(source, item, f"unknown {what[:-1] if what.endswith('s') else what} "
                                      f"{name!r} (one of: {', '.join(allowed)})")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _mapping(node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _rule(source: str, node: yaml.Node, known_types: set[str] | None) -> Rule:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(source, node, "a rule must be a mapping with event, template and to")
    fields: dict[str, yaml.Node] = {}
    for key, value in _mapping(node):
        name = _scalar(source, key, "a key")
        if name not in RULE_KEYS:
            raise _fail(source, key, f"unknown key {name!r} in a rule (allowed: {', '.join(sorted(RULE_KEYS))})")
        fields[name] = value
    for needed in ("event", "template", "to"):
        if needed not in fields:
            raise _fail(source, node, f"a rule needs {needed!r}")
    event = _scalar(source, fields["event"], "event")
    if known_types is not None and event not in known_types:
        raise _fail(source, fields["event"], f"unknown event type {event!r}")
    template = _scalar(source, fields["template"], "template")
    if not _NAME.match(template):
        raise _fail(source, fields["template"], f"template {template!r} must be lower-case letters, digits, _")
    statutory = False
    if "statutory" in fields:
        raw = _scalar(source, fields["statutory"], "statutory").lower()
        if raw not in ("true", "false"):
            raise _fail(source, fields["statutory"], "statutory must be true or false")
        statutory = raw == "true"
    when: list[tuple[str, str]] = []
    if "when" in fields:
        if not isinstance(fields["when"], yaml.MappingNode) or not fields["when"].value:
            raise _fail(source, fields["when"], "when must map fields of the event's data to values")
        when = [(_scalar(source, k, "a field"), _scalar(source, v, "a value")) for k, v in _mapping(fields["when"])]
    return Rule(event=event, template=template, to=_names(source, fields["to"], "audiences", AUDIENCES),
                statutory=statutory,
                channels=_names(source, fields["channels"], "channels", CHANNELS) if "channels" in fields else (),
                when=tuple(when), line=node.start_mark.line + 1)


def _rule_list(source: str, node: yaml.Node, known_types: set[str] | None) -> tuple[Rule, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(source, node, "rules must be a list")
    return tuple(_rule(source, item, known_types) for item in node.value)


def parse_rules(text: str, source: str = "notify_rules.yaml",
                known_types: set[str] | None = None) -> Rules:
    """The rules in ``text``; :class:`RulesError` naming ``source`` and the line otherwise.
    ``known_types``: the event types of the contract (an unknown one is a typo)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise RulesError(f"{source}, line {line}: not valid YAML ({exc.problem})") from None
    if not isinstance(root, yaml.MappingNode):
        raise _fail(source, root, "the file must be a mapping with channels, rules and localities")
    top = {}
    for key, value in _mapping(root):
        name = _scalar(source, key, "a key")
        if name not in ("channels", "rules", "localities"):
            raise _fail(source, key, f"unknown key {name!r} (allowed: channels, rules, localities)")
        top[name] = value
    if "rules" not in top:
        raise _fail(source, root, "the file needs 'rules'")
    defaults: dict[str, tuple[str, ...]] = {}
    for key, value in _mapping(top.get("channels", yaml.MappingNode("", []))):
        audience = _scalar(source, key, "an audience")
        if audience not in AUDIENCES:
            raise _fail(source, key, f"unknown audience {audience!r} (one of: {', '.join(AUDIENCES)})")
        defaults[audience] = _names(source, value, "channels", CHANNELS)
    rules = _rule_list(source, top["rules"], known_types)
    localities: dict[str, tuple[Rule, ...]] = {}
    for key, value in _mapping(top.get("localities", yaml.MappingNode("", []))):
        code = _scalar(source, key, "a locality code")
        if not _LOCALITY.match(code):
            raise _fail(source, key, f"{code!r} is not a commune/ward code")
        localities[code] = _rule_list(source, value, known_types)
    for rule in [*rules, *(r for rs in localities.values() for r in rs)]:
        for audience in rule.to:
            if not rule.channels and not defaults.get(audience):
                raise RulesError(f"{source}, line {rule.line}: no channels for audience {audience!r}")
    return Rules(default_channels=defaults, rules=rules, localities=localities)
