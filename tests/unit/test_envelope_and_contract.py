import json
from datetime import UTC, datetime

import pytest
import yaml

from giaitrinh_common import contracts, topics
from giaitrinh_common.envelope import CloudEvent, MalformedEvent
from tests.support.factories import (
    case_registered,
    inbound_feedback,
    publisher_changed,
    request_submitted,
    served_province,
)


def test_an_event_survives_the_round_trip_through_json():
    event = request_submitted()
    again = CloudEvent.from_json(event.to_json())
    assert again == event
    body = json.loads(event.to_json())
    assert body["specversion"] == "1.0"
    assert body["locality"] == "18880" and body["traceid"]
    assert body["subject"] == event.data["request_id"] == event.key


def test_vietnamese_text_is_kept_as_it_is_not_escaped():
    assert "Đèn đường hỏng".encode() in request_submitted().to_json()


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"specversion": "1.0"}', "missing attributes"),
    (json.dumps({"specversion": "0.3", "id": "1", "source": "s", "type": "vn.giaitrinh.x",
                 "subject": "r", "time": "2026-01-01T00:00:00Z", "data": {},
                 "locality": "1"}).encode(), "unsupported specversion"),
    (json.dumps({"specversion": "1.0", "id": "1", "source": "s", "type": "com.other.x",
                 "subject": "r", "time": "2026-01-01T00:00:00Z", "data": {},
                 "locality": "1"}).encode(), "not one of ours"),
    (json.dumps({"specversion": "1.0", "id": "1", "source": "s", "type": "vn.giaitrinh.x",
                 "subject": "r", "time": "yesterday", "data": {},
                 "locality": "1"}).encode(), "not RFC 3339"),
    (b"\xff\xfe", "not JSON"),
])
def test_a_malformed_envelope_is_refused_with_the_reason(raw, reason):
    with pytest.raises(MalformedEvent, match=reason):
        CloudEvent.from_json(raw)


def test_an_event_time_without_offset_cannot_be_made():
    with pytest.raises(ValueError):
        CloudEvent.new(type="vn.giaitrinh.x.v1", source="s", subject="r", locality="1",
                       data={}, time=datetime(2026, 1, 1))


@pytest.mark.parametrize("event", [request_submitted(), inbound_feedback(),
                                   case_registered("0b7a1f3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f")])
def test_the_events_we_produce_satisfy_their_schemas(event):
    contracts.validate(event)


def test_a_schema_violation_names_the_field():
    bad = request_submitted(kind="complaint")
    with pytest.raises(contracts.SchemaViolation, match="kind"):
        contracts.validate(bad)


def test_an_unknown_event_type_is_a_schema_violation():
    ev = CloudEvent.new(type="vn.giaitrinh.nothing.v9", source="s", subject="r", locality="1",
                        data={}, time=datetime.now(UTC))
    with pytest.raises(contracts.SchemaViolation, match="unknown event type"):
        contracts.validate(ev)


def test_the_asyncapi_document_names_every_stream_and_every_schema():
    from importlib import resources
    doc = yaml.safe_load(resources.files("giaitrinh_common.contracts").joinpath("asyncapi.yaml").read_text("utf-8"))
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == set(topics.STREAMS)
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == set(contracts.known_types())
    for message in doc["components"]["messages"].values():
        assert resources.files("giaitrinh_common.contracts").joinpath(message["payload"]["$ref"]).is_file()


def test_the_asyncapi_document_states_the_partitions_and_retention_the_platform_creates():
    from importlib import resources
    doc = yaml.safe_load(resources.files("giaitrinh_common.contracts").joinpath("asyncapi.yaml").read_text("utf-8"))
    for channel in doc["channels"].values():
        kafka = channel["bindings"]["kafka"]
        assert kafka["partitions"] == topics.DEFAULT_PARTITIONS
        stated = {k: str(v) for k, v in kafka["topicConfiguration"].items()}
        assert stated == topics.config_of(channel["address"])


def test_every_consumer_group_has_a_retry_and_a_dead_letter_topic_per_stream():
    names = topics.all_topics()
    for group, streams in topics.SUBSCRIPTIONS.items():
        for stream in streams:
            assert f"{stream}.{group}.retry" in names and f"{stream}.{group}.dlq" in names
    assert topics.source_topic("giaitrinh.requests.v1.routing.retry") == "giaitrinh.requests.v1"


def _body(**changes):
    return {**json.loads(request_submitted().to_json()), **changes}


