"""Public search of published answers (SQLite, FTS5): only answers the requester agreed to
publish are found, by any words with or without diacritics, filtered by commune or ward, field
and period, a page at a time — through /api/v1/search and the page /tim-kiem, which shows nothing
of who asked."""
from datetime import UTC, datetime, timedelta

import pytest

from giaitrinh_intake.adapters.search_index import SqlSearchIndex, words_of
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.search import SearchEntry, SearchQuery
from giaitrinh_intake.domain.timeline import PublicAnswer
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_routing.domain.case import Actor, Role
from tests.support import case_history
from tests.support.case_history import CaseHistory
from tests.support.factories import LOCALITY, migrated_runtime
from tests.unit.test_public_timeline import deliver

OTHER_WARD = "18871"
NOW = datetime(2026, 11, 2, 2, tzinfo=UTC)
MARKERS = ("Markername Searchperson", "search.marker@example.vn", "0911222333", "Số 9 ngõ Marker")


@pytest.fixture
def runtime(bus, sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), bus)
    rt.clock = NOW.timestamp
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def answered(runtime, *, title="Cấp phép xây dựng nhà ở", explanation="Việc cấp giấy phép xây dựng đúng quy hoạch.",
             consent=True, field="construction", locality=LOCALITY, when=NOW):
    """A request submitted (by a requester with marker personal data) and explained by routing."""
    runtime.clock = when.timestamp
    receipt = runtime.submit(SubmitRequest(
        kind="accountability_request", channel="api", field=field, locality_code=locality, title=title,
        content="Nội dung riêng của người yêu cầu", full_name=MARKERS[0], email=MARKERS[1], phone=MARKERS[2],
        address=MARKERS[3], consent_to_publish=consent))
    history = CaseHistory(request_id=receipt.request_id, tracking_code=receipt.tracking_code, received=when,
                          field=field, locality=locality)
    history.accept()
    history.answer(explanation=explanation)
    deliver(runtime, runtime.bus, *history.events)
    runtime.clock = NOW.timestamp
    return receipt.tracking_code


def codes(resp):
    assert resp.status_code == 200, resp.json
    return [r["tracking_code"] for r in resp.json["results"]]


def test_published_answers_are_found_by_words_without_diacritics_in_any_case_or_order(client, runtime):
    code = answered(runtime, title="Đường Đông Hà ngập nước", explanation="Đã nạo vét cống thoát nước.")
    for query in ("dong ha", "ĐÔNG HÀ", "Đông hà ngập", "nao vet", "nuoc duong", "thoat"):
        assert codes(client.get("/api/v1/search", query_string={"q": query})) == [code], query
    assert codes(client.get("/api/v1/search", query_string={"q": "đồng hới"})) == []


def test_an_answer_without_the_requesters_consent_is_never_found(client, runtime):
    answered(runtime, title="Đất công bị lấn chiếm", consent=False)
    assert codes(client.get("/api/v1/search", query_string={"q": "lan chiem"})) == []
    assert client.get("/api/v1/search").json["results"] == []


def test_a_request_not_yet_answered_is_not_found(client, runtime):
    runtime.submit(SubmitRequest(kind="feedback", channel="api", field="land", locality_code=LOCALITY,
                                 title="Chưa trả lời", content="x", consent_to_publish=True))
    assert client.get("/api/v1/search", query_string={"q": "chua tra loi"}).json["results"] == []


def test_filters_by_ward_field_and_period_and_newest_first(client, runtime, monkeypatch):
    # the head who takes the cases' steps heads both wards
    monkeypatch.setattr(case_history, "HEAD", Actor("chu-tich", Role.LOCALITY_HEAD, frozenset({LOCALITY, OTHER_WARD})))
    a = answered(runtime, title="Giấy phép A", field="construction", when=NOW - timedelta(days=40))
    b = answered(runtime, title="Giấy phép B", field="land", when=NOW - timedelta(days=20))
    c = answered(runtime, title="Giấy phép C", field="land", locality=OTHER_WARD, when=NOW - timedelta(days=10))

    def found(**params):
        return codes(client.get("/api/v1/search", query_string={"q": "giay phep", **params}))

    assert found() == [c, b, a]
    assert found(locality_code=LOCALITY) == [b, a]
    assert found(field="land") == [c, b]
    day_of_b = (NOW - timedelta(days=20)).date().isoformat()
    assert found(**{"from": day_of_b, "to": day_of_b}) == [b]
    assert found(**{"from": day_of_b}) == [c, b]
    assert found(per_page=2) == [c, b] and found(per_page=2, page=2) == [a]
    assert client.get("/api/v1/search", query_string={"q": "giay", "per_page": 2}).json["has_more"] is True
    assert client.get("/api/v1/search", query_string={"q": "giay", "per_page": 2, "page": 2}).json["has_more"] is False
    page = client.get("/tim-kiem", query_string={"q": "giay", "per_page": 2}).get_data(as_text=True)
    assert 'rel="next"' in page and "page=2" in page


