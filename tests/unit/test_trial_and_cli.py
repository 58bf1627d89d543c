"""The standalone trial (four services, one process, in-memory bus) and the CLI's help."""
import click
from click.testing import CliRunner
from werkzeug.test import Client

from giaitrinh_common import topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_platform.cli import main
from giaitrinh_platform.supervisor import RestartPolicy
from giaitrinh_platform.trial import Trial
from tests.support.waiting import eventually


def test_in_the_trial_a_request_travels_through_all_four_services(tmp_path):
    trial = Trial(tmp_path)
    trial.prepare()
    trial.start_workers()
    client = Client(trial.wsgi_app())
    try:
        trace = "0af7651916cd43dd8448eb211c80319c"
        resp = client.post("/intake/api/v1/requests", json={
            "kind": "feedback", "field": "health", "locality_code": "18880",
            "title": "Trạm y tế", "content": "Trạm y tế phường đóng cửa sớm."},
            headers={"traceparent": f"00-{trace}-b7ad6b7169203331-01"})
        assert resp.status_code == 201
        code = resp.json["tracking_code"]
        eventually(lambda: client.get(f"/intake/api/v1/requests/{code}").json["status"] == "registered",
                   timeout=20, every=0.05, what="registration reaching the public timeline")
        items = eventually(lambda: len(client.get(f"/notify/api/v1/inbox/{code}").json["items"]) == 2
                           and client.get(f"/notify/api/v1/inbox/{code}").json["items"],
                           timeout=20, every=0.05, what="two notifications")
        assert [m["topic"] for m in items] == ["received", "registered"]
        counts = client.get("/scoring/api/v1/localities/18880/indicators").json["indicators"]
        assert counts == {"requests_received": 1, "cases_registered": 1}
        assert client.get("/routing/api/v1/localities?per_page=1").json["total"] == 78
        # The caller's trace id followed the request from intake through routing's event.
        traced = [CloudEvent.from_json(m.value) for t in (topics.REQUESTS, topics.CASES)
                  for m in trial.bus.records(t)]
        assert [(e.type, e.traceid) for e in traced] == [
            ("vn.giaitrinh.request.submitted.v1", trace), ("vn.giaitrinh.case.registered.v1", trace)]
        assert "Giải Trình" in client.get("/").get_data(as_text=True)
    finally:
        trial.stop()


def _commands(group: click.Group, path=()):
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_every_command_explains_itself_with_help():
    runner = CliRunner()
    paths = [()] + list(_commands(main))
    assert ("routing", "seed-localities") in paths and ("up",) in paths
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_up_states_the_restart_policy_it_applies_and_its_port_settings():
    text = " ".join(CliRunner().invoke(main, ["up", "--help"]).output.split())
    policy = RestartPolicy()  # what `giaitrinh up` gives each child
    assert f"started again after {policy.first_delay:g} s, then 2, 4" in text
    assert f"up to {policy.max_delay:g} s" in text
    assert f"back to {policy.first_delay:g} s once it has run for {policy.quiet_period:g} s" in text
    assert (f"After {policy.max_restarts} restarts of one process within {policy.window / 60:g} "
            "minutes, its next exit stops the whole platform") in text
    assert "<SVC>_WEB_PORT" in text and "<SVC>_METRICS_PORT" in text


def test_the_routing_pages_of_localities_refuse_nonsense_paging(tmp_path):
    trial = Trial(tmp_path)
    trial.prepare()
    client = Client(trial.wsgi_app())
    try:
        resp = client.get("/routing/api/v1/localities?page=0")
        assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_paging"
        page2 = client.get("/routing/api/v1/localities?province=44&page=2&per_page=50").json
        assert page2["total"] == 78 and len(page2["items"]) == 28
    finally:
        trial.stop()
