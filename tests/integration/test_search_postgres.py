"""Public search and Idempotency-Key on a real PostgreSQL: unaccent + full text find the same
answers as SQLite's FTS5 (diacritics and đ aside, words as prefixes, consent respected, filters),
the query can use the GIN index, the newest rows and the index give the same pages, and concurrent
POSTs with one key make one request."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.adapters import search_index
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


def test_the_word_being_typed_stands_for_the_whole_words_it_begins(runtime):
    with runtime.unit_of_work() as uow:
        assert SqlSearchIndex(uow.session)._tsquery(["nuoc"]) is None  # nothing written yet
    street = answered(runtime, title="Đường Đông Hà ngập nước", explanation="Nuôi heo gây ô nhiễm.")
    with runtime.unit_of_work() as uow:
        index = SqlSearchIndex(uow.session)
        assert index._tsquery(["duong", "nuo"]) == "duong & (nuoc | nuoi)"
        assert index._tsquery(["nuoi", "duon"]) == "nuoi & (duong)"
        assert index._tsquery(["nuo", "duong"]) is None  # only the last word may be cut short
        assert index._tsquery(["quyxz", "nuo"]) is None and index._tsquery(["nuo", "quyxz"]) is None
    client = create_app(runtime).test_client()
    assert found(client, q="duong nuo") == [street] and found(client, q="heo ngap nu") == [street]
    assert found(client, q="nuoi heo quyxz") == [] and found(client, q="quyxz nuoi") == []


def test_the_newest_rows_and_the_full_text_index_give_the_same_pages(runtime, monkeypatch):
    # One newest row looked at per row a page needs: a page of one (and one more to say whether
    # another follows) looks at the two newest rows only, and the index answers past them.
    monkeypatch.setattr(search_index, "FIRST_WALK_PER_ROW", 1)
    client = create_app(runtime).test_client()
    old = answered(runtime, title="Cống thoát nước cũ", explanation="Đã nạo vét.", when=NOW - timedelta(days=9))
    middle = answered(runtime, title="Giấy phép xây dựng", when=NOW - timedelta(days=5))
    new = answered(runtime, title="Giấy phép kinh doanh", when=NOW - timedelta(days=1))
    assert found(client, q="giay phep", per_page=1) == [new]  # in the two newest rows
    assert found(client, q="giay phep", per_page=1, page=2) == [middle]  # past them: the index
    assert found(client, q="cong thoat", per_page=1) == [old]
    assert found(client, q="giay phep", per_page=1, page=3) == []
    assert client.get("/api/v1/search", query_string={"q": "giay", "per_page": 1, "page": 2}).json["has_more"] is False
    monkeypatch.setattr(search_index, "FIRST_WALK_PER_ROW", 100)
    assert found(client, q="giay phep", per_page=1, page=2) == [middle]


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
