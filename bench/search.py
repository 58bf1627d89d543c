"""Intake's public search on PostgreSQL over a province's worth of published answers: N requests
(default 1,000,000), each explained and published, written straight into intake's migrated
tables by PostgreSQL itself (generate_series; words drawn from a Vietnamese vocabulary with its
diacritics); then searches as people type them — without diacritics, one to three words, the
last cut short, with and without the commune, field and period filters — through
``GET /api/v1/search`` (in process: routing, parsing, the index, the page's rows, the JSON), and
the latency percentiles of each kind of search.

The GIN index is dropped for the load and made again after it with its own definition (a bulk
load's usual order), the words of the documents listed (``search_words``, as revision
0008_search_index does for the rows it finds), then ``ANALYZE``.
"""
from __future__ import annotations

import random
import time

import click
import sqlalchemy as sa
from measure import Measurement, percentile
from parts import Parts
from vietnam_provinces import Ward

from giaitrinh_common import migrations
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_platform.services import SERVICES

# The communes and wards of Quảng Trị (province 44), from the official list.
PLACES = {str(w.code.value): w.name for w in Ward.iter_all() if w.province_code.value == 44}
WARDS = sorted(PLACES)
FIELDS = ["land", "construction", "environment", "finance", "public_procurement", "personnel",
          "administrative_procedures", "justice", "social_affairs", "health", "education", "other"]
DOMAIN_WORDS = (  # noqa: SIM905 — a paragraph reads better than 200 quoted words
    "đất đai xây dựng giấy phép quy hoạch môi trường rác thải nước thải tiếng ồn khói bụi đường "
    "giao thông cầu cống thoát nước ngập lụt điện chiếu sáng cây xanh vỉa hè lấn chiếm trật tự "
    "đô thị an ninh hộ khẩu chứng thực khai sinh kết hôn đăng ký thủ tục hành chính hồ sơ "
    "chậm trễ cán bộ thái độ phục vụ tiếp dân ngân sách thu chi công khai minh bạch đấu thầu "
    "mua sắm công trình nghiệm thu chất lượng bồi thường giải phóng mặt bằng tái định cư "
    "thu hồi cấp sổ đỏ quyền sử dụng tranh chấp ranh giới hòa giải trợ cấp bảo trợ xã hội "
    "hộ nghèo cận nghèo người có công bảo hiểm y tế trạm xá bệnh viện trường học học phí "
    "giáo viên sách giáo khoa chợ kinh doanh hộ cá thể thuế phí lệ phí karaoke quán nhậu "
    "chăn nuôi heo gà ô nhiễm kênh mương thủy lợi ruộng lúa hoa màu sạt lở bờ sông biển "
    "nhà văn hóa thôn tổ dân phố khu phố phường xã huyện tỉnh ủy ban nhân dân chủ tịch "
    "giải trình trả lời cam kết khắc phục kiểm tra xử lý vi phạm xử phạt niêm yết quy định"
).split()
# Words as text has them: the domain's words first and most often, then the long tail of the
# syllables of every commune's and ward's name, drawn ever more rarely (a Zipf-like law, u³).
# A corpus of 200 equally common words would be unlike any text, and unlike what PostgreSQL's
# statistics expect of one.
_TAIL = sorted({s for w in Ward.iter_all() for s in w.name.lower().split()} - set(DOMAIN_WORDS))
VOCABULARY = list(dict.fromkeys(DOMAIN_WORDS)) + _TAIL
CHUNK = 200_000


def _runtime(url: str):
    spec = SERVICES["intake"]
    migrations.upgrade(spec.package, url)
    return spec.bootstrap(settings=spec.settings({"INTAKE_DATABASE_URL": url}), bus=InMemoryBus())


def _words(seed_expr: str, count: int) -> str:
    """SQL for ``count`` words of the vocabulary, each chosen by a hash of ``seed_expr`` and its
    position (the first words most often), joined by spaces (one expression: no subquery per row)."""
    n = len(VOCABULARY)
    picks = [f"(CAST(:vocabulary AS text[]))[1 + floor({n} * power(abs(hashint4(({seed_expr}) * 31 + {i}))"
             f"::float8 / 2147483649.0, 3))::int]" for i in range(count)]
    return "concat_ws(' ', " + ", ".join(picks) + ")"


