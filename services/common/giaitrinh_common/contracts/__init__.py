"""The public event contract: one JSON Schema per event ``type`` (file ``schemas/<type>.json``)
and the AsyncAPI document (``asyncapi.yaml``) naming topics, keys and message types.

Consumers always validate what they receive; producers validate in tests and in the outbox
writer, so a schema-invalid event never reaches a topic from our own code.
"""
from __future__ import annotations

import json
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator, FormatChecker

from giaitrinh_common.envelope import CloudEvent


class SchemaViolation(ValueError):
    """An event's data does not satisfy the schema of its type; ``reason`` names the first error."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _schema_dir():
    return resources.files(__package__).joinpath("schemas")


@cache
def known_types() -> frozenset[str]:
    """Every event type that has a schema in the contract."""
    return frozenset(
        p.name.removesuffix(".json") for p in _schema_dir().iterdir() if p.name.endswith(".json")
    )


@cache
def _validator(event_type: str) -> Draft202012Validator:
    schema = json.loads(_schema_dir().joinpath(f"{event_type}.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    # FormatChecker checks only the formats whose checker is installed: `date-time` needs
    # rfc3339-validator (in the lock); test_schema_formats_are_checked keeps it that way.
    return Draft202012Validator(schema, format_checker=FormatChecker())


def validate(event: CloudEvent) -> None:
    """Raise :class:`SchemaViolation` unless ``event.data`` satisfies its type's schema."""
    if event.type not in known_types():
        raise SchemaViolation(f"unknown event type {event.type!r}")
    errors = sorted(_validator(event.type).iter_errors(event.data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(data)"
        raise SchemaViolation(f"{where}: {first.message}")
