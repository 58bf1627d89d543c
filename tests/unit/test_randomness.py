"""The platform's unpredictable bytes (giaitrinh_common.randomness): as strong as the operating
system's, never repeated in a forked process, and drawn on the submit path without a system call
(each ``getrandom()`` let another web thread take the interpreter; bench/README.md)."""
from __future__ import annotations

import os
import re

import pytest

from giaitrinh_common import randomness
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.domain import requester_link
from giaitrinh_intake.domain.tracking import is_valid_tracking_code, new_tracking_code
from giaitrinh_intake.entrypoints.web import create_app
from tests.support.factories import LOCALITY, migrated_runtime

VALID = {"kind": "feedback", "field": "environment", "locality_code": LOCALITY,
         "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông Nhật Lệ."}


def test_the_tokens_have_the_lengths_and_alphabets_of_the_secrets_module():
    assert len(randomness.token_bytes(32)) == 32
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", randomness.token_urlsafe(32))  # as secrets.token_urlsafe(32)
    assert re.fullmatch(r"[0-9a-f]{32}", randomness.token_hex(16))


def test_draws_do_not_repeat_and_every_byte_value_turns_up():
    draws = [randomness.token_bytes(16) for _ in range(2000)]
    assert len(set(draws)) == len(draws)
    assert set(b"".join(draws)) == set(range(256))  # 32,000 bytes: a missing value would mean a bias


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_draws_other_bytes_than_its_parent():
    """gunicorn forks its workers: two workers must never issue the same codes or links."""
    randomness.token_bytes(16)  # the generator is seeded in the parent before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next draws, to the parent, then out
        os.write(write, b"".join(randomness.token_bytes(16) for _ in range(4)))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    parent = b"".join(randomness.token_bytes(16) for _ in range(4))
    assert len(child) == 64 and child != parent


def test_a_submission_reads_nothing_from_the_operating_systems_random_source(sqlite_url, monkeypatch):
    """Its id, its event's id and trace id, its tracking code and its secret link all come from
    the platform's generator: not one ``os.urandom`` (a ``getrandom()`` call) on the way."""
    runtime = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus())
    try:
        client = create_app(runtime).test_client()
        client.post("/api/v1/requests", json=VALID)  # the first one warms every cache

        def refuse(count: int) -> bytes:
            raise AssertionError(f"os.urandom({count}) on the submit path")
        monkeypatch.setattr(os, "urandom", refuse)
        resp = client.post("/api/v1/requests", json=VALID)
        assert resp.status_code == 201, resp.json
        assert is_valid_tracking_code(resp.json["tracking_code"])
        assert requester_link.well_formed(resp.json["requester_link"].removeprefix(requester_link.LINK_PREFIX))
    finally:
        runtime.close()


def test_tracking_codes_and_secret_links_come_from_the_platforms_generator(monkeypatch):
    monkeypatch.setattr(randomness.ssl, "RAND_bytes", lambda count: bytes(count))  # all zero bits
    assert requester_link.new_secret() == "A" * 43
    assert new_tracking_code(randomness.token_bytes).startswith("GT-0000-0000-")
