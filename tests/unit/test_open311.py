"""Open311 GeoReport v2 at /open311/v2/: the spec's resources in JSON and XML, POST by a
registered publisher's api_key only, errors in the spec's shape and statuses, and nothing of
the requester in any GET answer — whatever an adversary sends."""
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.adapters.publisher_keys import InMemoryPublisherKeys, Publisher, SqlPublisherKeys
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.entrypoints.web import create_app
from tests.support.case_history import CaseHistory
from tests.support.factories import (
    INBOUND_PUBLISHER,
    INBOUND_PUBLISHER_KEY,
    LOCALITY,
    migrated_runtime,
    publisher_changed,
    teach_registry,
)

KEY = "k3y-of-the-hotline-system-0123456789"
OTHER_WARD = "18871"  # served, but not by this publisher
NOW = datetime(2026, 11, 20, 3, tzinfo=UTC)
MARKERS = {"first_name": "Markerfirst", "last_name": "Markerlast", "email": "marker@example.vn",
           "phone": "0987654321"}
POST = {"jurisdiction_id": LOCALITY, "service_code": "environment", "api_key": KEY,
        "description": "Rác đổ trộm bên bờ sông Nhật Lệ, bốc mùi.", "address_string": "Bờ sông Nhật Lệ",
        "lat": "17.4689", "long": "106.6223"}


@pytest.fixture
def runtime(sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus())
    rt.clock = NOW.timestamp
    rt.publisher_keys = InMemoryPublisherKeys([(KEY, Publisher("hotline-1022", "Đường dây nóng",
                                                                frozenset({LOCALITY})))])
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def post(client, fmt="json", **changes):
    form = {**POST, **changes}
    return client.post(f"/open311/v2/requests.{fmt}", data={k: v for k, v in form.items() if v is not None})


def xml(resp):
    assert resp.mimetype == "text/xml"
    return ET.fromstring(resp.data)


# -- the resources -----------------------------------------------------------------------------------
def test_discovery_names_the_specification_and_both_formats(client):
    doc = client.get("/open311/v2/discovery.json").json
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert xml(client.get("/open311/v2/discovery.xml")).find("endpoints/endpoint/specification") is not None


