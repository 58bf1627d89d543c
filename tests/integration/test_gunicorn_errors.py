"""A real gunicorn, configured as every web process is (``giaitrinh_common.gunicorn_conf``),
answers the requests it cannot hand to the app — a request line too long, headers too large or
too many, bytes that are no HTTP request — in the platform's bilingual JSON error format, like
the app's own answers. Raw bytes over a socket, because an HTTP client would refuse to send them.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_platform.kafka_broker import free_port
from tests.support import factories
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """Intake's web process under gunicorn on a free port; a body limit of 1000 bytes."""
    folder = tmp_path_factory.mktemp("gunicorn")
    database_url = f"sqlite:///{folder / 'intake.db'}"
    # Migrated, and knowing the communes and wards routing's registry serves (as after `up`).
    factories.migrated_runtime("intake", database_url, InMemoryBus())
    port = free_port()
    env = {**os.environ, "INTAKE_DATABASE_URL": database_url, "INTAKE_MAX_BODY_BYTES": "1000",
           "GIAITRINH_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",  # nobody there: not needed
           "GIAITRINH_DATA_DIR": str(folder)}
    log = (folder / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:giaitrinh_common.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--no-control-socket",
         "giaitrinh_intake.entrypoints.web:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: process.poll() is not None or _answers(port), timeout=60,
                   what="gunicorn answering /healthz")
        assert process.poll() is None, (folder / "gunicorn.log").read_text()
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _answers(port: int) -> bool:
    try:
        return exchange(("127.0.0.1", port), b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] == 200
    except OSError:
        return False


def exchange(address: tuple[str, int], raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw``, read the answer until the server closes: (status, headers, body)."""
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(raw)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip()
               for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split(" ")[1]), headers, body


def assert_bilingual_json(status_headers_body, status: int, code: str) -> dict:
    got_status, headers, body = status_headers_body
    assert got_status == status, body[:300]
    assert headers["content-type"].startswith("application/json")
    assert int(headers["content-length"]) == len(body)
    error = json.loads(body.decode("utf-8"))["error"]
    assert error["code"] == code
    assert error["message"]["vi"] and error["message"]["en"]
    return error


def test_a_request_line_over_the_limit_gets_414_in_json(web):
    raw = b"GET /api/v1/requests/" + b"A" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    error = assert_bilingual_json(exchange(web, raw), 414, "uri_too_long")
    assert "URL" in error["message"]["vi"]


def test_a_header_over_the_limit_gets_431_in_json(web):
    raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n"
    assert_bilingual_json(exchange(web, raw), 431, "headers_too_large")


def test_too_many_headers_get_431_in_json(web):
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    assert_bilingual_json(exchange(web, raw), 431, "headers_too_large")


@pytest.mark.parametrize("raw", [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # a TLS hello sent to the plain port
    b"GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n",
], ids=["not_http", "bad_header_name", "bad_content_length"])
def test_a_request_gunicorn_cannot_read_gets_400_in_json(web, raw):
    assert_bilingual_json(exchange(web, raw), 400, "bad_request")


def test_an_unsupported_transfer_coding_gets_501_in_json(web):
    raw = b"POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: br\r\n\r\n"
    assert_bilingual_json(exchange(web, raw), 501, "not_implemented")


def test_a_body_over_the_services_limit_gets_413_in_json_declared_or_chunked(web):
    body = json.dumps({"title": "x" * 2000}).encode()
    declared = (b"POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    assert_bilingual_json(exchange(web, declared), 413, "too_large")
    chunked = (b"POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    assert_bilingual_json(exchange(web, chunked), 413, "too_large")


def test_the_worker_still_serves_ordinary_requests(web):
    valid = json.dumps({"kind": "feedback", "field": "land", "locality_code": "18880", "title": "Đèn",
                        "content": "Đèn đường hỏng"}).encode()
    raw = (b"POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(valid)) + valid
    status, headers, body = exchange(web, raw)
    assert status == 201, body
    assert json.loads(body)["tracking_code"].startswith("GT-")
