"""The satisfaction criterion per unit and per official: a rating (``request.rated``, from
intake) counts for the unit the case was with and the official who gave the answer it rates
(routing's ``case.answered``) — once, whatever arrives first; a rating read before its answer
waits, counted for the locality only, and is never dropped; the evaluators of the locality read
it in ``GET /api/v1/localities/<code>/satisfaction``."""
from __future__ import annotations

from datetime import timedelta

import pytest

from giaitrinh_common import contracts, topics
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.domain.case import Actor, Role
from giaitrinh_scoring.entrypoints.web import create_app
from giaitrinh_scoring.service_layer.views import satisfaction_table
from tests.support import consuming
from tests.support.case_history import CaseHistory
from tests.support.factories import LOCALITY, migrated_runtime, served_province
from tests.support.signed_in import bearer, signing_keys

NOW = 1_800_000_000  # 15 January 2027
OFFICIAL_1 = Actor("can-bo-1", Role.OFFICIAL, frozenset({LOCALITY}), "dia-chinh")
OFFICIAL_2 = Actor("can-bo-2", Role.OFFICIAL, frozenset({LOCALITY}), "dia-chinh")


@pytest.fixture
def runtime(bus, sqlite_url):
    rt = migrated_runtime("scoring", sqlite_url("scoring-satisfaction"), bus)
    yield rt
    rt.close()


def answered_by(official: Actor = OFFICIAL_1) -> CaseHistory:
    history = CaseHistory()
    history.assign("dia-chinh", official=official.id)
    history.accept()
    history.answer(by=official)
    return history


def rated(history: CaseHistory, stars: int, days_after_answer: float = 1, by: str = "requester") -> CloudEvent:
    """The rating intake publishes ``days_after_answer`` after the case's latest step."""
    at = history.now + timedelta(days=days_after_answer)
    data = {"request_id": history.request_id, "tracking_code": history.case.tracking_code,
            "locality_code": LOCALITY, "rated_at": at.isoformat(), "rating": stars, "rated_by": by}
    event = CloudEvent.new(type="vn.giaitrinh.request.rated.v1", source="/giaitrinh/intake",
                           subject=history.request_id, locality=LOCALITY, data=data, time=at)
    contracts.validate(event)
    return event


def consume(runtime, *events: CloudEvent, streams: tuple[str, ...] | None = None) -> None:
    """Publish to their topics and let scoring's consumer apply them; ``streams`` decides which
    stream it reads first (the requests stream first: the ratings come before the answers)."""
    consuming.consume(runtime, *events, consumer=None if streams is None else IdempotentConsumer(
        group="scoring", streams=streams, handlers=runtime.handlers(), unit_of_work=runtime.unit_of_work,
        bus=runtime.bus, metrics=runtime.metrics, clock=runtime.clock))


def table(runtime, period: str = "2026"):
    with runtime.unit_of_work() as uow:
        return satisfaction_table(uow, LOCALITY, period)


def scores(runtime, period: str = "2026") -> dict[str, tuple[int, int]]:
    """(ratings, stars) of each unit ("unit:<code>") and official ("official:<id>") rated."""
    t = table(runtime, period)
    return {**{f"unit:{u.id}": (u.satisfaction.ratings, u.satisfaction.stars) for u in t.units},
            **{f"official:{o.id}": (o.satisfaction.ratings, o.satisfaction.stars) for o in t.officials}}


def test_a_rating_counts_for_the_unit_and_official_that_answered(runtime):
    history = answered_by(OFFICIAL_1)
    consume(runtime, history.submitted, *history.events, rated(history, 4), rated(history, 2, by="joiner"))
    assert scores(runtime) == {"unit:dia-chinh": (2, 6), "official:can-bo-1": (2, 6)}
    t = table(runtime)
    assert (t.locality.ratings, t.locality.stars, t.waiting.ratings) == (2, 6, 0)
    assert t.units[0].satisfaction.mean == 3.0


def test_a_rating_delivered_twice_counts_once_for_them(runtime):
    history = answered_by()
    rating = rated(history, 5)
    consume(runtime, history.submitted, *history.events, rating, rating)
    consume(runtime, rating, history.events[-1])  # and the answer told again
    assert scores(runtime) == {"unit:dia-chinh": (1, 5), "official:can-bo-1": (1, 5)}
    assert table(runtime).locality.ratings == 1


