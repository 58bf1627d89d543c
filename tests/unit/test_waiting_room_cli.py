"""Operators see the waiting room and release what is parked, from the command line."""
import json

from click.testing import CliRunner

from giaitrinh_common import topics
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_platform.cli import main
from tests.support.factories import migrated_runtime, request_submitted


def test_an_operator_lists_a_parked_event_and_releases_it(bus, sqlite_url):
    url = sqlite_url("scoring")
    runtime = migrated_runtime("scoring", url, bus)
    stuck = request_submitted()
    behind = request_submitted(request_id=stuck.subject)

    def fails_for_stuck(ev, uow):
        if ev.id == stuck.id:
            raise RuntimeError("no such indicator")

    consumer = IdempotentConsumer(group="scoring", streams=(topics.REQUESTS,),
                                  handlers={stuck.type: fails_for_stuck},
                                  unit_of_work=runtime.unit_of_work, bus=bus,
                                  metrics=runtime.metrics, max_attempts=1)
    pub = bus.publisher()
    for event in (stuck, behind):
        pub.publish(topics.REQUESTS, event.key, event.to_json())
    pub.flush()
    consumer.run_once(timeout=0.1)
    env = {"SCORING_DATABASE_URL": url}
    runner = CliRunner()

    listed = runner.invoke(main, ["scoring", "waiting", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["event_id"], r["why"]) for r in rows] == [(stuck.id, "parked"), (behind.id, "behind")]
    assert "no such indicator" in rows[0]["last_error"]

    text = runner.invoke(main, ["scoring", "waiting", "--parked"], env=env).output
    assert stuck.id in text and behind.id not in text and "1 waiting, 1 parked (1 requests held)" in text

    refused = runner.invoke(main, ["scoring", "release", behind.id, "--yes"], env=env)
    assert refused.exit_code == 1 and "not parked" in refused.output
    released = runner.invoke(main, ["scoring", "release", stuck.id, "--yes"], env=env)
    assert released.exit_code == 0 and "1 released" in released.output
    consumer.run_once(timeout=0.1)
    assert consumer.waiting.listing() == []
    assert runtime.storage.has_applied("scoring", behind.id)
    runtime.close()
