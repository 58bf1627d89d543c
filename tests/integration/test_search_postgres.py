"""Public search and Idempotency-Key on a real PostgreSQL: unaccent + full text find the same
answers as SQLite's FTS5 (diacritics and đ aside, words as prefixes, consent respected, filters),
the query can use the GIN index, and concurrent POSTs with one key make one request."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.adapters.orm import requests, search_entries
from giaitrinh_intake.adapters.search_index import SqlSearchIndex
from giaitrinh_intake.domain.search import SearchQuery
from giaitrinh_intake.entrypoints.web import create_app
from tests.support.factories import LOCALITY, migrated_runtime
from tests.unit.test_public_search import MARKERS, NOW, answered


@pytest.fixture
def runtime(postgres_url):
    rt = migrated_runtime("intake", postgres_url, InMemoryBus())
    rt.clock = NOW.timestamp
    yield rt
    rt.close()


def found(client, **params) -> list[str]:
    resp = client.get("/api/v1/search", query_string=params)
    assert resp.status_code == 200, resp.json
    return [r["tracking_code"] for r in resp.json["results"]]


def test_answers_are_found_without_diacritics_and_only_with_consent(runtime):
    client = create_app(runtime).test_client()
    street = answered(runtime, title="Đường Đông Hà ngập nước", explanation="Đã nạo vét cống thoát nước.",
                      when=NOW - timedelta(days=3))
    permit = answered(runtime, title="Giấy phép xây dựng", field="land", when=NOW - timedelta(days=1))
    answered(runtime, title="Đường Đông Hà bí mật", consent=False)
    for query in ("dong ha", "ĐÔNG HÀ", "ngập đông", "nao vet", "thoat nuoc duong"):
        assert found(client, q=query) == [street], query
    assert found(client, q="giay phep") == [permit]
    assert found(client) == [permit, street]
    assert found(client, field="land") == [permit]
    assert found(client, locality_code=LOCALITY, per_page=1, page=2) == [street]
    day = (NOW - timedelta(days=3)).date().isoformat()
    assert found(client, **{"from": day, "to": day}) == [street]
    for hostile in ("' OR 1=1 --", "a & b | !c", "x:*", "(((", "\\", "đ" * 300):
        assert client.get("/api/v1/search", query_string={"q": hostile}).status_code == 200
    text = client.get("/api/v1/search").get_data(as_text=True)
    assert not any(marker in text for marker in MARKERS)


def test_the_full_text_query_can_use_the_gin_index(runtime):
    answered(runtime)
    with runtime.unit_of_work() as uow:
        uow.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        index = SqlSearchIndex(uow.session)
        query = sa.select(search_entries.c.id).where(*index._matching(SearchQuery(words=("giay", "phep"))))
        plan = " ".join(uow.session.execute(sa.text("EXPLAIN " + str(query.compile(
            dialect=uow.session.get_bind().dialect, compile_kwargs={"literal_binds": True})))).scalars())
    assert "ix_search_entries_fulltext" in plan, plan


def test_concurrent_posts_with_one_key_make_one_request(runtime):
    app = create_app(runtime)
    body = {"kind": "feedback", "field": "land", "locality_code": LOCALITY, "title": "Lấn chiếm",
            "content": "Lấn chiếm vỉa hè"}
    answers = []
    start = threading.Barrier(8)

    def send():
        client = app.test_client()
        start.wait()
        answers.append(client.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "one-key"}))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with runtime.storage.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(requests)).scalar_one() == 1
    assert {a.status_code for a in answers} == {201}
    assert len({a.json["tracking_code"] for a in answers}) == 1
    assert runtime.storage.outbox_backlog() == 1
