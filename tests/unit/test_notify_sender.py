"""Notify's sender loop against the ledger on a real SQLite file: messages are taken a batch at a
time and sent one at a time; a message recorded while a batch is being sent goes out in the same
round; a batch that runs late is given back before its lease could run out under a message on
its way; two loops never take the same message; the consumer's commit wakes the loop; and the
loop's own commits do not wait for the disk while the consumer's do."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from giaitrinh_common import topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.settings import SettingError
from giaitrinh_notify.adapters.templates import TemplateRenderer
from giaitrinh_notify.domain.channels import EMAIL
from giaitrinh_notify.domain.deliveries import PENDING, SENDING, SENT, Delivery, RetryPolicy, delivery_key
from giaitrinh_notify.service_layer.deliveries import Sender
from giaitrinh_notify.settings import NotifySettings
from tests.support.factories import LOCALITY, migrated_runtime, request_submitted

T0 = datetime(2026, 11, 23, 8, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path, bus):
    rt = migrated_runtime("notify", f"sqlite:///{tmp_path}/notify.db", bus)
    yield rt
    rt.close()


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def record(runtime, n: int, now: datetime = T0) -> str:
    """A pending email in the ledger, as the consumer records it; its key."""
    to = f"dan{n}@example.vn"
    key = delivery_key(f"event-{n}", to, EMAIL, "requester/received/email")
    request = request_submitted(contact={"email": to})
    with runtime.unit_of_work() as uow:
        uow.deliveries.record(Delivery(
            key, request.id, request.type, "requester", to, EMAIL, "requester/received/email",
            {"data": {k: v for k, v in request.data.items() if k != "contact"}}, statutory=True,
            request_id=request.data["request_id"], locality_code=LOCALITY), now)
        uow.commit()
    return key


def ledger(runtime) -> dict[str, Delivery]:
    with runtime.unit_of_work() as uow:
        return {d.delivery_key: d for d in uow.deliveries.listed(limit=1000)}


class Channel:
    """Records what it is sent; ``during`` runs inside each send (the clock moving, a new
    message recorded meanwhile)."""

    name = EMAIL

    def __init__(self, during=lambda message: None):
        self.sent: list[str] = []
        self.during = during

    def send(self, message):
        self.during(message)
        self.sent.append(message.delivery_key)
        return None


def sender(runtime, channel, clock, **kwargs) -> Sender:
    return Sender(runtime.unit_of_work, {EMAIL: channel}, TemplateRenderer("https://giaitrinh.example.vn"),
                  RetryPolicy(), clock, **kwargs)


def test_a_message_recorded_while_a_batch_is_sent_goes_out_in_the_same_round(runtime):
    first = record(runtime, 1)
    later: list[str] = []
    channel = Channel(during=lambda m: later.append(record(runtime, 2)) if not later else None)
    assert sender(runtime, channel, Clock()).send_due() == 2
    assert channel.sent == [first, later[0]]
    assert {d.status for d in ledger(runtime).values()} == {SENT}


def test_a_batch_that_runs_late_is_given_back_untried_before_its_lease_could_run_out(runtime):
    keys = [record(runtime, n) for n in range(3)]
    clock = Clock()

    def slow(message):  # each send takes 4 s; one may take 4 s at worst; the lease is 10 s
        clock.now += timedelta(seconds=4)
    channel = Channel(during=slow)
    loop = sender(runtime, channel, clock, lease=timedelta(seconds=10), longest_send={EMAIL: timedelta(seconds=4)})
    assert loop.send_due() == 2  # started at 0 s and 4 s; at 8 s a send could outlast the lease
    rows = ledger(runtime)
    assert channel.sent == keys[:2] and [rows[k].status for k in keys] == [SENT, SENT, PENDING]
    assert rows[keys[2]].attempts == 0 and rows[keys[2]].next_attempt_at == T0 + timedelta(seconds=8)
    assert loop.send_due() == 1 and channel.sent == keys  # the next round takes it afresh
    assert ledger(runtime)[keys[2]].attempts == 1


def test_two_loops_never_take_the_same_message(runtime):
    keys = {record(runtime, n) for n in range(3)}
    with runtime.unit_of_work() as one, runtime.unit_of_work() as other:
        mine = one.deliveries.claim_due(T0, 10, timedelta(seconds=60))
        one.commit()
        theirs = other.deliveries.claim_due(T0 + timedelta(seconds=59), 10, timedelta(seconds=60))
        other.commit()
    assert {d.delivery_key for d in mine} == keys and theirs == []
    assert {(d.status, d.attempts) for d in mine} == {(SENDING, 1)}
    with runtime.unit_of_work() as later:  # the lease ran out: the worker died mid-send
        assert {d.delivery_key for d in later.deliveries.claim_due(T0 + timedelta(seconds=61), 10,
                                                                   timedelta(seconds=60))} == keys


def test_the_consumers_commit_of_new_messages_wakes_the_sender_loop(runtime):
    publisher = runtime.bus.publisher()
    official = CloudEvent.new(type="vn.giaitrinh.account.changed.v1", source="/tests", subject="can-bo-1",
                              locality=LOCALITY, time=T0, data={
                                  "account_id": "can-bo-1", "name": "can-bo-1", "role": "official",
                                  "localities": [LOCALITY], "active": True, "changed_at": T0.isoformat()})
    publisher.publish(topics.REGISTRY, "k", official.to_json())  # the directory learns; nobody is told
    publisher.flush()
    consumer = runtime.consumer()
    consumer.run_once(timeout=0.05)
    assert not runtime.recorded.is_set()
    publisher.publish(topics.REQUESTS, "k", request_submitted(contact={"email": "dan@example.vn"}).to_json())
    publisher.flush()
    consumer.run_once(timeout=0.05)
    assert runtime.recorded.is_set()


def test_the_sender_loops_commits_do_not_wait_for_the_disk_and_the_consumers_do(runtime):
    def synchronous(uow) -> int:
        return uow.session.execute(sa.text("PRAGMA synchronous")).scalar_one()
    with runtime.sender_unit_of_work() as uow:
        assert synchronous(uow) == 1  # NORMAL: in WAL mode, a killed process loses nothing
    with runtime.unit_of_work() as uow:
        assert synchronous(uow) == 2  # FULL: an applied event outlives its offset commit


@pytest.mark.parametrize("setting", ["NOTIFY_WEBHOOK_TIMEOUT", "NOTIFY_SMS_TIMEOUT"])
def test_a_send_lease_no_longer_than_a_channels_time_out_is_refused_at_start(setting):
    env = {"NOTIFY_SEND_LEASE": "10", "NOTIFY_WEBHOOK_TIMEOUT": "5", "NOTIFY_SMS_TIMEOUT": "5",
           "NOTIFY_SMS_URL": "https://sms.example.vn/send", setting: "10"}
    with pytest.raises(SettingError, match=f"NOTIFY_SEND_LEASE .* more than {setting}"):
        NotifySettings.from_env(env)
    NotifySettings.from_env({**env, setting: "9"})
