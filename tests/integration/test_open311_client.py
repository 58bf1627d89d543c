"""Third-party Open311 clients from PyPI against intake's /open311/v2/, served by a real HTTP
server on a free port: georeport lists services, definitions and requests in JSON and XML;
civicbot checks its POST against the live service list and definition, then posts a request with
the api_key of a publisher routing's registry published — and gets 403 with a wrong one."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport
from werkzeug.serving import make_server

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.entrypoints.web import create_app
from tests.support.factories import INBOUND_PUBLISHER_KEY, LOCALITY, migrated_runtime

KEY = INBOUND_PUBLISHER_KEY  # the publisher routing's registry published (publisher.changed)


@pytest.fixture
def runtime(sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus())  # it has learnt the registry
    yield rt
    rt.close()


@pytest.fixture
def root(runtime) -> Iterator[str]:
    """The Open311 root of intake's app under a real threaded HTTP server on a free port."""
    server = make_server("127.0.0.1", 0, create_app(runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/open311/v2"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def civicbot_client(root: str) -> Open311Client:
    endpoint = Endpoint(id="giaitrinh", name="Giải Trình", base_url=root, write=True)
    return Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0)),
                         jurisdiction_id=LOCALITY)


def test_georeport_lists_services_and_reads_a_definition_in_json_and_xml(root):
    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction=LOCALITY, output_format=fmt)
        services = client.get_service_list()
        codes = [s["service_code"] for s in services]
        assert "land" in codes and "environment" in codes and len(codes) == 12
        land = next(s for s in services if s["service_code"] == "land")
        assert land["service_name"] == "Đất đai"
        definition = client.get_service_definition("land")
        assert definition["service_code"] == "land"
        codes = [a["code"] for a in (definition["attributes"] if fmt == "json"
                                     else definition["attributes"]["attribute"])]
        assert codes == ["kind", "title"]


def test_civicbot_posts_a_request_and_georeport_finds_it(root, runtime):
    made = civicbot_client(root).create_request(
        "environment", dry_run=False, confirm="SEND", api_key=KEY, validate_remote=True,
        address_string="Bờ sông Nhật Lệ, tổ 5", lat=17.4689, lng=106.6223,
        description="Rác đổ trộm bên bờ sông, bốc mùi cả tuần.", attributes={"kind": "feedback"},
        email="nguoi.bao@example.vn")
    [receipt] = made.response
    code = receipt["service_request_id"]
    assert code.startswith("GT-") and receipt["token"]

    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction=LOCALITY, output_format=fmt)
        one = client.get_service_request(code)
        assert one["service_request_id"] == code and one["service_code"] == "environment"
        assert one["status"] == "open"
        listed = client.get_service_requests(service_code="environment", status="open")
        listed = listed if isinstance(listed, list) else [listed]  # XML: one item is no list
        assert [r["service_request_id"] for r in listed] == [code]
        assert "nguoi.bao@example.vn" not in repr(listed) and "Bờ sông" not in repr(listed)
    assert civicbot_client(root).get_token(receipt["token"])[0]["service_request_id"] == code
    runtime.worker().relay.relay_all()  # the request went the usual way: stored with its event
    assert runtime.storage.outbox_backlog() == 0


def test_civicbot_with_a_wrong_api_key_gets_403_in_the_specs_shape(root, runtime):
    with pytest.raises(HttpError) as refused:
        civicbot_client(root).create_request(
            "land", dry_run=False, confirm="SEND", api_key="not-the-key", address_string="Tổ 3",
            description="Lấn chiếm đất công")
    assert refused.value.status == 403
    assert '"code":403' in refused.value.body.replace(" ", "")
    assert runtime.storage.outbox_backlog() == 0
