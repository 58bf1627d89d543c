"""Idempotency-Key on intake's POSTs: a retried POST gets the first answer, never a second request;
the same key with another body is refused; keys expire; concurrent POSTs with one key make one
request (SQLite here; tests/integration/test_search_postgres.py does it on PostgreSQL)."""
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from giaitrinh_common.auth import CSRF_COOKIE
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.adapters.idempotency import KEY_LIFETIME, SqlIdempotencyStore, StoredAnswer
from giaitrinh_intake.adapters.orm import requests
from giaitrinh_intake.adapters.publisher_keys import InMemoryPublisherKeys, Publisher
from giaitrinh_intake.entrypoints.web import create_app
from tests.support.factories import LOCALITY, migrated_runtime
from tests.support.submission import CSRF, multipart, photo_with_location

BODY = {"kind": "feedback", "field": "environment", "locality_code": LOCALITY,
        "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông Nhật Lệ."}
NOW = datetime(2026, 11, 20, 3, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def runtime(sqlite_url, clock):
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus())
    rt.clock = clock
    rt.publisher_keys = InMemoryPublisherKeys([("the-key", Publisher("p1", "P", frozenset({LOCALITY})))])
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def stored_requests(runtime) -> int:
    with runtime.storage.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(requests)).scalar_one()


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer_and_makes_nothing_new(client, runtime):
    first = client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "a1"})
    again = client.post("/api/v1/requests", json=dict(reversed(BODY.items())), headers={"Idempotency-Key": "a1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert stored_requests(runtime) == 1 and runtime.storage.outbox_backlog() == 1


def test_the_table_keeps_neither_the_key_nor_the_answer_in_the_clear(client, runtime):
    first = client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "secret-key-123"})
    with runtime.storage.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.text("SELECT * FROM idempotency_keys")).mappings()]
    stored = repr(rows)
    assert len(rows) == 1 and rows[0]["status"] == 201
    assert "secret-key-123" not in stored and first.json["tracking_code"] not in stored
    assert first.json.get("requester_link") is None or first.json["requester_link"] not in stored


def test_the_same_key_with_another_body_is_refused_in_both_languages(client, runtime):
    client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "a1"})
    other = client.post("/api/v1/requests", json={**BODY, "title": "Khác"}, headers={"Idempotency-Key": "a1"})
    assert other.status_code == 422
    error = other.json["error"]
    assert error["code"] == "idempotency_key_reused" and error["message"]["vi"] and error["message"]["en"]
    assert error["details"][0]["field"] == "Idempotency-Key"
    assert stored_requests(runtime) == 1


def post_form(client, files: list[tuple[str, bytes]], key: str, **fields):
    """A multipart submission with ``files``, encoded afresh (a new boundary) on every call."""
    client.set_cookie(CSRF_COOKIE, CSRF)
    form = {**BODY, "requester_type": "citizen", **fields}  # the form names every field; JSON has defaults
    return client.post("/api/v1/requests", **multipart(form, files),
                       headers={"Idempotency-Key": key, "X-CSRF-Token": CSRF})


def test_a_retried_multipart_post_with_the_same_fields_and_files_gets_the_first_answer(client, runtime):
    photo = photo_with_location()
    first = post_form(client, [("anh.jpg", photo)], "m1")
    again = post_form(client, [("anh.jpg", photo)], "m1")  # another boundary, the same form
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert stored_requests(runtime) == 1


def test_the_same_key_with_other_files_or_fields_of_a_multipart_post_is_refused_as_another_body(client, runtime):
    photo, other_photo = photo_with_location(), photo_with_location(size=(65, 48))
    assert post_form(client, [("anh.jpg", photo)], "m2").status_code == 201
    refusals = [post_form(client, [("anh.jpg", other_photo)], "m2"),  # the same name, other content
                post_form(client, [("anh.jpg", photo), ("anh2.jpg", photo)], "m2"),  # one file more
                post_form(client, [], "m2"),  # the file left out
                post_form(client, [("anh.jpg", photo)], "m2", title="Khác")]  # the same file, another field
    assert [(r.status_code, r.json["error"]["code"]) for r in refusals] == [(422, "idempotency_key_reused")] * 4
    assert stored_requests(runtime) == 1


