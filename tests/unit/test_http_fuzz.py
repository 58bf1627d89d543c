"""Property-based fuzz of every HTTP endpoint of the four services, through each service's own
app (``create_app(runtime)`` on an in-memory bus and a migrated SQLite file).

Whatever arrives — JSON deep, huge, with lone surrogates or of the wrong types, bytes that are
no JSON at all, any method, path or query string — the answer is never a 5xx, and every 4xx
is the platform's bilingual error body. A submission intake accepts is stored as sent.

Every CI run sends 50 examples to each endpoint and page (150 to the submission properties), so the
whole fuzz stays within the suite's time budget; ``GIAITRINH_FUZZ_EXAMPLES=1000 pytest
tests/unit/test_http_fuzz.py`` fuzzes deeper before a release. A failure prints the smallest input
that breaks the rule (hypothesis shrinks it).
"""
from __future__ import annotations

import json
import os
from urllib.parse import quote, unquote_to_bytes

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.domain.model import Field, RequesterType, RequestKind
from giaitrinh_platform.services import SERVICES
from tests.support.factories import migrated_runtime

PLATFORM_ROUTES = {"/healthz", "/readyz", "/metrics", "/static/<path:filename>"}
PAGES = {"intake": {"/", "/tra-cuu", "/xa-phuong"}}  # HTML pages (giaitrinh_common.ui)
# The submission form, joining a request, and the requester's page behind the secret link.
PAGES["intake"] |= {"/gui-yeu-cau", "/cung-kien-nghi", "/cua-toi/<secret>", "/cua-toi/<secret>/rut",
                    "/cua-toi/<secret>/danh-gia", "/cua-toi/<secret>/khong-dong-y"}
# Every endpoint of each service, and the fuzz below that covers it. A new endpoint fails
# test_every_endpoint_of_every_service_is_fuzzed until it is added here and to a fuzz.
ENDPOINTS = {
    "intake": {"/api/v1/requests", "/api/v1/requests/<tracking_code>"} | PAGES["intake"] | PLATFORM_ROUTES,
    "routing": {"/api/v1/localities", "/api/v1/auth/token", "/api/v1/auth/session", "/api/v1/auth/refresh",
                "/api/v1/auth/sign-out", "/api/v1/auth/me", "/api/v1/auth/password", "/console/gia-han",
                "/api/v1/cases", "/api/v1/cases/<case_id>", "/api/v1/commitments/<commitment_id>/complete"}
               | {f"/api/v1/cases/<case_id>/{action}" for action in (
                   "accept", "refuse", "assign", "transfer", "extend", "suspend", "resume", "answer", "close",
                   "withdraw", "dispute", "decide-dispute", "merge")} | PLATFORM_ROUTES,
    "scoring": {"/api/v1/localities/<code>/indicators"} | PLATFORM_ROUTES,
    "notify": {"/api/v1/inbox/<tracking_code>"} | PLATFORM_ROUTES,
}
# Routing's registry (a locality with its units: public; changes: the provincial admin's) and
# its OpenAPI document.
ENDPOINTS["routing"] |= {"/api/v1/openapi.json", "/api/v1/localities/<locality_code>",
                         "/api/v1/localities/<locality_code>/enable", "/api/v1/localities/<locality_code>/disable",
                         "/api/v1/localities/<locality_code>/units",
                         "/api/v1/localities/<locality_code>/units/<unit_code>",
                         "/api/v1/localities/<locality_code>/rules", "/api/v1/localities/<locality_code>/rules/<field>",
                         "/api/v1/publishers", "/api/v1/publishers/<name>/enable", "/api/v1/publishers/<name>/disable"}
ENDPOINTS["intake"] |= {"/api/v1/similar-requests", "/api/v1/requests/<tracking_code>/join",  # the requester's API
                        "/api/v1/requester/withdraw", "/api/v1/requester/rating", "/api/v1/requester/dispute"}
# Public search (API and page), intake's OpenAPI document, and Open311 GeoReport v2, whose
# errors are the spec's [{code, description}] (or <errors>), fuzzed on their own below.
OPEN311 = {f"/open311/v2/{resource}.<any(json, xml):fmt>" for resource in (
    "discovery", "services", "services/<service_code>", "requests", "requests/<service_request_id>",
    "tokens/<token>")}
