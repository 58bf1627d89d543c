"""The platform as `giaitrinh up` runs it — gunicorn web and worker processes for the four
services behind the gateway — on a real Kafka broker and real PostgreSQL, exercised over HTTP
and the broker (the ``platform`` fixture is in tests/e2e/conftest.py)."""
import json
import signal
import urllib.parse
import urllib.request

from giaitrinh_common import topics
from giaitrinh_common.kafka_bus import KafkaBus
from giaitrinh_intake.domain.tracking import new_tracking_code
from giaitrinh_platform.kafka_broker import free_port
from giaitrinh_platform.services import SERVICES
from giaitrinh_scoring.domain.indicators import period_of
from tests.support import factories
from tests.support.fixtures import PROJECT_ROOT
from tests.support.waiting import eventually

LOCALITY = "18880"


def get(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        body = resp.read()
        return json.loads(body) if resp.headers.get_content_type() == "application/json" else body.decode()


def post(url, payload):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def worker_metric(platform, service, line_start):
    text = get(f"http://127.0.0.1:{platform.metrics_ports[service]}/metrics")
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))


def test_every_service_is_ready_with_its_database_and_the_broker(platform):
    for name in SERVICES:
        status, body = platform.readiness(name)
        assert status == 200, (name, body)
        assert body["checks"] == {"database": "ok"} and body["detail"] == {"broker": "ok"}


