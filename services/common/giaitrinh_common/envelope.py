"""The one envelope every message travels in: CloudEvents 1.0, structured JSON mode.

Extension attributes: ``locality`` (the tenant: the commune/ward code the event belongs to),
``traceid`` (follows one citizen request across services), and ``follows`` / ``followstype``:
the id and type of the event this one comes after in its request's history, when that event
is on another stream (``case.registered`` follows ``request.submitted``). ``subject`` is the
request id, which is also the Kafka key, so every event of one request stays on one partition
in order on each stream; ``follows`` orders it across streams: a consumer that handles the
followed type applies this event only after that one (see :mod:`giaitrinh_common.waiting_room`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from giaitrinh_common import randomness
from giaitrinh_common.ids import time_ordered_id

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
TYPE_PREFIX = "vn.giaitrinh."


def new_trace_id() -> str:
    """A fresh ``traceid``: 32 hex digits, as W3C ``traceparent``'s trace id."""
    return randomness.token_hex(16)


_REQUIRED = ("specversion", "id", "source", "type", "subject", "time", "data", "locality")
# Longest value each attribute may have: the sizes of the columns that store them (inbox,
# waiting room, outbox), so that no event is accepted here and refused by a database later.
MAX_LENGTH = {"id": 64, "source": 200, "type": 200, "subject": 200, "locality": 20,
              "traceid": 64, "follows": 64, "followstype": 200}


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
    follows: str = ""
    followstype: str = ""
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
        follows: CloudEvent | None = None,
    ) -> CloudEvent:
        """A fresh event with a new time-ordered id (:mod:`giaitrinh_common.ids`); ``traceid``
        defaults to a new one. ``follows`` is the event of another stream this one comes after in
        its request's history."""
        if time.tzinfo is None:
            raise ValueError("event time must be timezone-aware")
        return cls(
            id=id or time_ordered_id(),
            source=source,
            type=type,
            subject=subject,
            time=time,
            locality=locality,
            data=data,
            traceid=traceid or new_trace_id(),
            follows=follows.id if follows is not None else "",
            followstype=follows.type if follows is not None else "",
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
            **({"follows": self.follows, "followstype": self.followstype} if self.follows else {}),
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
        except RecursionError:
            raise MalformedEvent("not JSON we accept: nested too deeply") from None
        if not isinstance(body, dict):
            raise MalformedEvent("not a JSON object")
        _refuse_lone_surrogates(raw, body)
        missing = [name for name in _REQUIRED if name not in body]
        if missing:
            raise MalformedEvent(f"missing attributes: {', '.join(missing)}")
        if body["specversion"] != SPEC_VERSION:
            raise MalformedEvent(f"unsupported specversion {body['specversion']!r}")
        for name in ("id", "source", "type", "subject", "locality"):
            if not isinstance(body[name], str) or not body[name]:
                raise MalformedEvent(f"attribute {name!r} must be a non-empty string")
        for name, longest in MAX_LENGTH.items():
            if len(str(body.get(name) or "")) > longest:
                raise MalformedEvent(f"attribute {name!r} is longer than {longest} characters")
        if bool(body.get("follows")) != bool(body.get("followstype")):
            raise MalformedEvent("attributes 'follows' and 'followstype' go together")
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
        known = set(_REQUIRED) | {"datacontenttype", "traceid", "follows", "followstype"}
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
            follows=str(body.get("follows") or ""),
            followstype=str(body.get("followstype") or ""),
            datacontenttype=str(body.get("datacontenttype") or CONTENT_TYPE),
            extensions=extensions,
        )


def _refuse_lone_surrogates(raw: bytes | str, body: dict[str, Any]) -> None:
    """JSON may spell half a UTF-16 pair (``"\\ud800"``); no database or mail server can store
    it, so such an event is refused here rather than failing in a handler on every retry."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if "\\u" not in text.lower().replace("\\\\", ""):
        return
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedEvent("text with a lone surrogate (half a UTF-16 pair) is not valid") from None