def test_without_a_key_each_post_is_a_new_request_and_other_keys_are_other_requests(client, runtime):
    client.post("/api/v1/requests", json=BODY)
    client.post("/api/v1/requests", json=BODY)
    client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "k1"})
    client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "k2"})
    assert stored_requests(runtime) == 4


def test_a_refused_request_keeps_nothing_so_the_fixed_body_may_use_the_key(client, runtime):
    bad = client.post("/api/v1/requests", json={**BODY, "title": ""}, headers={"Idempotency-Key": "k"})
    assert bad.status_code == 422
    fixed = client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "k"})
    assert fixed.status_code == 201 and stored_requests(runtime) == 1


def test_a_key_expires_after_its_lifetime_and_then_makes_a_new_request(client, runtime, clock):
    first = client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "k"})
    clock.now = NOW + KEY_LIFETIME - timedelta(seconds=1)
    assert client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "k"}).json == first.json
    clock.now = NOW + KEY_LIFETIME
    later = client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "k"})
    assert later.status_code == 201 and later.json["tracking_code"] != first.json["tracking_code"]
    assert stored_requests(runtime) == 2
    assert timedelta(hours=24) == KEY_LIFETIME  # as documented


@pytest.mark.parametrize("key", ["", "x" * 256, "khóa", "a b", "a\tb"])
def test_a_key_that_is_not_1_to_255_visible_ascii_characters_is_400(client, runtime, key):
    resp = client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": key})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_idempotency_key"
    assert stored_requests(runtime) == 0


def test_hostile_bodies_with_a_key_get_the_views_own_4xx_and_keep_nothing(client, runtime):
    deep = "[" * 100_000 + "]" * 100_000
    for body, content_type in ((deep, "application/json"), ("{not json", "application/json"),
                               (b"\xff\xfe", "application/json"), ("x=1", "text/plain")):
        resp = client.post("/api/v1/requests", data=body, content_type=content_type,
                           headers={"Idempotency-Key": "hostile"})
        assert 400 <= resp.status_code < 500, (body[:20], resp.status_code)
        assert "error" in resp.json
    huge = client.post("/api/v1/requests", data="x" * 2_000_000, content_type="application/json",
                       headers={"Idempotency-Key": "huge"})
    assert huge.status_code == 413
    assert stored_requests(runtime) == 0
    assert client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "hostile"}).status_code == 201


def test_open311_posts_honour_the_key_too(client, runtime):
    form = {"api_key": "the-key", "jurisdiction_id": LOCALITY, "service_code": "land",
            "description": "Lấn chiếm đất công", "address_string": "Tổ 3"}
    first = client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "o1"})
    again = client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "o1"})
    assert first.status_code == again.status_code == 201 and first.json == again.json
    other = client.post("/open311/v2/requests.json", data={**form, "description": "Khác"},
                        headers={"Idempotency-Key": "o1"})
    assert other.status_code == 422
    assert stored_requests(runtime) == 1


def test_concurrent_posts_with_one_key_make_one_request(runtime):
    app = create_app(runtime)
    answers = []
    start = threading.Barrier(6)

    def send():
        client = app.test_client()
        start.wait()
        answers.append(client.post("/api/v1/requests", json=BODY, headers={"Idempotency-Key": "same"}))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stored_requests(runtime) == 1
    assert {a.status_code for a in answers} == {201}
    assert len({a.json["tracking_code"] for a in answers}) == 1


def test_an_answer_that_never_came_keeps_the_key_in_progress_rather_than_risk_a_second_request(runtime, clock):
    """The process died between the request's commit and the answer's: 409, never a new request."""
    store = SqlIdempotencyStore(runtime.storage.engine)
    assert store.claim("POST /api/v1/requests", "lost", "h", clock.now).claimed
    second = store.claim("POST /api/v1/requests", "lost", "h", clock.now)
    assert not second.claimed and second.answer is None
    store.complete("POST /api/v1/requests", "lost", StoredAnswer(201, "application/json", None, "{}"))
    assert store.claim("POST /api/v1/requests", "lost", "h", clock.now).answer.status == 201