PAGES["intake"] |= {"/tim-kiem"}
ENDPOINTS["intake"] |= {"/api/v1/search", "/api/v1/openapi.json", "/tim-kiem"} | OPEN311
# An official records a request received directly, by hotline, at a voter meeting or by mail
# (signed in: 401 here).
ENDPOINTS["intake"] |= {"/api/v1/recorded-requests", "/console/tiep-nhan"}
PAGES["intake"] |= {"/console/tiep-nhan"}
# A request's file, for staff of its locality (a browser follows the case page's link; 401 here).
ENDPOINTS["intake"] |= {"/console/tep-yeu-cau/<file_id>"}
PAGES["intake"] |= {"/console/tep-yeu-cau/<file_id>"}
# The console's sign-in, password and accounts pages (routing): anyone reaches them (no token:
# back to sign-in, 403 or the CSRF refusal).
PAGES["routing"] = {"/console/dang-nhap", "/console/dang-xuat", "/console/mat-khau", "/console/tai-khoan",
                    "/console/tai-khoan/<login>/trang-thai", "/console/tai-khoan/<login>/mat-khau",
                    "/console/tai-khoan/<login>/lien-he"}
# The officials' console (inbox, case page and its actions, bulk actions, commitments, admin pages).
PAGES["routing"] |= {"/console/", "/console/ho-so/<case_id>", "/console/ho-so/<case_id>/<action>",
                     "/console/hang-loat", "/console/cam-ket/<commitment_id>/hoan-thanh", "/console/admin/",
                     "/console/admin/dia-ban/<locality_code>", "/console/admin/dia-ban/<locality_code>/don-vi.csv",
                     "/console/admin/dia-ban/<locality_code>/can-bo.csv",
                     "/console/admin/dia-ban/<locality_code>/quy-tac",
                     "/console/admin/dia-ban/<locality_code>/nhap-csv",
                     "/console/admin/dia-ban/<locality_code>/nhap-can-bo"}
# An explanation's file, for staff of the case's locality (401 here).
PAGES["routing"] |= {"/console/tep-giai-trinh/<file_id>"}
ENDPOINTS["routing"] |= PAGES["routing"]
# A published explanation's file, for anyone (404 unless its answer is published).
ENDPOINTS["routing"] |= {"/tep-giai-trinh/<file_id>"}
# Scoring's violation flags (supervisors, provincial admin: 401/403/404 here) and its OpenAPI document.
ENDPOINTS["scoring"] |= {"/api/v1/flags", "/api/v1/openapi.json"}
# The satisfaction of a locality's units and officials, for its evaluators (401/403/404 here).
PAGES["scoring"] = {"/reports/<code>/hai-long"}
ENDPOINTS["scoring"] |= {"/api/v1/localities/<code>/satisfaction"} | PAGES["scoring"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Examples per endpoint: many endpoints times this is most of the fuzz's time.
PER_ENDPOINT = int(os.environ.get("GIAITRINH_FUZZ_EXAMPLES", "50"))


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    runtimes = {name: migrated_runtime(name, f"sqlite:///{folder / name}.db", InMemoryBus())
                for name in SERVICES}
    yield {name: SERVICES[name].create_app(rt).test_client() for name, rt in runtimes.items()}
    for runtime in runtimes.values():
        runtime.close()


def assert_no_server_error(resp, method: str) -> None:
    text = resp.get_data(as_text=True)
    assert resp.status_code < 500, f"{resp.status_code}: {text[:500]}"
    if resp.status_code >= 400 and method != "HEAD":
        error = json.loads(text)["error"]
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"]["vi"], str) and error["message"]["vi"]
        assert isinstance(error["message"]["en"], str) and error["message"]["en"]
        for item in error["details"]:
            assert isinstance(item["field"], str) and isinstance(item["code"], str)
            assert item["message"]["vi"] and item["message"]["en"]


# Notify's staff inbox, preferences, webhook subscriptions, delivery log and OpenAPI document,
# and its console pages (/console/thong-bao/): fuzzed here as anyone can reach them (no token:
# 401, 403 or 404); what a signed-in person sends is fuzzed in tests/unit/test_notify_api.py.
PAGES["notify"] = {"/console/thong-bao/", "/console/thong-bao/da-doc", "/console/thong-bao/nhat-ky"}
ENDPOINTS["notify"] |= PAGES["notify"] | {
    "/console/thong-bao/chua-doc.json", "/api/v1/openapi.json", "/api/v1/me/inbox", "/api/v1/me/inbox/unread-count",
    "/api/v1/me/inbox/<message_id>", "/api/v1/me/inbox/read", "/api/v1/me/preferences",
    "/api/v1/requests/<tracking_code>/preferences", "/api/v1/webhooks", "/api/v1/webhooks/<subscription_id>",
    "/api/v1/webhooks/<subscription_id>/secrets", "/api/v1/deliveries", "/api/v1/deliveries/<delivery_key>"}


# -- what is sent ---------------------------------------------------------------------------
# Any text, lone surrogate halves and U+0000 included (hypothesis leaves surrogates out unless
# asked), with a share of short ASCII so that known field names and codes come up too.
any_text = st.text(st.characters(exclude_categories=()), max_size=30) | st.text(max_size=8)
json_scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | any_text)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(any_text, inner, max_size=4), max_leaves=16)


