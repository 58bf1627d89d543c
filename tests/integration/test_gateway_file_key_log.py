"""Debian's nginx on the gateway file: the key of /tep-giai-trinh/<id>?k=<key> (it opens an
explanation's file to the requester, published or not) is masked in the access log, with and
without the gateway's /routing prefix; the path and the rest of the query stay."""
from __future__ import annotations

import contextlib
import signal
import urllib.request

from giaitrinh_platform.gateway import GatewaySettings, LocalGateway
from giaitrinh_platform.kafka_broker import free_port
from tests.integration.test_gateway_nginx import UPSTREAMS, answers, started
from tests.support.waiting import eventually

FILE_ID = "5d0c2a8e-1f3b-4c6d-9e7f-0a1b2c3d4e5f"


def test_the_access_log_keeps_no_key_of_an_explanations_file(tmp_path):
    key = "Zq3-x_" + "a" * 26  # the form of secrets.token_urlsafe(24)
    gateway = LocalGateway(GatewaySettings(port=free_port()), tmp_path, UPSTREAMS)
    child = started(gateway)
    try:
        answers(gateway)
        for path in (f"/tep-giai-trinh/{FILE_ID}?k={key}", f"/routing/tep-giai-trinh/{FILE_ID}?x=1&k={key}&y=2",
                     f"/tep-giai-trinh/{FILE_ID}"):
            with contextlib.suppress(OSError):  # no service behind this gateway: 503, logged all the same
                urllib.request.urlopen(gateway.url + path, timeout=10).close()
        log = eventually(lambda: (text := gateway.access_log_path.read_text("utf-8")).count("\n") >= 4 and text,
                         timeout=10, what="the access log lines")
    finally:
        child.signal(signal.SIGTERM)
        child.process.wait(10)
    assert key not in log
    assert f'"GET /tep-giai-trinh/{FILE_ID}?k=[key] HTTP/1.1"' in log
    assert f'"GET /routing/tep-giai-trinh/{FILE_ID}?x=1&k=[key]&y=2 HTTP/1.1"' in log
    assert f'"GET /tep-giai-trinh/{FILE_ID} HTTP/1.1"' in log
