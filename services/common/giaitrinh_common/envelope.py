"""The one envelope every message travels in: CloudEvents 1.0, structured JSON mode.

Extension attributes: ``locality`` (the tenant: the commune/ward code the event belongs to)
and ``traceid`` (follows one citizen request across services). ``subject`` is the request id,
which is also the Kafka key, so every event of one request stays on one partition in order.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
TYPE_PREFIX = "vn.giaitrinh."
_REQUIRED = ("specversion", "id", "source", "type", "subject", "time", "data", "locality")


class MalformedEvent(ValueError):
    """The bytes are not a CloudEvents 1.0 structured-JSON event of ours; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CloudEvent:
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    locality: str
    data: dict[str, Any]
    traceid: str = ""
    datacontenttype: str = CONTENT_TYPE
    extensions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        *,
        type: str,
        source: str,
        subject: str,
        locality: str,
        data: dict[str, Any],
        time: datetime,
        traceid: str | None = None,
        id: str | None = None,
    ) -> CloudEvent:
        """A fresh event with a random id; ``traceid`` defaults to a new one."""
        if time.tzinfo is None:
            raise ValueError("event time must be timezone-aware")
        return cls(
            id=id or str(uuid.uuid4()),
            source=source,
            type=type,
            subject=subject,
            time=time,
            locality=locality,
            data=data,
            traceid=traceid or uuid.uuid4().hex,
        )

    @property
    def key(self) -> str:
        """The partition key: the request id (the event's subject)."""
        return self.subject

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "datacontenttype": self.datacontenttype,
            "locality": self.locality,
            "traceid": self.traceid,
            **self.extensions,
            "data": self.data,
        }
        return body

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> CloudEvent:
        """Parse a structured-mode event; raise :class:`MalformedEvent` naming what is wrong."""
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedEvent(f"not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise MalformedEvent("not a JSON object")
        missing = [name for name in _REQUIRED if name not in body]
        if missing:
            raise MalformedEvent(f"missing attributes: {', '.join(missing)}")
        if body["specversion"] != SPEC_VERSION:
            raise MalformedEvent(f"unsupported specversion {body['specversion']!r}")
        for name in ("id", "source", "type", "subject", "locality"):
            if not isinstance(body[name], str) or not body[name]:
                raise MalformedEvent(f"attribute {name!r} must be a non-empty string")
        if not body["type"].startswith(TYPE_PREFIX):
            raise MalformedEvent(f"type {body['type']!r} is not one of ours ({TYPE_PREFIX}*)")
        if not isinstance(body["data"], dict):
            raise MalformedEvent("data must be a JSON object")
        try:
            time = datetime.fromisoformat(str(body["time"]).replace("Z", "+00:00"))
        except ValueError:
            raise MalformedEvent(f"time {body['time']!r} is not RFC 3339") from None
        if time.tzinfo is None:
            raise MalformedEvent("time must carry a UTC offset")
        known = set(_REQUIRED) | {"datacontenttype", "traceid"}
        extensions = {k: str(v) for k, v in body.items() if k not in known}
        return cls(
            id=body["id"],
            source=body["source"],
            type=body["type"],
            subject=body["subject"],
            time=time,
            locality=body["locality"],
            data=body["data"],
            traceid=str(body.get("traceid") or ""),
            datacontenttype=str(body.get("datacontenttype") or CONTENT_TYPE),
            extensions=extensions,
        )