def test_services_are_the_fields_of_the_jurisdiction_in_json_and_xml(client):
    services = client.get(f"/open311/v2/services.json?jurisdiction_id={LOCALITY}").json
    codes = [s["service_code"] for s in services]
    assert "land" in codes and "environment" in codes and len(codes) == len(set(codes)) == 12
    land = next(s for s in services if s["service_code"] == "land")
    assert land["service_name"] == "Đất đai" and land["type"] == "realtime" and land["metadata"] is True
    assert land["group"] == "Phường Đồng Hới"
    root = xml(client.get(f"/open311/v2/services.xml?jurisdiction_id={LOCALITY}"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    assert root.find("service/metadata").text == "true"


def test_a_service_definition_lists_the_attributes_a_post_may_carry(client):
    definition = client.get("/open311/v2/services/land.json").json
    assert definition["service_code"] == "land"
    kind = next(a for a in definition["attributes"] if a["code"] == "kind")
    assert kind["datatype"] == "singlevaluelist"
    assert {v["key"] for v in kind["values"]} == {"feedback", "accountability_request"}
    root = xml(client.get("/open311/v2/services/land.xml"))
    assert root.tag == "service_definition"
    assert {v.findtext("key") for v in root.findall("attributes/attribute/values/value")} >= {"feedback"}


def test_a_publisher_posts_a_request_and_finds_it_by_id_and_by_token(client, runtime):
    resp = post(client)
    assert resp.status_code == 201
    [made] = resp.json
    code = made["service_request_id"]
    assert code.startswith("GT-") and made["token"]
    [one] = client.get(f"/open311/v2/requests/{code}.json").json
    assert one["service_code"] == "environment" and one["status"] == "open"
    assert one["description"] == "Rác đổ trộm bên bờ sông Nhật Lệ, bốc mùi."
    assert one["requested_datetime"] == "2026-11-20T10:00:00+07:00"
    [token] = client.get(f"/open311/v2/tokens/{made['token']}.json").json
    assert token == {"service_request_id": code, "token": made["token"]}
    with runtime.unit_of_work() as uow:
        stored = uow.requests.by_tracking_code(code)
        where = uow.submissions.details(stored.id).location
    assert stored.channel.value == "open311"
    assert (where.text, where.latitude, where.longitude) == ("Bờ sông Nhật Lệ", 17.4689, 106.6223)


def test_a_post_answers_in_the_spec_xml_shape(client):
    root = xml(post(client, fmt="xml"))
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text.startswith("GT-")


def test_an_accountability_request_by_open311_needs_the_name_and_contact_of_article_10(client):
    resp = post(client, **{"attribute[kind]": "accountability_request"})
    assert resp.status_code == 400
    descriptions = " ".join(e["description"] for e in resp.json)
    assert "first_name" in descriptions and all(e["code"] == 400 for e in resp.json)
    ok = post(client, **{"attribute[kind]": "accountability_request"}, **MARKERS)
    assert ok.status_code == 201


# -- listing ----------------------------------------------------------------------------------------
def _submit(runtime, field="land", title="Đèn đường hỏng", when=NOW):
    runtime.clock = when.timestamp
    receipt = runtime.submit(SubmitRequest(kind="feedback", channel="api", field=field, locality_code=LOCALITY,
                                           title=title, content="Nội dung", full_name="Markerfirst Markerlast",
                                           email="marker@example.vn"))
    runtime.clock = NOW.timestamp
    return receipt


def test_requests_are_listed_by_the_specs_filters(client, runtime):
    land = _submit(runtime, "land", when=NOW - timedelta(days=2))
    env = _submit(runtime, "environment", when=NOW - timedelta(days=1))
    old = _submit(runtime, "land", when=NOW - timedelta(days=120))
    base = f"/open311/v2/requests.json?jurisdiction_id={LOCALITY}"

    def ids(query=""):
        return [r["service_request_id"] for r in client.get(base + query).json]

    assert ids() == [env.tracking_code, land.tracking_code]  # newest first, the last 90 days
    assert ids("&service_code=land") == [land.tracking_code]
    assert ids("&service_code=land,environment") == [env.tracking_code, land.tracking_code]
    assert ids("&start_date=2026-07-01T00:00:00Z&end_date=2026-08-01T00:00:00Z") == [old.tracking_code]
    assert ids(f"&service_request_id={old.tracking_code},{land.tracking_code}") == [
        old.tracking_code, land.tracking_code]
    assert ids("&status=closed") == []
    assert ids("&status=open&page_size=1") == [env.tracking_code]
    assert ids("&status=open&page_size=1&page=2") == [land.tracking_code]
    elsewhere = f"/open311/v2/requests.json?jurisdiction_id={OTHER_WARD}&service_request_id={land.tracking_code}"
    assert client.get(elsewhere).json == []  # another ward's list does not show it


def test_a_closed_case_lists_as_closed(client, runtime):
    from tests.unit.test_public_timeline import deliver

    receipt = _submit(runtime)
    history = CaseHistory(request_id=receipt.request_id, tracking_code=receipt.tracking_code, received=NOW)
    history.refuse()
    deliver(runtime, runtime.bus, *history.events)
    listed = client.get(f"/open311/v2/requests.json?jurisdiction_id={LOCALITY}&status=closed").json
    assert [r["service_request_id"] for r in listed] == [receipt.tracking_code]
    assert listed[0]["status"] == "closed"


def test_personal_data_never_appears_in_any_get_answer(client, runtime):
    made = post(client, **MARKERS).json[0]
    _submit(runtime)
    code = made["service_request_id"]
    answers = [client.get(f"/open311/v2/requests/{code}.{fmt}") for fmt in ("json", "xml")]
    answers += [client.get(f"/open311/v2/requests.{fmt}?jurisdiction_id={LOCALITY}") for fmt in ("json", "xml")]
    answers += [client.get(f"/open311/v2/tokens/{made['token']}.{fmt}") for fmt in ("json", "xml")]
    for resp in answers:
        assert resp.status_code == 200
        text = resp.get_data(as_text=True)
        # the name, contact, the text the requester wrote and where they said it happened
        for marker in (*MARKERS.values(), "Nội dung", "Bờ sông Nhật Lệ", "106.62"):
            assert marker not in text, (marker, resp.request.path)


# -- errors and adversaries -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_without_or_with_a_wrong_api_key_is_403_in_the_specs_shape(client, runtime, fmt):
    for key in (None, "", "wrong-key", "x" * 10_000, KEY + " "):
        resp = post(client, fmt=fmt, api_key=key)
        assert resp.status_code == 403
        if fmt == "json":
            [error] = resp.json
            assert error["code"] == 403 and "api_key" in error["description"]
        else:
            assert xml(resp).find("error/code").text == "403"
    assert runtime.storage.outbox_backlog() == 0


def test_a_key_for_another_ward_is_403_and_an_unknown_ward_404(client):
    assert post(client, jurisdiction_id=OTHER_WARD).status_code == 403
    assert post(client, jurisdiction_id="99999").status_code == 404


def test_the_registrys_publishers_are_checked_by_their_keys_sha256(runtime):
    """Without a fake: intake's copy of routing's registry, fed by publisher.changed."""
    keys = SqlPublisherKeys(runtime.storage.engine)
    known = keys.verify(INBOUND_PUBLISHER_KEY)
    assert known is not None and known.name == INBOUND_PUBLISHER and known.localities == {LOCALITY}
    assert keys.verify(KEY) is None and keys.verify("") is None and keys.verify("x" * 10_000) is None
    teach_registry(runtime, [publisher_changed(active=False, at=datetime(2026, 11, 2, tzinfo=UTC))])
    assert keys.verify(INBOUND_PUBLISHER_KEY) is None  # made inactive: refused from now on


def test_a_post_with_a_key_the_registry_published_is_accepted(runtime):
    runtime.publisher_keys = None  # the registry's table, as deployed
    client = create_app(runtime).test_client()
    assert post(client, api_key=INBOUND_PUBLISHER_KEY).status_code == 201
    assert post(client, api_key=KEY).status_code == 403


def test_missing_and_wrong_parameters_are_400_and_unknown_things_404(client):
    assert client.get("/open311/v2/services.json").status_code == 400
    assert client.get("/open311/v2/services.json?jurisdiction_id=00000").status_code == 404
    assert client.get("/open311/v2/services/nope.json").status_code == 404
    assert client.get("/open311/v2/requests/GT-0000-0000-0.json").status_code == 404
    assert client.get("/open311/v2/requests/'%3Cx%3E.xml").status_code == 404
    assert client.get("/open311/v2/tokens/nope.json").status_code == 404
    base = f"/open311/v2/requests.json?jurisdiction_id={LOCALITY}"
    for query in ("&start_date=yesterday", "&start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
                  "&status=pending", "&service_code=land,ghost", "&page_size=0", "&page_size=501",
                  "&end_date=2026-01-01T00:00:00Z&start_date=2026-02-01T00:00:00Z"):
        resp = client.get(base + query)
        assert resp.status_code == 400, query
        assert resp.json[0]["code"] == 400
    for changes in ({"service_code": None}, {"lat": None, "long": None, "address_string": None},
                    {"lat": "40.7", "long": "-74.0"}, {"lat": "17.4", "long": None}, {"lat": "abc", "long": "106"},
                    {"description": None}):
        assert post(client, **changes).status_code == 400, changes
    assert post(client, service_code="ghost").status_code == 404


def test_the_apps_own_errors_under_open311_answer_in_the_specs_shape(client):
    missing = client.get("/open311/v2/nothing-here.json")
    assert missing.status_code == 404 and missing.json[0]["code"] == 404
    wrong_method = client.delete("/open311/v2/requests.json")
    assert wrong_method.status_code == 405 and wrong_method.json[0]["code"] == 405
    huge = client.post("/open311/v2/requests.json", data={**POST, "description": "x" * 2_000_000})
    assert huge.status_code == 413 and huge.json[0]["code"] == 413
    assert xml(client.get("/open311/v2/nothing-here.xml")).find("error/code").text == "404"


def test_text_with_markup_is_stored_as_written_and_escaped_in_xml(client):
    evil = '<script>alert(1)</script>]]><!ENTITY x SYSTEM "file:///etc/passwd">&x;\x01'
    made = post(client, **{"attribute[title]": evil[:180], "description": "Mô tả"}).json[0]
    resp = client.get(f"/open311/v2/requests/{made['service_request_id']}.xml")
    text = resp.get_data(as_text=True)
    assert "<script>" not in text and "<!ENTITY" not in text
    root = ET.fromstring(resp.data)  # well-formed XML, the control character replaced
    assert root.findtext("request/description") == evil[:180].replace("\x01", "\ufffd")
    [one] = client.get(f"/open311/v2/requests/{made['service_request_id']}.json").json
    assert one["description"] == evil[:180]


def test_huge_and_hostile_parameters_are_refused_or_cut_not_crashing(client):
    base = f"/open311/v2/requests.json?jurisdiction_id={LOCALITY}"
    assert client.get(base + "&service_request_id=" + ",".join(["GT-0000-0000-0"] * 100)).status_code == 200
    assert client.get(base + "&service_request_id=" + ",".join(["GT-0000-0000-0"] * 3000)).status_code == 400
    assert client.get(base + "&service_code=" + "land," * 5000).status_code == 400
    assert client.get("/open311/v2/services.json?jurisdiction_id=" + "1" * 100_000).status_code == 400
    assert post(client, description="x" * 20_001).status_code == 400  # over the content limit
    too_long_name = post(client, first_name="N" * 300, **{"attribute[kind]": "accountability_request"},
                         phone="0987654321")
    assert too_long_name.status_code == 400 and "first_name" in too_long_name.json[0]["description"]
    assert post(client, **{"attribute[kind]": "<kind/>"}).status_code == 400
    not_utf8 = client.post("/open311/v2/requests.json", content_type="application/x-www-form-urlencoded",
                           data=f"api_key={KEY}&jurisdiction_id={LOCALITY}&service_code=land&description=%FF%FE"
                                "&address_string=x".encode())
    assert not_utf8.status_code == 400 and "UTF-8" in not_utf8.json[0]["description"]
    assert post(client, description="a\x00b").status_code == 400  # U+0000: no database stores it