def encodings(value) -> st.SearchStrategy[bytes]:
    """The value as JSON bytes: escaped ASCII, or raw UTF-8 with surrogates passed as bytes."""
    return st.sampled_from([
        json.dumps(value).encode("ascii"),
        json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    ])


@st.composite
def hostile_bodies(draw) -> bytes:
    """Bodies that broke or could break a reader: deep nesting, huge text, broken bytes."""
    kind = draw(st.sampled_from(["deep_list", "deep_object", "huge", "bytes", "value", "constant"]))
    if kind == "deep_list":
        n = draw(st.integers(1, 100_000))
        return b"[" * n + b"]" * n
    if kind == "deep_object":
        n = draw(st.integers(1, 5_000))
        return b'{"a":' * n + b"1" + b"}" * n
    if kind == "huge":
        n = draw(st.sampled_from([1_000, 10_001, 1_000_000, 1024 * 1024 + 1, 5 * 1024 * 1024]))
        field = draw(st.sampled_from(["title", "content", "full_name", "x"]))
        return json.dumps({field: "a" * n}).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "constant":
        return draw(st.sampled_from([b"null", b"NaN", b'{"a": Infinity}', b'{"a": 1e999}', b"1" * 5000,
                                     b'{"a": 1, "a": 2}', b'"\\ud800"', b"\xef\xbb\xbf{}", b""]))
    return draw(json_values.flatmap(encodings))


json_content_types = st.sampled_from([
    "application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
    "application/merge-patch+json"])
content_types = st.sampled_from([
    "application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
    "application/merge-patch+json", "text/plain", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", None])


def choice(enum) -> st.SearchStrategy:
    return st.sampled_from([m.value for m in enum])


# A submission: a valid one (any Unicode text), one with some fields replaced by anything at
# all, or each known field absent, plausible or anything; sometimes with extra fields.
some_text = st.text(min_size=1, max_size=40).filter(str.strip)
valid_submissions = st.fixed_dictionaries(
    {"kind": st.just("feedback"), "locality_code": st.just("18880"), "title": some_text,
     "content": some_text},
    optional={"field": choice(Field), "requester_type": choice(RequesterType), "full_name": some_text,
              "address": some_text, "email": st.just("a@example.vn"), "phone": st.just("0912 345 678"),
              "wants_notifications": st.booleans()})
plausible = {
    "kind": choice(RequestKind), "field": choice(Field), "requester_type": choice(RequesterType),
    "locality_code": st.sampled_from(["18880", "19000", "", "1"]), "title": any_text,
    "content": any_text, "full_name": any_text, "address": any_text,
    "email": st.sampled_from(["a@example.vn", "", "not-an-email"]) | any_text,
    "phone": st.sampled_from(["0912 345 678", "+84912345678", ""]) | any_text,
    "wants_notifications": st.booleans(),
}
anything_goes = st.fixed_dictionaries({}, optional={
    name: strategy | json_values for name, strategy in plausible.items()})
spoiled = st.tuples(valid_submissions, st.dictionaries(st.sampled_from(sorted(plausible)) | any_text,
                                                       json_values, min_size=1, max_size=3)).map(
    lambda pair: {**pair[0], **pair[1]})
submissions = valid_submissions | spoiled | anything_goes


path_parts = (st.binary(max_size=40).map(lambda b: quote(b, safe=""))
              | any_text.map(lambda t: quote(t.encode("utf-8", "surrogatepass"), safe=""))
              | st.sampled_from(["GT-7X9V-FH1S-T", "gt-7x9v-fh1s-t", "18880", "..", "%2e%2e", "a/b", ""]))
# Whole numbers as people and programs write them, past every bound a query reads into SQL.
numbers = st.sampled_from([
    str(2**63 - 1), str(2**63), str(2**64), str(10**20), str(-2**63), "-1", "0", "1", "٢", "+2", "1_0",
    "1e3", " 1", "", "2026", "٢٠٢٦", "1999", "100000", "100001", "500", "501", "44", "01", "%00",
]) | st.integers().map(str)
# The query parameters the endpoints read, each maybe given, plus a few nobody reads.
query_items = st.tuples(
    st.fixed_dictionaries({}, optional={name: numbers | any_text
                                        for name in ("page", "per_page", "province", "period", "ma", "q",
                                                     "lang", "locality_code", "field", "from", "to", "xa",
                                                     "linh_vuc", "tu", "den")}),
    st.lists(st.tuples(any_text, numbers | any_text), max_size=2),
).map(lambda pair: [*pair[0].items(), *pair[1]])
header_values = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=80)


def query_string(items) -> str:
    return "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'), safe='')}="
                    f"{quote(v.encode('utf-8', 'surrogatepass'), safe='%')}" for k, v in items)


