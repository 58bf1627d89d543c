"""The one address: nginx in front of the four web processes (deploy/nginx/giaitrinh.conf.template),
as `giaitrinh up` runs it, exercised over HTTP — the route map, what a service learns through it,
and what the gateway refuses itself, always in the platform's bilingual JSON."""
from __future__ import annotations

import gzip
import http.client
import json
import socket
import uuid
from urllib.parse import urlsplit

from giaitrinh_common.web import standard_error_document
from giaitrinh_platform.gateway import STATIC_ROOT
from giaitrinh_platform.services import SERVICES
from tests.support.waiting import eventually

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def call(platform, method, path, *, body=None, headers=None, source="127.0.0.1"):
    """(status, headers, body bytes) of one request to the gateway, sent from ``source`` (any
    127.x.y.z: Linux answers the whole loopback block, so each is a client address of its own)."""
    address = urlsplit(platform.gateway.url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def raw(platform, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Bytes no HTTP library would send, and the gateway's answer."""
    address = urlsplit(platform.gateway.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body


def new_trace() -> str:
    return uuid.uuid4().hex


def gateway_log_line(platform, trace: str) -> str:
    """The gateway's access log line of the request with this trace id."""
    def find():
        text = platform.gateway.access_log_path.read_text("utf-8", errors="replace")
        return next((line for line in text.splitlines() if f"trace={trace} " in line), None)
    return eventually(find, timeout=10, what=f"the gateway's access log line of trace {trace}")


def assert_security_headers(headers) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name
    assert headers["Strict-Transport-Security"] is None  # HSTS only when configured for TLS


def test_the_route_map_sends_each_prefix_to_its_service(platform):
    for name in SERVICES:
        status, _, body = call(platform, "GET", f"/{name}/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok", "service": name}
    # The pages' prefixes keep their path (the services will serve them there); whichever
    # service answers, the gateway's log names the process it went to.
    pages = {"/": "intake", "/open311/": "intake", "/portal-page": "intake", "/console/": "routing",
             "/console/tiep-nhan": "intake", "/console/tep-yeu-cau/x": "intake", "/tep-giai-trinh/x": "routing",
             "/dashboard/": "scoring", "/reports/": "scoring"}
    for path, service in pages.items():
        trace = new_trace()
        call(platform, "GET", path, headers={"X-Trace-Id": trace})
        assert f"upstream=127.0.0.1:{platform.web_ports[service]} " in gateway_log_line(platform, trace), path


def test_each_service_is_still_reachable_on_its_own_port_with_its_own_addresses(platform):
    for name in SERVICES:
        conn = http.client.HTTPConnection("127.0.0.1", platform.web_ports[name], timeout=10)
        conn.request("GET", "/readyz")
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["service"] == name
        conn.close()


def test_metrics_are_not_served_at_the_public_address(platform):
    for path in ("/metrics", "/intake/metrics", "/routing/metrics/", "/intake/%6Detrics", "//scoring//metrics",
                 "/notify/metrics?format=text"):
        status, headers, body = call(platform, "GET", path)
        assert status == 404, path
        assert json.loads(body) == standard_error_document(404)
        assert_security_headers(headers)


def test_the_service_sees_the_clients_address_and_the_callers_trace_id(platform):
    trace = new_trace()
    # A forged X-Forwarded-For is kept as history; the service believes only the gateway's hop.
    status, headers, _ = call(platform, "GET", "/intake/healthz", source="127.0.0.3",
                              headers={"X-Trace-Id": trace, "X-Forwarded-For": "203.0.113.9"})
    assert status == 200 and headers["X-Trace-Id"] == trace
    log = platform.data_dir / "logs" / "intake-web.log"
    line = eventually(lambda: next((x for x in log.read_text().splitlines() if f"trace={trace}" in x), None),
                      what="intake's access log line")
    assert line.startswith("127.0.0.3 - - ") and '"GET /healthz HTTP/1.1" 200' in line


def test_a_w3c_traceparent_gives_the_trace_id_at_the_gateway_and_in_the_service(platform):
    trace = new_trace()
    status, headers, _ = call(platform, "GET", "/scoring/healthz",
                              headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert status == 200 and headers["X-Trace-Id"] == trace
    assert "upstream=127.0.0.1:" in gateway_log_line(platform, trace)
    # With neither, the gateway makes one, and the service uses it.
    status, headers, _ = call(platform, "GET", "/routing/healthz")
    made = headers["X-Trace-Id"]
    assert status == 200 and len(made) == 32 and made in gateway_log_line(platform, made)


def test_addresses_a_service_builds_follow_the_gateways_prefix_and_not_the_callers(platform):
    # At / the portal (intake) is served without a prefix; a caller's X-Forwarded-Prefix is dropped.
    status, headers, body = call(
        platform, "POST", "/api/v1/requests",
        body=json.dumps({"kind": "feedback", "field": "other", "locality_code": "18880",
                         "title": "Đèn đường", "content": "Đèn đường hỏng ở tổ 5."}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-Prefix": "/elsewhere"})
    assert status == 201, body
    code = json.loads(body)["tracking_code"]
    assert headers["Location"] == f"/api/v1/requests/{code}"
    status, _, body = call(platform, "GET", f"/intake/api/v1/requests/{code}")
    assert status == 200 and json.loads(body)["tracking_code"] == code


def test_a_body_over_one_mebibyte_is_refused_at_the_gateway_in_both_languages(platform):
    trace = new_trace()
    # Any route but the submission's two (whose locations take five photos, 27 MiB) keeps 1 MiB.
    status, headers, body = call(platform, "POST", "/routing/api/v1/auth/token", body=b"{" + b" " * (1 << 20) + b"}",
                                 headers={"Content-Type": "application/json", "X-Trace-Id": trace},
                                 source="127.0.0.5")
    assert status == 413
    assert headers.get_content_type() == "application/json"
    assert json.loads(body) == standard_error_document(413)
    assert headers["X-Trace-Id"] == trace
    assert_security_headers(headers)
    assert "upstream=- " in gateway_log_line(platform, trace)  # no service saw it


def test_public_posts_over_the_rate_are_refused_with_retry_after_in_both_languages(platform):
    # A client address of its own (127.0.0.2), so no other test's POSTs count against it. The
    # body is one intake refuses (422): the limit is the gateway's, nothing is stored.
    answers = [call(platform, "POST", "/intake/api/v1/requests", body=b"{}", source="127.0.0.2",
                    headers={"Content-Type": "application/json"}) for _ in range(40)]
    statuses = [status for status, _, _ in answers]
    assert set(statuses) == {422, 429}
    first_refused = statuses.index(429)
    assert first_refused >= 21  # the rate's one plus the burst of 20 pass at once
    _, headers, body = answers[first_refused]
    assert headers["Retry-After"] == "1"  # 60 POSTs a minute: one a second
    assert json.loads(body) == standard_error_document(429)
    assert_security_headers(headers)
    # Only POSTs are limited, and only that address's.
    assert call(platform, "GET", "/intake/healthz", source="127.0.0.2")[0] == 200
    assert call(platform, "POST", "/intake/api/v1/requests", body=b"{}", source="127.0.0.6",
                headers={"Content-Type": "application/json"})[0] == 422
    assert call(platform, "GET", "/intake/healthz", source="127.0.0.2")[1]["Retry-After"] is None


def test_security_headers_are_on_pages_errors_and_files(platform):
    for path in ("/intake/healthz", "/intake/no-such-page", "/console/", "/metrics", "/static/giaitrinh.css",
                 "/static/no-such-file.css"):
        _, headers, _ = call(platform, "GET", path)
        assert_security_headers(headers)


def test_json_is_gzipped_for_a_client_that_accepts_it(platform):
    path = "/routing/api/v1/localities?province=44"
    status, headers, body = call(platform, "GET", path, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    plain_status, plain_headers, plain = call(platform, "GET", path)
    assert plain_status == 200 and plain_headers["Content-Encoding"] is None
    assert json.loads(gzip.decompress(body)) == json.loads(plain)
    assert len(body) < len(plain) / 3


def test_static_files_are_served_with_cache_headers(platform):
    status, headers, body = call(platform, "GET", "/static/giaitrinh.css")
    assert status == 200 and headers.get_content_type() == "text/css"
    assert headers["Cache-Control"] == "max-age=3600"
    assert body == (STATIC_ROOT / "giaitrinh.css").read_bytes()
    status, headers, body = call(platform, "GET", "/static/no-such-file.css")
    assert status == 404 and json.loads(body) == standard_error_document(404)


def test_oversized_and_injected_headers_are_refused_at_the_gateway_in_both_languages(platform):
    big_header = b"GET /intake/healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
    long_line = b"GET /intake/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    bare_cr = b"GET /intake/healthz HTTP/1.1\r\nHost: x\r\nX-A: b\rSet-Cookie: c=d\r\n\r\n"
    nul = b"GET /intake/healthz HTTP/1.1\r\nHost: x\r\nX-A: b\x00c\r\n\r\n"
    for request, status in ((big_header, 431), (long_line, 414), (bare_cr, 400), (nul, 400)):
        got, headers, body = raw(platform, request)
        assert got == status, request[:60]
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == standard_error_document(status)
        assert headers["X-Frame-Options"] == "DENY" and "Set-Cookie" not in headers


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_the_gateways_own_refusals_stay_bilingual_json_when_a_browser_asks(platform):
    # The choice (docs/ARCHITECTURE.md, the gateway): nginx answers its own 413 and 431 in the
    # platform's JSON for every client; a browser shows it as readable text in both languages.
    status, headers, body = call(platform, "POST", "/console/dang-nhap", body=b"a=" + b" " * (1 << 20),
                                 headers={"Content-Type": "application/x-www-form-urlencoded",
                                          "Accept": BROWSER_ACCEPT}, source="127.0.0.9")
    assert (status, headers.get_content_type()) == (413, "application/json")
    assert json.loads(body) == standard_error_document(413)
    big = (b"GET /console/dang-nhap HTTP/1.1\r\nHost: x\r\nAccept: " + BROWSER_ACCEPT.encode()
           + b"\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    got, headers, body = raw(platform, big)
    assert (got, headers["Content-Type"]) == (431, "application/json")
    assert json.loads(body) == standard_error_document(431)