def test_results_show_the_answer_and_nothing_of_who_asked(client, runtime):
    code = answered(runtime)
    api = client.get("/api/v1/search", query_string={"q": "giay phep"})
    [hit] = api.json["results"]
    assert hit["explanation"] == "Việc cấp giấy phép xây dựng đúng quy hoạch." and hit["legal_basis"]
    assert hit["status_url"] == f"/api/v1/requests/{code}"
    page = client.get("/tim-kiem", query_string={"q": "giay phep"})
    assert page.status_code == 200 and code in page.get_data(as_text=True)
    for resp in (api, page, client.get("/tim-kiem")):
        text = resp.get_data(as_text=True)
        for marker in (*MARKERS, "Nội dung riêng"):
            assert marker not in text


def test_bad_filters_are_400_naming_the_parameter_and_the_page_keeps_the_form(client):
    for params, name in (({"locality_code": "99999"}, "locality_code"), ({"field": "nope"}, "field"),
                         ({"from": "yesterday"}, "from"), ({"from": "2026-13-01"}, "from"),
                         ({"from": "2026-11-10", "to": "2026-11-01"}, "to"), ({"per_page": "101"}, "per_page"),
                         ({"page": "0"}, "page")):
        resp = client.get("/api/v1/search", query_string=params)
        assert resp.status_code == 400, params
        assert resp.json["error"]["details"][0]["field"] == name
    page = client.get("/tim-kiem", query_string={"xa": "99999"}, headers={"Accept": "text/html"})
    assert page.status_code == 400 and 'name="xa"' in page.get_data(as_text=True)


def test_query_syntax_markup_and_huge_queries_are_only_words(client, runtime):
    code = answered(runtime, title="Trường học <b>mới</b>")
    for hostile in ('"', "NEAR(", "a OR b", "x:*", "' OR 1=1 --", "* ^ - +", "&|!", "\x01", "(" * 500):
        assert client.get("/api/v1/search", query_string={"q": hostile}).status_code == 200, hostile
    assert codes(client.get("/api/v1/search", query_string={"q": "truong OR"})) == []  # OR is a word here
    assert codes(client.get("/api/v1/search", query_string={"q": "truong " + "x" * 100_000})) == []
    assert codes(client.get("/api/v1/search", query_string={"q": "truong"})) == [code]
    page = client.get("/tim-kiem", query_string={"q": "truong"}).get_data(as_text=True)
    assert "<b>mới</b>" not in page and "&lt;b&gt;mới&lt;/b&gt;" in page


def test_words_are_folded_and_cleaned_of_every_query_syntax():
    assert words_of("Phường Nam ĐÔNG Hà") == ["phuong", "nam", "dong", "ha"]
    assert words_of('"a" OR b* NEAR(c) -d') == ["a", "or", "b", "near", "c", "d"]
    assert len(words_of("w " * 100)) == 12


def test_an_entry_put_again_replaces_the_old_text(runtime):
    request_id = runtime.submit(SubmitRequest(kind="feedback", channel="api", field="land",
                                              locality_code=LOCALITY, title="t", content="c")).request_id
    with runtime.unit_of_work() as uow:
        uow.requests.add_answer(request_id, PublicAnswer(1, NOW, True, "giải trình", "căn cứ", ()))
        index = SqlSearchIndex(uow.session)
        index.put(SearchEntry(request_id, LOCALITY, "land", NOW, "chữ cũ"))
        index.put(SearchEntry(request_id, LOCALITY, "land", NOW, "chữ mới"))
        assert index.search(SearchQuery(words=("cu",))).hits == ()
        assert [h.request_id for h in index.search(SearchQuery(words=("moi",))).hits] == [request_id]
        index.remove(request_id)
        assert index.search(SearchQuery(words=("moi",))).hits == ()
