"""The public event contract: one JSON Schema per event ``type`` (file ``schemas/<type>.json``)
and the AsyncAPI document (``asyncapi.yaml``) naming topics, keys and message types.

Consumers always validate what they receive; producers validate in tests and in the outbox
writer, so a schema-invalid event never reaches a topic from our own code.

Two validators read each schema. jsonschema (the reference: its messages name the field) decides;
jsonschema-rs, compiled, answers first — an event it finds valid is valid, which is every event
but a broken one, in about a fifteenth of the time (bench/README.md). The formats are the
reference's own checkers in both, so they judge a date, a time, a UUID or an email alike. With
``GIAITRINH_CONTRACT_CROSSCHECK=1`` (the test suite sets it) both judge every event and any
disagreement is raised, so the whole suite's events keep proving them equal.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from importlib import resources

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from giaitrinh_common.envelope import CloudEvent

_FORMATS = FormatChecker()
CROSSCHECK = "GIAITRINH_CONTRACT_CROSSCHECK"


class SchemaViolation(ValueError):
    """An event's data does not satisfy the schema of its type; ``reason`` names the first error."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ValidatorsDisagree(AssertionError):
    """The compiled validator and the reference judged one event differently (cross-check on)."""


def _schema_dir():
    return resources.files(__package__).joinpath("schemas")


@cache
def known_types() -> frozenset[str]:
    """Every event type that has a schema in the contract."""
    return frozenset(
        p.name.removesuffix(".json") for p in _schema_dir().iterdir() if p.name.endswith(".json")
    )


@cache
def _validators(event_type: str) -> tuple[jsonschema_rs.Validator, Draft202012Validator]:
    """(compiled, reference) for the schema of ``event_type``."""
    schema = json.loads(_schema_dir().joinpath(f"{event_type}.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    # FormatChecker checks only the formats whose checker is installed: `date-time` needs
    # rfc3339-validator (in the lock); test_schema_formats_are_checked keeps it that way.
    reference = Draft202012Validator(schema, format_checker=_FORMATS)
    formats = {name: _conforms_to(name) for name in _FORMATS.checkers}
    compiled = jsonschema_rs.validator_for(schema, validate_formats=True, formats=formats)
    return compiled, reference


def _conforms_to(name: str) -> Callable[[str], bool]:
    return lambda value: _FORMATS.conforms(value, name)


def _compiled_says_valid(compiled: jsonschema_rs.Validator, data: object) -> bool:
    try:
        return compiled.is_valid(data)
    except Exception:  # a value it cannot take (not JSON's): the reference judges it
        return False


def validate(event: CloudEvent) -> None:
    """Raise :class:`SchemaViolation` unless ``event.data`` satisfies its type's schema."""
    if event.type not in known_types():
        raise SchemaViolation(f"unknown event type {event.type!r}")
    compiled, reference = _validators(event.type)
    fast = _compiled_says_valid(compiled, event.data)
    if fast and os.environ.get(CROSSCHECK) != "1":
        return
    errors = sorted(reference.iter_errors(event.data), key=lambda e: list(e.path))
    if fast and errors or not fast and not errors and os.environ.get(CROSSCHECK) == "1":
        raise ValidatorsDisagree(f"{event.type}: compiled says {'valid' if fast else 'invalid'}, "
                                 f"the reference {[e.message for e in errors][:3] or 'valid'}")
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(data)"
        raise SchemaViolation(f"{where}: {first.message}")
