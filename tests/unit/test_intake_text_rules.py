"""Intake's text rules hold for every channel, not only the HTTP edge: a request from another
system on the inbound topic with text too long or not storable is refused with the reason
(a dead letter saying why), never a failed insert retried until it is parked."""
import pytest

from giaitrinh_common import topics
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.validation import TEXT_LIMITS, problems_with
from tests.support.factories import inbound_feedback, migrated_runtime
from tests.support.waiting import consume_until


def _cmd(**kw):
    base = dict(kind="feedback", channel="hotline", field="land", locality_code="18880",
                title="Đèn đường", content="Đèn đường hỏng", source_system="hotline-1022", external_id="HL-1")
    return SubmitRequest(**{**base, **kw})


@pytest.mark.parametrize("name", sorted(TEXT_LIMITS))
def test_every_text_field_is_limited_and_must_be_storable(name):
    too_long = problems_with(_cmd(**{name: "7" * (TEXT_LIMITS[name] + 1)}), locality_known=True)
    assert (name, "too_long") in {(p.field, p.code) for p in too_long}
    for bad in ("a\x00b", "C\ud800", "\udfff"):
        problems = problems_with(_cmd(**{name: bad}), locality_known=True)
        assert (name, "invalid_characters") in {(p.field, p.code) for p in problems}


def test_a_field_of_the_wrong_type_is_named_once_and_not_checked_further():
    problems = problems_with(_cmd(title="", kind="", wrong_types=("title", "kind")), locality_known=True)
    assert [(p.field, p.code) for p in problems] == [("title", "wrong_type"), ("kind", "wrong_type")]
    assert all(p.vi and p.en for p in problems)


@pytest.fixture
def intake(bus, sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), bus)
    yield rt
    rt.close()


def test_inbound_text_a_database_cannot_store_is_dead_lettered_as_rejected_naming_the_field(intake, bus):
    pub = bus.publisher()
    # Valid JSON ("\u0000"), storable in SQLite, refused by PostgreSQL: refused on every database.
    event = inbound_feedback("HL-80", title="Rác\x00thải")
    pub.publish(topics.INBOUND, event.key, event.to_json())
    pub.flush()
    dlq = topics.dead_letter_topic(topics.INBOUND, "intake")
    consume_until(intake.consumer(), lambda: bus.records(dlq), timeout=5)
    [dead] = bus.records(dlq)
    assert dead.header("x-dlq-reason") == "rejected"
    assert "title holds a character that cannot be stored" in dead.header("x-dlq-detail")
    assert intake.storage.outbox_backlog() == 0