def test_a_rating_read_before_its_answer_waits_and_then_counts_for_whoever_answered(runtime):
    history = answered_by(OFFICIAL_2)
    rating = rated(history, 3)
    consume(runtime, rating)  # the cases stream is behind: nothing known of the answer yet
    assert scores(runtime) == {}
    t = table(runtime)
    assert (t.locality.ratings, t.waiting.ratings, t.waiting.stars) == (1, 1, 3)  # counted, not dropped
    consume(runtime, history.submitted, *history.events)
    assert scores(runtime) == {"unit:dia-chinh": (1, 3), "official:can-bo-2": (1, 3)}
    assert table(runtime).waiting.ratings == 0


def test_ratings_read_first_by_the_consumer_give_the_figures_of_the_events_order(runtime, bus, sqlite_url):
    history = answered_by()
    events = [history.submitted, *history.events, rated(history, 4), rated(history, 1, by="joiner")]
    consume(runtime, *events, streams=(topics.REQUESTS, topics.CASES))  # every rating before the answer
    in_order = migrated_runtime("scoring", sqlite_url("satisfaction-in-order"), bus)
    try:
        consume(in_order, *events, streams=(topics.CASES, topics.REQUESTS))
        assert scores(runtime) == scores(in_order) == {"unit:dia-chinh": (2, 5), "official:can-bo-1": (2, 5)}
    finally:
        in_order.close()


def test_a_rating_for_an_unknown_request_counts_for_the_locality_and_waits(runtime):
    stranger = CaseHistory()  # a request scoring never hears answered
    consume(runtime, rated(stranger, 2))
    t = table(runtime)
    assert (t.locality.ratings, t.locality.stars) == (1, 2)
    assert (t.waiting.ratings, t.waiting.stars) == (1, 2) and t.units == [] and t.officials == []


def test_a_rating_after_a_second_answer_counts_for_whoever_gave_that_one_in_any_order(runtime, bus, sqlite_url):
    history = answered_by(OFFICIAL_1)
    first = rated(history, 1)  # of the first explanation
    history.dispute(days=2)
    history.decide_dispute(upheld=True)
    second_answer = history.answer(by=OFFICIAL_2)
    second = rated(history, 5)  # of the second, given by another official
    before_second = [e for e in history.events if e is not second_answer]
    # The second answer arrives last of all: the later rating first counts for can-bo-1, then moves.
    apply = runtime.handlers()
    for event in [history.submitted, *before_second, first, second, second_answer]:
        with runtime.unit_of_work() as uow:
            apply[event.type](event, uow)
            uow.commit()
    assert scores(runtime) == {"unit:dia-chinh": (2, 6), "official:can-bo-1": (1, 1), "official:can-bo-2": (1, 5)}
    in_order = migrated_runtime("scoring", sqlite_url("second-answer-in-order"), bus)
    try:
        consume(in_order, history.submitted, *history.events, first, second)
        assert scores(in_order) == scores(runtime)
    finally:
        in_order.close()


def test_a_rating_counts_in_the_period_it_was_given(runtime):
    history = answered_by()
    late = rated(history, 4, days_after_answer=70)  # in January 2027
    consume(runtime, history.submitted, *history.events, late)
    assert scores(runtime, "2026") == {} and table(runtime, "2026").locality.ratings == 0
    assert scores(runtime, "2027") == {"unit:dia-chinh": (1, 4), "official:can-bo-1": (1, 4)}


@pytest.fixture
def api(bus, tmp_path):
    private, public = signing_keys(tmp_path)
    rt = migrated_runtime("scoring", f"sqlite:///{tmp_path}/api.db", bus, GIAITRINH_AUTH_PUBLIC_KEY=str(public))
    rt.clock = lambda: NOW + 10
    client = create_app(rt).test_client()

    def get(path: str, role: str | None = "supervisor", localities=(LOCALITY,)):
        headers = {} if role is None else bearer(private, role, localities, issued_at=NOW,
                                                 body="ubkt" if role == "supervisor" else None)
        return client.get(path, headers=headers)

    yield rt, get
    rt.close()