def test_a_request_submitted_at_the_gateway_is_seen_by_routing_scoring_and_notify(platform):
    # Every call goes through the one address, each service under its prefix.
    gateway = platform.gateway.url
    request = urllib.request.Request(f"{gateway}/intake/api/v1/requests", method="POST", data=json.dumps({
        "kind": "feedback", "field": "construction", "locality_code": LOCALITY,
        "title": "Công trình không phép", "content": "Công trình xây dựng không phép ở tổ 3.",
        "email": "dan@example.vn", "wants_notifications": True}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 201
        receipt, location = json.loads(resp.read()), resp.headers["Location"]
    code = receipt["tracking_code"]
    # intake built its address behind the gateway's prefix (X-Forwarded-Prefix), so it works here
    assert location == receipt["status_url"] == f"/intake/api/v1/requests/{code}"
    # routing registered the case, and intake's public timeline learnt it from the cases topic
    timeline = eventually(lambda: get(f"{gateway}{location}")["status"] == "registered",
                          what="the public timeline showing the registration")
    assert timeline
    inbox_url = f"{gateway}/notify/api/v1/inbox/{code}"
    inbox = eventually(lambda: len(get(inbox_url)["items"]) == 2 and get(inbox_url)["items"],
                       what="notify telling the requester twice")
    assert [m["topic"] for m in inbox] == ["received", "registered"]
    scoring = f"{gateway}/scoring/api/v1/localities/{LOCALITY}/indicators"
    indicators = eventually(lambda: (v := get(scoring)["indicators"]).get("cases_registered", 0) >= 1 and v,
                            what="scoring counting")
    assert indicators["requests_received"] >= 1


def test_the_same_event_delivered_twice_is_applied_once_by_every_service(platform):
    code = new_tracking_code()
    event = factories.request_submitted(tracking_code=code)
    # The count of the period the event falls in, named: the web process's own clock is the
    # real one, and "this year" would stop being the event's year on 1 January.
    scoring = (f"{platform.web_url('scoring')}/api/v1/localities/{LOCALITY}/indicators"
               f"?period={period_of(event.time)}")
    before = get(scoring)["indicators"].get("requests_received", 0)
    bus = KafkaBus(platform.kafka_bootstrap)
    publisher = bus.publisher()
    for _ in range(2):
        publisher.publish(topics.REQUESTS, event.key, event.to_json())
    publisher.flush()
    publisher.close()
    for service in ("routing", "scoring", "notify"):
        duplicates = f'giaitrinh_events_consumed_total{{group="{service}",outcome="duplicate"'
        eventually(lambda s=service, d=duplicates: worker_metric(platform, s, d),
                   what=f"{service} seeing the second copy")
    assert get(scoring)["indicators"]["requests_received"] == before + 1
    inbox = eventually(lambda: (items := get(f"{platform.web_url('notify')}/api/v1/inbox/{code}")["items"])
                       and len(items) == 2 and items, what="notify's messages for the duplicate")
    assert sorted(m["topic"] for m in inbox) == ["received", "registered"]


def test_the_access_log_names_the_trace_id_the_caller_sent(platform):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    request = urllib.request.Request(f"{platform.web_url('intake')}/healthz",
                                     headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.headers["X-Trace-Id"] == trace
    log = platform.data_dir / "logs" / "intake-web.log"
    eventually(lambda: '"GET /healthz HTTP/1.1" 200' in log.read_text() and f"trace={trace}" in log.read_text(),
               what="gunicorn's access log line with the trace id")


def test_every_process_serves_prometheus_metrics(platform):
    for name in SERVICES:
        web = get(f"{platform.web_url(name)}/metrics")
        assert "giaitrinh_http_requests_total" in web
        worker = get(f"http://127.0.0.1:{platform.metrics_ports[name]}/metrics")
        assert "giaitrinh_outbox_backlog" in worker and "giaitrinh_events_consumed_total" in worker
    status, _ = post(f"{platform.web_url('intake')}/api/v1/requests", {
        "kind": "feedback", "field": "other", "locality_code": LOCALITY,
        "title": "Biển báo", "content": "Biển báo giao thông bị đổ."})
    assert status == 201
    produced = 'giaitrinh_events_produced_total{service="intake",topic="giaitrinh.requests.v1"'
    eventually(lambda: worker_metric(platform, "intake", produced) >= 1,
               what="intake's worker counting what its relay published")


def test_workers_report_consumer_lag_per_partition(platform):
    def lag_lines():
        text = get(f"http://127.0.0.1:{platform.metrics_ports['routing']}/metrics")
        return [line for line in text.splitlines()
                if line.startswith('giaitrinh_consumer_lag{group="routing"')]

    lines = eventually(lag_lines, timeout=30, what="routing reporting its lag")
    partitions = {line.split('partition="')[1].split('"')[0] for line in lines
                  if 'topic="giaitrinh.requests.v1"' in line}
    assert partitions == {str(p) for p in range(6)}


def _restart_after_kill(platform, name):
    """SIGKILL a child process (no chance to finish anything), then start it again."""
    [child] = [c for c in platform.children if c.name == name]
    child.signal(signal.SIGKILL)
    child.process.wait(10)
    child.start()


def test_workers_killed_mid_stream_lose_no_request_and_count_none_twice(platform):
    # A ward no other test writes to, so scoring's counts for it are this test's alone.
    ward = "18859"  # Phường Đồng Thuận
    scoring = f"{platform.web_url('scoring')}/api/v1/localities/{ward}/indicators"
    intake = platform.web_url("intake")
    assert get(scoring)["indicators"] == {}

    def submit(i):
        status, receipt = post(f"{intake}/api/v1/requests", {
            "kind": "feedback", "field": "environment", "locality_code": ward,
            "title": f"Rác thải số {i}", "content": "Rác thải để lâu ngày chưa thu gom."})
        assert status == 201
        return receipt["tracking_code"]

    codes = [submit(i) for i in range(30)]
    # The relay (intake's worker) and routing's consumer die while those events are in flight.
    _restart_after_kill(platform, "intake-worker")
    _restart_after_kill(platform, "routing-worker")
    codes += [submit(i) for i in range(30, 40)]

    def all_registered():
        return all(get(f"{intake}/api/v1/requests/{c}")["status"] == "registered" for c in codes)

    eventually(all_registered, timeout=120, what="every request registered after the restarts")
    counts = eventually(lambda: (c := get(scoring)["indicators"]).get("cases_registered", 0) >= 40 and c,
                        timeout=60, what="scoring counting the registrations")
    assert counts == {"requests_received": 40, "cases_registered": 40}


def test_a_real_prometheus_scrapes_every_process_and_loads_the_alerts(platform, tmp_path):
    """deploy/prometheus/local.yml, pointed at this platform's ports, run by Prometheus."""
    import shutil
    import subprocess

    import yaml

    config = yaml.safe_load((PROJECT_ROOT / "deploy/prometheus/local.yml").read_text("utf-8"))
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [str(PROJECT_ROOT / "deploy/prometheus/alerts.yml")]
    for job in config["scrape_configs"]:
        service, process = job["job_name"].split("-")
        port = platform.web_ports[service] if process == "web" else platform.metrics_ports[service]
        job["static_configs"][0]["targets"] = [f"127.0.0.1:{port}"]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), "utf-8")
    binary = shutil.which("prometheus")
    assert binary, "prometheus not found: `make test` installs Debian's prometheus package"
    address = f"127.0.0.1:{free_port()}"
    with open(tmp_path / "prometheus.log", "wb") as log:
        prometheus = subprocess.Popen(
            [binary, f"--config.file={tmp_path / 'prometheus.yml'}", f"--web.listen-address={address}",
             f"--storage.tsdb.path={tmp_path / 'data'}"], stdout=log, stderr=subprocess.STDOUT)
    api = f"http://{address}/api/v1"
    try:
        def targets_up():
            if prometheus.poll() is not None:
                raise AssertionError((tmp_path / "prometheus.log").read_text(errors="replace")[-2000:])
            try:
                active = get(f"{api}/targets")["data"]["activeTargets"]
            except OSError:
                return None
            return len(active) == 8 and all(t["health"] == "up" for t in active) and active

        active = eventually(targets_up, timeout=60, what="Prometheus scraping all eight processes")
        assert {t["labels"]["job"] for t in active} == {f"{s}-{p}" for s in SERVICES for p in ("web", "worker")}

        def consumed_by_service():
            query = "sum by (service) (giaitrinh_events_consumed_total)"
            result = get(f"{api}/query?query={urllib.parse.quote(query)}")["data"]["result"]
            return {r["metric"]["service"] for r in result} >= {"routing", "scoring", "notify"} and result

        eventually(consumed_by_service, timeout=30, what="the workers' counters in Prometheus")
        rules = [r["name"] for g in get(f"{api}/rules")["data"]["groups"] for r in g["rules"]]
        assert "GiaiTrinhRequestHeldByParkedEvent" in rules and len(rules) == 8
    finally:
        prometheus.terminate()
        prometheus.wait(20)