def concrete(rule: str, part: str) -> str:
    """The rule's path with ``part`` in place of its parameter."""
    for name in ("<tracking_code>", "<code>", "<path:filename>", "<case_id>", "<secret>", "<locality_code>",
                 "<unit_code>", "<field>", "<name>"):
        rule = rule.replace(name, part or "x")
    return rule


def send(client, method: str, path: str, query: str = "", **kwargs):
    """One request with ``path`` and ``query`` exactly as a server hands them to the app (as
    gunicorn does: the path percent-decoded into WSGI's latin-1 string, the query raw), so
    no address is reinterpreted by the test client on the way."""
    return client.open("/", method=method, environ_overrides={
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "QUERY_STRING": query}, **kwargs)


# -- the properties ----------------------------------------------------------------------------
def test_every_endpoint_of_every_service_is_fuzzed(clients):
    for name, client in clients.items():
        rules = {rule.rule for rule in client.application.url_map.iter_rules()}
        assert rules == ENDPOINTS[name], f"{name}: fuzz the new endpoints {rules - ENDPOINTS[name]}"


@FUZZ
@given(body=submissions)
def test_any_submission_gets_a_4xx_or_is_stored_as_sent(clients, body):
    client = clients["intake"]
    resp = client.post("/api/v1/requests", data=json.dumps(body).encode("ascii"),
                       content_type="application/json")
    assert_no_server_error(resp, "POST")
    event(f"status {resp.status_code}")  # --hypothesis-show-statistics: how many got through
    if resp.status_code == 201:
        stored = client.get(resp.headers["Location"])
        assert stored.status_code == 200
        assert stored.json["title"] == body["title"].strip()  # nothing lost on the way in
        given = body.get("kind")
        assert stored.json["kind"] == (given if given is not None else "feedback")  # null: not given
    else:
        assert resp.status_code in (400, 422)


@FUZZ
@given(body=hostile_bodies(), content_type=json_content_types)
def test_any_body_sent_as_json_to_the_submission_endpoint_gets_a_4xx_or_201(clients, body, content_type):
    resp = clients["intake"].post("/api/v1/requests", data=body, content_type=content_type)
    assert_no_server_error(resp, "POST")


ALL_ENDPOINTS = sorted((service, rule) for service, rules in ENDPOINTS.items() for rule in rules
                       if rule not in OPEN311)


@pytest.mark.parametrize(("service", "rule"), ALL_ENDPOINTS, ids=[f"{s}:{r}" for s, r in ALL_ENDPOINTS])
@settings(FUZZ, max_examples=PER_ENDPOINT)
@given(part=path_parts, query=query_items, method=st.sampled_from(METHODS), body=st.none() | hostile_bodies(),
       content_type=content_types)