def test_the_evaluators_read_each_unit_and_officials_satisfaction_in_the_api(api):
    rt, get = api
    history = answered_by(OFFICIAL_1)
    waiting = CaseHistory()
    consume(rt, history.submitted, *history.events, rated(history, 4), rated(history, 3, by="joiner"),
            rated(waiting, 1))
    answer = get(f"/api/v1/localities/{LOCALITY}/satisfaction?period=2026")
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "locality_code": LOCALITY, "period": "2026",
        "locality": {"ratings_count": 3, "ratings_sum": 8, "mean": 2.67},
        "units": [{"unit_code": "dia-chinh", "name": None, "ratings_count": 2, "ratings_sum": 7, "mean": 3.5}],
        "officials": [{"official_id": "can-bo-1", "official_name": None,
                       "ratings_count": 2, "ratings_sum": 7, "mean": 3.5}],
        "waiting": {"ratings_count": 1, "ratings_sum": 1, "mean": 1.0}}
    assert get(f"/api/v1/localities/{LOCALITY}/satisfaction?period=2026", role="locality_head").status_code == 200
    assert get(f"/api/v1/localities/{LOCALITY}/satisfaction", role="provincial_admin", localities=()).json[
        "period"] == "2027"


def test_an_officials_scores_are_not_public_nor_another_localitys(api):
    _, get = api
    path = f"/api/v1/localities/{LOCALITY}/satisfaction"
    assert get(path, role=None).status_code == 401
    assert get(path, role="official").status_code == 403
    other = get(path, localities=("18881",))
    assert other.status_code == 404 and set(other.json["error"]["message"]) == {"vi", "en"}
    assert get("/api/v1/localities/99999999/satisfaction", role="provincial_admin", localities=()).status_code == 404
    bad = get(f"{path}?period=20x6")
    assert bad.status_code == 400 and bad.json["error"]["details"][0]["field"] == "period"


def test_unit_names_come_from_the_registry(api):
    rt, get = api
    history = answered_by()
    [changed] = [e for e in served_province("44") if e.data["locality_code"] == LOCALITY]  # routing's seeding
    with rt.unit_of_work() as uow:
        for event in (changed, history.submitted, *history.events, rated(history, 5)):
            rt.handlers()[event.type](event, uow)
        uow.commit()
    [unit] = get(f"/api/v1/localities/{LOCALITY}/satisfaction?period=2026").json["units"]
    assert (unit["unit_code"], unit["name"]) == ("dia-chinh", "Công chức Địa chính – Xây dựng")


def test_the_evaluators_page_shows_each_unit_and_official_in_vietnamese_first(api):
    rt, get = api
    history = answered_by(OFFICIAL_2)
    [changed] = [e for e in served_province("44") if e.data["locality_code"] == LOCALITY]
    with rt.unit_of_work() as uow:
        for event in (changed, history.submitted, *history.events, rated(history, 4), rated(history, 3, by="joiner"),
                      rated(CaseHistory(), 5)):
            rt.handlers()[event.type](event, uow)
        uow.commit()
    page = get(f"/reports/{LOCALITY}/hai-long?period=2026")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Mức độ hài lòng với nội dung giải trình" in html and '<html lang="vi">' in html
    assert "Công chức Địa chính – Xây dựng" in html and "can-bo-2" in html
    assert "3,5" in html  # (4 + 3) / 2, written the Vietnamese way
    assert "1 lượt đánh giá đã được tính cho xã/phường" in html  # the rating still waiting for its answer
    assert "<script" not in html and "style=" not in html
    english = get(f"/reports/{LOCALITY}/hai-long?period=2026&lang=en").get_data(as_text=True)
    assert "Satisfaction by official" in english and "3.5" in english


def test_the_page_of_another_locality_or_a_bad_year_is_an_error_page(api):
    _, get = api
    elsewhere = get(f"/reports/{LOCALITY}/hai-long", localities=("18881",))
    assert elsewhere.status_code == 404
    assert get(f"/reports/{LOCALITY}/hai-long", role="official").status_code == 403
    assert get(f"/reports/{LOCALITY}/hai-long?period=1999").status_code == 400
