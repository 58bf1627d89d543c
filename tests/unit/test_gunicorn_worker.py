"""The web processes' gunicorn worker answers gunicorn's own errors in the platform's JSON
format (the real server is exercised in tests/integration/test_gunicorn_errors.py); here: the
answer it writes, and that every way the platform starts a web process uses it."""
from __future__ import annotations

import json
from pathlib import Path

from giaitrinh_common import gunicorn_conf
from giaitrinh_common.gunicorn_worker import JsonErrorWorker, json_error_response
from giaitrinh_platform.services import SERVICES
from giaitrinh_platform.supervisor import Platform

ROOT = Path(__file__).resolve().parents[2]


def test_the_answer_is_a_complete_http_response_with_the_bilingual_body():
    raw = json_error_response(431, "Request Header Fields Too Large")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 431 Request Header Fields Too Large"
    assert "Connection: close" in lines
    assert f"Content-Length: {len(body)}" in lines
    assert "Content-Type: application/json; charset=utf-8" in lines
    error = json.loads(body.decode("utf-8"))["error"]
    assert error["code"] == "headers_too_large" and error["message"]["vi"] and error["message"]["en"]


def test_a_status_without_its_own_message_gets_the_general_one_of_its_class():
    assert json.loads(json_error_response(418, "I'm a teapot").partition(b"\r\n\r\n")[2])["error"]["code"] \
        == "bad_request"
    assert json.loads(json_error_response(599, "?").partition(b"\r\n\r\n")[2])["error"]["code"] \
        == "internal_error"


def test_every_web_process_uses_the_json_error_worker(tmp_path):
    assert gunicorn_conf.worker_class == f"{JsonErrorWorker.__module__}.{JsonErrorWorker.__name__}"
    # A worker class on the command line would override the configuration file's.
    platform = Platform(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:1", base_env={})
    for name in SERVICES:
        argv = platform.web_argv(name)
        assert "python:giaitrinh_common.gunicorn_conf" in argv
        assert not {"-k", "--worker-class"} & set(argv)
    cmd = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    assert "giaitrinh_common.gunicorn_conf" in cmd
    assert "--worker-class" not in cmd and " -k " not in cmd
