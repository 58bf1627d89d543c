"""Scoring's satisfaction criterion (mức độ hài lòng): every rating a requester or a joiner gives
an answer (``request.rated``) counts in ``ratings_count`` and its stars in ``ratings_sum``, per
locality and period, once per event, whenever it arrives."""
from datetime import UTC, datetime

from giaitrinh_common import contracts, topics
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.metrics import PlatformMetrics
from giaitrinh_scoring.domain.indicators import indicator_moves
from tests.support.factories import LOCALITY, migrated_runtime, request_submitted

RATED_AT = datetime(2026, 12, 1, 3, tzinfo=UTC)


def rated(request: CloudEvent, stars: int, rated_by: str | None = None) -> CloudEvent:
    data = {"request_id": request.subject, "tracking_code": request.data["tracking_code"],
            "locality_code": LOCALITY, "rated_at": RATED_AT.isoformat(), "rating": stars}
    if rated_by:
        data["rated_by"] = rated_by
    event = CloudEvent.new(type="vn.giaitrinh.request.rated.v1", source="/giaitrinh/intake",
                           subject=request.subject, locality=LOCALITY, data=data, time=RATED_AT)
    contracts.validate(event)
    return event


def figures_after(events: list[CloudEvent], url: str, bus) -> dict[str, int]:
    """Scoring's indicators of the ward for 2026 after its consumer has read ``events`` from the
    requests stream, in this order."""
    runtime = migrated_runtime("scoring", url, bus)
    try:
        publisher = bus.publisher()
        for event in events:
            publisher.publish(topics.REQUESTS, event.key, event.to_json())
        publisher.flush()
        consumer = IdempotentConsumer(
            group="scoring", streams=(topics.REQUESTS,), handlers=runtime.handlers(),
            unit_of_work=runtime.unit_of_work, bus=bus,
            metrics=PlatformMetrics().for_service("scoring"), clock=lambda: 1_000_000.0)
        for _ in range(10):
            if not consumer.run_once(timeout=0.05):
                break
        assert consumer.waiting.listing() == []
        with runtime.unit_of_work() as uow:
            return uow.indicators.for_locality(LOCALITY, "2026")
    finally:
        runtime.close()


def test_a_rating_counts_once_and_adds_its_stars():
    request = request_submitted()
    assert indicator_moves("vn.giaitrinh.request.rated.v1", rated(request, 4).data) == [
        ("ratings_count", 1), ("ratings_sum", 4)]


def test_the_requesters_and_a_joiners_ratings_both_count_so_the_mean_is_sum_over_count(bus, sqlite_url):
    request = request_submitted()
    figures = figures_after([request, rated(request, 5), rated(request, 2, rated_by="joiner")],
                            sqlite_url("scoring-ratings"), bus)
    assert figures == {"requests_received": 1, "ratings_count": 2, "ratings_sum": 7}


def test_a_rating_delivered_twice_counts_once(bus, sqlite_url):
    request = request_submitted()
    rating = rated(request, 3)
    figures = figures_after([request, rating, rating], sqlite_url("scoring-rating-twice"), bus)
    assert figures == {"requests_received": 1, "ratings_count": 1, "ratings_sum": 3}


def test_a_rating_read_before_its_request_still_counts(bus, sqlite_url):
    request = request_submitted()
    figures = figures_after([rated(request, 1), request], sqlite_url("scoring-rating-first"), bus)
    assert figures == {"requests_received": 1, "ratings_count": 1, "ratings_sum": 1}