def fill(runtime, n: int) -> str:
    """``n`` published answers; returns the GIN index's definition (dropped and made again)."""
    engine = runtime.storage.engine
    with engine.begin() as conn:
        indexdef = conn.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_entries_fulltext'")).scalar_one()
        conn.execute(sa.text("DROP INDEX ix_search_entries_fulltext"))
    params = {"vocabulary": VOCABULARY, "wards": WARDS, "fields": FIELDS}
    with click.progressbar(length=n, label="writing published answers") as bar:
        for first in range(1, n + 1, CHUNK):
            last = min(n, first + CHUNK - 1)
            rows = {"first": first, "last": last, **params}
            with engine.begin() as conn:
                conn.execute(sa.text(f"""
                    INSERT INTO requests (id, tracking_code, kind, channel, field, locality_code, locality_name,
                                          province_code, title, content, requester_type, submitted_at)
                    SELECT md5(g::text)::uuid::text, 'GT-' || lpad(g::text, 12, '0'), 'accountability_request',
                           'portal', (CAST(:fields AS text[]))[1 + g % 12],
                           (CAST(:wards AS text[]))[1 + (g / 7) % {len(WARDS)}],
                           'Phường ' || ((g / 7) % {len(WARDS)}), '44', {_words('g', 8)}, 'Nội dung', 'citizen',
                           timestamptz '2026-11-28 00:00+00' - (g % 1095) * interval '1 day'
                                                              - (g % 86400) * interval '1 second'
                    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g"""), rows)
                conn.execute(sa.text(f"""
                    INSERT INTO answers (request_id, case_version, answered_at, on_time, explanation,
                                         legal_basis, commitments)
                    SELECT md5(g::text)::uuid::text, 3,
                           timestamptz '2026-11-28 00:00+00' - (g % 1000) * interval '1 day', true,
                           {_words('g + 1000003', 30)}, 'Luật Đất đai 2024, Điều ' || (g % 200), '[]'
                    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g"""), rows)
                conn.execute(sa.text("""
                    INSERT INTO search_entries (request_id, locality_code, field, submitted_at, document)
                    SELECT r.id, r.locality_code, r.field, r.submitted_at,
                           r.title || E'\\n' || a.explanation || E'\\n' || a.legal_basis
                    FROM requests r JOIN answers a ON a.request_id = r.id
                    WHERE r.tracking_code BETWEEN 'GT-' || lpad(CAST(:first AS text), 12, '0')
                                              AND 'GT-' || lpad(CAST(:last AS text), 12, '0')"""),
                             {"first": first, "last": last})
            bar.update(last - first + 1)
    if sa.inspect(engine).has_table("localities"):  # intake serves what routing's registry says
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO localities (code, name, province_code, province_name, division_type, served, units, "
                "changed_at) SELECT code, name, '44', 'Quảng Trị', 'ward', true, '[]', now() "
                "FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[])) AS t(code, name) "
                "ON CONFLICT (code) DO NOTHING"), {"codes": WARDS, "names": [PLACES[c] for c in WARDS]})
    click.echo("making the full-text index again …")
    started = time.monotonic()
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
        conn.execute(sa.text(indexdef))
        conn.execute(sa.text("INSERT INTO search_words (word) SELECT DISTINCT unnest(tsvector_to_array(document_tsv)) "
                             "FROM search_entries ON CONFLICT DO NOTHING"))
        for table in ("requests", "answers", "search_entries", "search_words"):
            conn.execute(sa.text(f"ANALYZE {table}"))
    click.echo(f"index made and tables analysed in {time.monotonic() - started:.0f} s")
    return indexdef


def searches(rng: random.Random) -> dict[str, list[dict]]:
    """Searches as people type them, by kind; the same for every run (seeded)."""
    def typed(word: str, cut: bool = False) -> str:
        from giaitrinh_common.ui.search import fold

        bare = fold(word)
        return bare[:max(2, len(bare) - 1)] if cut and len(bare) > 3 else bare

    def words(k: int) -> str:
        chosen = rng.sample(list(dict.fromkeys(DOMAIN_WORDS)), k)  # what people look for
        return " ".join(typed(w, cut=(i == k - 1)) for i, w in enumerate(chosen))

    out: dict[str, list[dict]] = {"one word": [], "two words": [], "three words": [],
                                  "two words + commune": [], "two words + field + year": [],
                                  "no words, commune + field": [], "five words": [],
                                  "a word nobody wrote + a common one": []}
    for _ in range(60):
        out["one word"].append({"q": words(1)})
        out["two words"].append({"q": words(2)})
        out["three words"].append({"q": words(3)})
        out["two words + commune"].append({"q": words(2), "locality_code": rng.choice(WARDS)})
        year = rng.choice([2024, 2025, 2026])
        out["two words + field + year"].append({"q": words(2), "field": rng.choice(FIELDS),
                                                "from": f"{year}-01-01", "to": f"{year}-12-31"})
        out["no words, commune + field"].append({"locality_code": rng.choice(WARDS), "field": rng.choice(FIELDS)})
        out["five words"].append({"q": words(5)})
        out["a word nobody wrote + a common one"].append({"q": f"quyxz{rng.randint(0, 999)} {words(1)}"})
    return out


def bench_search(parts: Parts, n: int) -> list[Measurement]:
    url = parts.database_url("postgresql", "bench_search")
    runtime = _runtime(url)
    try:
        started = time.monotonic()
        fill(runtime, n)
        load_s = time.monotonic() - started
        return [Measurement("search", f"load {n:,} published answers and index them", "postgresql",
                            load_s, "s", n, load_s), *measure(runtime)]
    finally:
        runtime.close()


def measure(runtime) -> list[Measurement]:
    """The searches of :func:`searches` through ``GET /api/v1/search`` on ``runtime``'s filled
    tables (apart from :func:`bench_search`, to measure again on a database kept filled)."""
    from giaitrinh_intake.entrypoints.web import create_app

    client = create_app(runtime).test_client()
    out: list[Measurement] = []
    everything: list[float] = []
    for kind, queries in searches(random.Random(11)).items():
        for query in queries[:5]:  # warm the caches the way a running server is warm
            client.get("/api/v1/search", query_string=query)
        latencies = []
        found = 0
        for query in queries:
            t0 = time.perf_counter()
            resp = client.get("/api/v1/search", query_string=query)
            latencies.append(time.perf_counter() - t0)
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
            found += bool(resp.json["results"])
        latencies.sort()
        everything += latencies
        click.echo(f"{kind:36s} p50 {percentile(latencies, 50) * 1000:6.1f} ms  "
                   f"p95 {percentile(latencies, 95) * 1000:6.1f} ms  ({found}/{len(queries)} found some)")
        for p in (50, 95):
            out.append(Measurement("search", f"p{p}, {kind}", "postgresql",
                                   percentile(latencies, p) * 1000, "ms", len(latencies), sum(latencies)))
    everything.sort()
    for p in (50, 95, 99):
        out.append(Measurement("search", f"p{p}, all {len(everything)} searches (GET /api/v1/search)",
                               "postgresql", percentile(everything, p) * 1000, "ms", len(everything),
                               sum(everything)))
    return out
