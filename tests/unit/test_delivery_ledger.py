"""The delivery ledger (domain/deliveries.py, adapters/ledger.py): a message is named for good by
its delivery key, recorded once, taken by one sender at a time, tried again with growing,
jittered waits, parked after the last try with its reason, and sent again only on an operator's
word."""
from datetime import UTC, datetime, timedelta

import pytest

from giaitrinh_notify.domain.deliveries import (
    PARKED,
    PENDING,
    SENDING,
    SENT,
    UNDELIVERABLE,
    Delivery,
    RetryPolicy,
    delivery_key,
)
from tests.support.factories import migrated_runtime

NOW = datetime(2026, 11, 2, 2, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
def runtime(tmp_path, bus):
    rt = migrated_runtime("notify", f"sqlite:///{tmp_path}/notify.db", bus)
    yield rt
    rt.close()


def a_delivery(n: int = 1, **fields) -> Delivery:
    key = delivery_key(f"event-{n}", f"person{n}@example.vn", "email", "requester/accepted/email")
    return Delivery(delivery_key=key, event_id=f"event-{n}", event_type="vn.giaitrinh.case.accepted.v1",
                    audience="requester", recipient=f"person{n}@example.vn", channel="email",
                    template="requester/accepted/email", context={"tracking_code": "GT-AAAA-BBBB-C"},
                    **fields)


def test_the_key_names_the_event_recipient_channel_and_template_together():
    base = delivery_key("e1", "a@example.vn", "email", "requester/accepted/email")
    assert base == delivery_key("e1", "A@Example.vn ", "email", "requester/accepted/email")
    others = {delivery_key("e2", "a@example.vn", "email", "requester/accepted/email"),
              delivery_key("e1", "b@example.vn", "email", "requester/accepted/email"),
              delivery_key("e1", "a@example.vn", "sms", "requester/accepted/email"),
              delivery_key("e1", "a@example.vn", "email", "requester/accepted/sms")}
    assert base not in others and len(others) == 4 and len(base) == 64


def test_back_off_grows_exponentially_up_to_the_cap_and_draws_below_it():
    policy = RetryPolicy(max_attempts=5, base_seconds=10, cap_seconds=45)
    assert [policy.ceiling(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 45]
    assert policy.next_try(2, NOW, draw=lambda: 1.0) == NOW + timedelta(seconds=20)
    assert policy.next_try(2, NOW, draw=lambda: 0.25) == NOW + timedelta(seconds=5)
    assert policy.next_try(5, NOW, draw=lambda: 0.5) is None  # the last try was the fifth


def test_a_message_is_recorded_once_however_often_it_is_recorded(runtime):
    with runtime.unit_of_work() as uow:
        assert uow.deliveries.record(a_delivery(), NOW)
        assert not uow.deliveries.record(a_delivery(), NOW)
        uow.commit()
    with runtime.unit_of_work() as uow:
        assert uow.deliveries.counts() == {PENDING: 1}


def test_a_taken_message_is_not_taken_again_until_its_lease_runs_out(runtime):
    with runtime.unit_of_work() as uow:
        uow.deliveries.record(a_delivery(), NOW)
        uow.commit()
    with runtime.unit_of_work() as uow:
        [taken] = uow.deliveries.claim_due(NOW, 10, LEASE)
        uow.commit()
    assert taken.status == SENDING and taken.attempts == 1
    with runtime.unit_of_work() as uow:
        assert uow.deliveries.claim_due(NOW + LEASE - timedelta(seconds=1), 10, LEASE) == []
        # The worker that took it died mid-send: after the lease the message is in doubt and
        # is tried again (the one window for a duplicate).
        [again] = uow.deliveries.claim_due(NOW + LEASE, 10, LEASE)
        uow.commit()
    assert again.delivery_key == taken.delivery_key and again.attempts == 2


def test_a_sent_message_is_never_due_again(runtime):
    with runtime.unit_of_work() as uow:
        uow.deliveries.record(a_delivery(), NOW)
        [taken] = uow.deliveries.claim_due(NOW, 10, LEASE)
        uow.deliveries.mark_sent(taken.delivery_key, "<id@x>", NOW)
        uow.commit()
    with runtime.unit_of_work() as uow:
        assert uow.deliveries.claim_due(NOW + timedelta(days=30), 10, LEASE) == []
        sent = uow.deliveries.get(taken.delivery_key)
        assert sent.status == SENT and sent.sent_at == NOW and sent.provider_id == "<id@x>"
        assert not uow.deliveries.resend(taken.delivery_key, NOW)  # the operator cannot double it


def test_a_failed_try_waits_for_its_time_then_parks_with_its_reason_and_resends_on_request(runtime):
    key = a_delivery().delivery_key
    with runtime.unit_of_work() as uow:
        uow.deliveries.record(a_delivery(), NOW)
        uow.deliveries.claim_due(NOW, 10, LEASE)
        uow.deliveries.retry_at(key, "421 try later", NOW + timedelta(seconds=30), NOW)
        assert uow.deliveries.claim_due(NOW + timedelta(seconds=29), 10, LEASE) == []
        assert len(uow.deliveries.claim_due(NOW + timedelta(seconds=30), 10, LEASE)) == 1
        uow.deliveries.park(key, "451 mailbox unavailable (6 tries)", NOW)
        uow.commit()
    with runtime.unit_of_work() as uow:
        [parked] = uow.deliveries.listed([PARKED])
        assert parked.reason == "451 mailbox unavailable (6 tries)" and parked.attempts == 2
        assert uow.deliveries.claim_due(NOW + timedelta(days=1), 10, LEASE) == []
        assert uow.deliveries.resend(key, NOW)
        uow.commit()
    with runtime.unit_of_work() as uow:
        [again] = uow.deliveries.claim_due(NOW, 10, LEASE)
        assert again.attempts == 1


def test_an_undeliverable_message_blocks_nothing_behind_it(runtime):
    with runtime.unit_of_work() as uow:
        uow.deliveries.record(a_delivery(1, status=UNDELIVERABLE, reason="no email address"), NOW)
        uow.deliveries.record(a_delivery(2), NOW)
        uow.commit()
    with runtime.unit_of_work() as uow:
        [taken] = uow.deliveries.claim_due(NOW, 10, LEASE)
        assert taken.event_id == "event-2"
        assert uow.deliveries.get(a_delivery(1).delivery_key).reason == "no email address"


def test_the_operator_lists_what_was_given_up_on_and_sends_it_again(runtime):
    from click.testing import CliRunner

    from giaitrinh_platform.cli import main

    parked, sent = a_delivery(1), a_delivery(2)
    with runtime.unit_of_work() as uow:
        uow.deliveries.record(parked, NOW)
        uow.deliveries.record(sent, NOW)
        uow.deliveries.claim_due(NOW, 10, LEASE)
        uow.deliveries.park(parked.delivery_key, "421 busy (after 6 tries)", NOW)
        uow.deliveries.mark_sent(sent.delivery_key, None, NOW)
        uow.commit()
    env = {"NOTIFY_DATABASE_URL": runtime.settings.database_url}
    cli = CliRunner()
    listed = cli.invoke(main, ["notify", "deliveries", "list", "--parked"], env=env)
    assert listed.exit_code == 0, listed.output
    assert parked.delivery_key in listed.output and "421 busy (after 6 tries)" in listed.output
    assert sent.delivery_key not in listed.output
    assert cli.invoke(main, ["notify", "deliveries", "resend", parked.delivery_key], env=env).exit_code == 0
    again = cli.invoke(main, ["notify", "deliveries", "resend", sent.delivery_key], env=env)
    assert again.exit_code == 1 and "it is sent" in again.output
    with runtime.unit_of_work() as uow:
        assert uow.deliveries.get(parked.delivery_key).status == PENDING