@pytest.mark.parametrize("raw, reason", [
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
    (json.dumps(_body(subject="C\ud800")).encode(), "lone surrogate"),
    (json.dumps(_body(data={**_body()["data"], "title": "\udfff"})).encode(), "lone surrogate"),
    (json.dumps(_body(id="x" * 65)).encode(), "'id' is longer than 64"),
    (json.dumps(_body(subject="r" * 201)).encode(), "'subject' is longer than 200"),
    (json.dumps(_body(follows="some-id")).encode(), "go together"),
], ids=["deep", "surrogate-attribute", "surrogate-data", "long-id", "long-subject", "half-follows"])
def test_hostile_envelopes_are_malformed_with_a_reason_not_a_crash(raw, reason):
    with pytest.raises(MalformedEvent, match=reason):
        CloudEvent.from_json(raw)


def test_a_pair_of_surrogates_spelled_in_json_is_an_ordinary_character():
    body = _body(data={**_body()["data"], "title": "\\ud83d\\ude00"})
    raw = json.dumps(body).replace("\\\\ud83d\\\\ude00", "\\ud83d\\ude00").encode()
    assert CloudEvent.from_json(raw).data["title"] == "😀"


def test_an_event_that_follows_another_says_so_and_survives_the_round_trip():
    submitted = request_submitted()
    registered = CloudEvent.new(type="vn.giaitrinh.case.registered.v1", source="/t",
                                subject=submitted.subject, locality="18880",
                                data=case_registered(submitted.subject).data,
                                time=datetime(2026, 11, 23, 8, 5, tzinfo=UTC), follows=submitted)
    body = json.loads(registered.to_json())
    assert (body["follows"], body["followstype"]) == (submitted.id, submitted.type)
    assert CloudEvent.from_json(registered.to_json()) == registered


@pytest.mark.parametrize("field, value", [
    ("registered_at", "not a date"), ("registered_at", "2026-13-45T99:00:00Z"),
    ("case_id", "not-a-uuid"),
])
def test_schema_formats_are_checked(field, value):
    with pytest.raises(contracts.SchemaViolation, match=field):
        contracts.validate(case_registered("r-1", **{field: value}))


def _valid_events() -> list[CloudEvent]:
    return [request_submitted(), inbound_feedback(), case_registered("0b7a1f3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"),
            *served_province("44")[:2], publisher_changed()]


def _broken_copies(data: dict) -> list[dict]:
    """Each way a sender breaks one field of ``data``: left out, of another type, empty, huge,
    null, a date or an id that is not one — and one field too many."""
    out = [{**data, "unexpected": 1}]
    for name, value in data.items():
        out.append({k: v for k, v in data.items() if k != name})
        for other in (None, 7, 1.5, True, "", "x" * 10_000, [], {"x": 1}, "2026-02-30", "not-a-uuid",
                      "2026-11-28T25:00:00Z", "no-at-sign", [value], str(value)):
            if other != value:
                out.append({**data, name: other})
    return out


@pytest.mark.parametrize("event", _valid_events(), ids=lambda e: e.type.split(".")[2])
def test_the_compiled_validator_and_the_reference_judge_every_broken_copy_alike(event):
    compiled, reference = contracts._validators(event.type)
    copies = _broken_copies(event.data)
    verdicts = [(compiled.is_valid(d), reference.is_valid(d)) for d in copies]
    assert [i for i, (fast, ref) in enumerate(verdicts) if fast != ref] == []
    assert sum(not ref for _, ref in verdicts) > len(copies) // 2  # most copies are really broken


def test_without_the_cross_check_a_valid_event_passes_and_a_broken_one_names_its_field(monkeypatch):
    monkeypatch.delenv(contracts.CROSSCHECK, raising=False)
    contracts.validate(request_submitted())
    with pytest.raises(contracts.SchemaViolation, match="kind"):
        contracts.validate(request_submitted(kind="complaint"))
    with pytest.raises(contracts.SchemaViolation, match="registered_at"):
        contracts.validate(case_registered("r-1", registered_at="2026-13-45T99:00:00Z"))


def test_data_the_compiled_validator_cannot_take_is_judged_by_the_reference(monkeypatch):
    monkeypatch.delenv(contracts.CROSSCHECK, raising=False)
    odd = request_submitted()
    odd.data["title"] = object()  # not JSON: refused with the field's name, not a crash
    with pytest.raises(contracts.SchemaViolation, match="title"):
        contracts.validate(odd)