def test_any_request_to_an_endpoint_is_answered_without_a_server_error(clients, service, rule, part, query,
                                                                       method, body, content_type):
    resp = send(clients[service], method, concrete(rule, part), query_string(query), data=body,
                content_type=content_type)
    if rule in PAGES.get(service, ()) and resp.mimetype == "text/html":  # a page's form with its error
        assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
        return
    assert_no_server_error(resp, method)
    if resp.status_code == 200 and method == "GET" and not rule.startswith(("/metrics", "/static")):
        assert isinstance(resp.json, dict) if rule not in PAGES.get(service, ()) else resp.mimetype == "text/html"


PAGE_ENDPOINTS = sorted((service, rule) for service, rules in PAGES.items() for rule in rules)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(("service", "rule"), PAGE_ENDPOINTS, ids=[f"{s}:{r}" for s, r in PAGE_ENDPOINTS])
@settings(FUZZ, max_examples=PER_ENDPOINT)
@given(query=query_items, method=st.sampled_from(METHODS), language=header_values)
def test_any_request_to_a_page_from_a_browser_is_answered_without_a_server_error(clients, service, rule, query,
                                                                                 method, language):
    resp = send(clients[service], method, rule, query_string(query),
                headers={"Accept": BROWSER_ACCEPT, "Accept-Language": language})
    assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
    if method != "HEAD":  # a page, or the error as a page
        assert resp.mimetype == "text/html"


@FUZZ
@given(service=st.sampled_from(sorted(SERVICES)), parts=st.lists(path_parts, max_size=5),
       method=st.sampled_from(METHODS), query=query_items)
def test_any_address_is_answered_without_a_server_error(clients, service, parts, method, query):
    resp = send(clients[service], method, "/" + "/".join(parts), query_string(query))
    assert_no_server_error(resp, method)


@FUZZ
@given(trace=header_values, traceparent=header_values)
def test_any_trace_header_is_answered_without_a_server_error(clients, trace, traceparent):
    resp = clients["notify"].get("/healthz", headers={"X-Trace-Id": trace, "traceparent": traceparent})
    assert resp.status_code == 200


# -- Open311 GeoReport v2: no 5xx, and every error in the spec's shape -------------------------------
open311_values = st.sampled_from(["18880", "land", "open", "closed", "open,closed", "2026-11-01T00:00:00Z",
                                  "2026-11-01", "GT-7X9V-FH1S-T", "1", "0", "501", "-1", ""]) | any_text
open311_query = st.fixed_dictionaries({}, optional={
    name: open311_values for name in ("jurisdiction_id", "service_code", "service_request_id", "start_date",
                                      "end_date", "status", "page_size", "page", "api_key", "lat", "long",
                                      "description", "address_string", "attribute[kind]")}).map(
    lambda items: list(items.items()))


def assert_open311_error_shape(resp, method: str) -> None:
    text = resp.get_data(as_text=True)
    assert resp.status_code < 500, f"{resp.status_code}: {text[:500]}"
    if resp.status_code < 400 or method == "HEAD":
        return
    if resp.mimetype == "text/xml":
        from xml.etree import ElementTree

        root = ElementTree.fromstring(resp.data)
        assert root.tag == "errors" and root.findall("error")
        assert all(e.findtext("code") == str(resp.status_code) and e.findtext("description")
                   for e in root.findall("error"))
    else:
        errors = json.loads(text)
        assert isinstance(errors, list) and errors
        assert all(e["code"] == resp.status_code and isinstance(e["description"], str) and e["description"]
                   for e in errors)


@pytest.mark.parametrize("rule", sorted(OPEN311))
@settings(FUZZ, max_examples=PER_ENDPOINT)
@given(part=path_parts, fmt=st.sampled_from(["json", "xml", "html", ""]), query=open311_query | query_items,
       method=st.sampled_from(METHODS), body=st.none() | hostile_bodies() | open311_query.map(
           lambda items: query_string(items).encode()), content_type=content_types)
def test_any_open311_request_gets_no_server_error_and_errors_in_the_specs_shape(clients, rule, part, fmt, query,
                                                                                method, body, content_type):
    path = rule.replace("<any(json, xml):fmt>", fmt)
    for name in ("<service_code>", "<service_request_id>", "<token>"):
        path = path.replace(name, part or "x")
    resp = send(clients["intake"], method, path, query_string(query), data=body, content_type=content_type)
    assert_open311_error_shape(resp, method)
