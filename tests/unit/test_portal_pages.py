"""The citizens' portal (intake's pages in the shared shell), through Flask's test client: the
home page, the tracking-code lookup that shows the public timeline the API shows and nothing
personal, and the list of communes and wards found without diacritics."""
from html.parser import HTMLParser

import pytest

from giaitrinh_common import migrations, topics
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_platform.services import SERVICES
from tests.support.case_history import MONDAY, CaseHistory
from tests.support.factories import LOCALITY, served_province, teach_registry

KINDS_OF_PLACE = ("Phường ", "Xã ", "Đặc khu ")
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
VIETNAMESE, ENGLISH = {**BROWSER, "Accept-Language": "vi"}, {**BROWSER, "Accept-Language": "en"}


@pytest.fixture
def intake(bus, sqlite_url):
    url = sqlite_url("intake")
    migrations.upgrade(SERVICES["intake"].package, url)
    rt = SERVICES["intake"].bootstrap(settings=SERVICES["intake"].settings({"INTAKE_DATABASE_URL": url}),
                                      bus=bus, clock=lambda: MONDAY.timestamp())
    teach_registry(rt, served_province("44"))  # what routing's registry publishes when seeded
    yield rt
    rt.close()


@pytest.fixture
def client(intake):
    return create_app(intake).test_client()


def submit(intake) -> CaseHistory:
    receipt = intake.submit(SubmitRequest(
        kind="accountability_request", channel="api", field="land", locality_code=LOCALITY,
        title="Cấp phép xây dựng", content="Vì sao công trình bên cạnh được cấp phép?",
        full_name="Nguyễn Văn An", email="an@example.vn", phone="0912345678", address="12 Lý Thường Kiệt"))
    return CaseHistory(request_id=receipt.request_id, tracking_code=receipt.tracking_code,
                       received=receipt.submitted_at)


def deliver(intake, bus, *events) -> None:
    publisher = bus.publisher()
    for event in events:
        publisher.publish(topics.CASES, event.key, event.to_json())
    publisher.flush()
    consumer = intake.consumer()
    while consumer.run_once(timeout=0.05):
        pass
    consumer.close()


class Page(HTMLParser):
    """The text of a page, its elements' attributes, and the text of each element with an id."""

    def __init__(self, html: str):
        super().__init__()
        self.text_parts: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def page(resp) -> Page:
    assert resp.mimetype == "text/html"
    return Page(resp.get_data(as_text=True))


def test_the_home_page_is_in_vietnamese_and_tells_how_to_submit_and_track(client):
    resp = client.get("/", headers=BROWSER)
    assert resp.status_code == 200
    home = page(resp)
    assert home.find("html", lang="vi")
    assert "Gửi và theo dõi yêu cầu giải trình" in home.text
    assert "Cách gửi yêu cầu" in home.text and "Cách tra cứu" in home.text
    assert "5 ngày làm việc" in home.text and "Tỉnh Quảng Trị" in home.text
    assert "78 xã, phường của tỉnh Quảng Trị" in home.text
    form = home.find("form", action="/tra-cuu", method="get")
    assert form and home.find("input", name="ma", id="field-ma")
    assert home.find("label", **{"for": "field-ma"})


def test_the_tracking_page_shows_the_public_timeline_the_api_shows_and_nothing_personal(client, intake, bus):
    history = submit(intake)
    history.accept()
    deliver(intake, bus, *history.events)
    code = history.case.tracking_code
    api = client.get(f"/api/v1/requests/{code}").json

    resp = client.get(f"/tra-cuu?ma={code}", headers=VIETNAMESE)
    assert resp.status_code == 200
    shown = page(resp)
    for entry in api["timeline"]:
        assert entry["label"]["vi"] in shown.text
    assert [a["datetime"] for a in shown.find("time") if a.get("class") == "timeline__when"] == [
        e["at"] for e in api["timeline"]]
    assert "Đã thụ lý, đang giải trình" in shown.text  # status "accepted", in words
    assert "Phường Đồng Hới" in shown.text and "Cấp phép xây dựng" in shown.text
    # The answer's deadline, as a Vietnamese date (Babel's CLDR form), machine-readable beside it.
    assert shown.find("time", datetime=api["deadline"]["due_by"])
    assert "tháng 11, 2026" in shown.text and "Hạn giải trình" in shown.text
    body = resp.get_data(as_text=True)
    for personal in ("Nguyễn Văn An", "an@example.vn", "0912345678", "Lý Thường Kiệt", "Vì sao công trình"):
        assert personal not in body

    english = page(client.get(f"/tra-cuu?ma={code}", headers=ENGLISH))
    for entry in api["timeline"]:
        assert entry["label"]["en"] in english.text
    assert "Accepted, being explained" in english.text and "November" in english.text


def test_a_mistyped_tracking_code_is_shown_on_the_form_with_the_apis_message(client, intake):
    code = submit(intake).case.tracking_code
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    api = client.get(f"/api/v1/requests/{wrong}").json["error"]
    resp = client.get(f"/tra-cuu?ma={wrong}", headers=VIETNAMESE)
    assert resp.status_code == 400
    shown = page(resp)
    assert api["message"]["vi"] in shown.text and api["message"]["en"] in shown.text
    assert shown.find("input", name="ma", value=wrong, **{"aria-invalid": "true"})
    assert shown.find("div", role="alert")
    assert shown.find("a", href="#field-ma")  # the summary links to the field


def test_a_tracking_code_no_request_has_answers_404_on_the_form(client):
    resp = client.get("/tra-cuu?ma=GT-7X9V-FH1S-" + "X", headers=ENGLISH)
    assert resp.status_code in {400, 404}
    resp = client.get("/tra-cuu?ma=" + CaseHistory().case.tracking_code, headers=ENGLISH)
    assert resp.status_code == 404
    assert "No request has this tracking code." in page(resp).text


def test_the_tracking_form_alone_answers_200(client):
    resp = client.get("/tra-cuu", headers=BROWSER)
    assert resp.status_code == 200 and page(resp).find("input", name="ma", value="")


def test_a_commune_typed_without_diacritics_is_found(client):
    shown = page(client.get("/xa-phuong?q=nam+dong+ha", headers=VIETNAMESE))
    places = [p for p in shown.text_parts if p.startswith(KINDS_OF_PLACE)]
    assert places == ["Phường Nam Đông Hà"]
    assert "Tìm thấy 1 xã, phường với “nam dong ha”." in shown.text
    assert page(client.get("/xa-phuong?q=DONG+HA+nam", headers=VIETNAMESE)).text.count("Phường Nam Đông Hà") == 1
    nothing = page(client.get("/xa-phuong?q=khong+co+dau", headers=ENGLISH))
    assert "No commune or ward has that name." in nothing.text


def test_the_communes_are_listed_in_vietnamese_order_a_page_at_a_time(client):
    first = page(client.get("/xa-phuong", headers=VIETNAMESE))
    names = [p for p in first.text_parts if p.startswith(KINDS_OF_PLACE)]
    assert len(names) == 24
    assert names[0] == "Xã A Dơi"  # A before Ă, B, …; the kind of place does not count
    pages = first.find("a", rel="next")
    assert pages and pages[0]["href"] == "/xa-phuong?page=2"
    everything = []
    for n in range(1, 5):
        everything += [p for p in page(client.get(f"/xa-phuong?page={n}", headers=VIETNAMESE)).text_parts
                       if p.startswith(KINDS_OF_PLACE)]
    assert len(everything) == 78
    bare = [next(n[len(k):] for k in KINDS_OF_PLACE if n.startswith(k)) for n in everything]
    d_names = [n for n in bare if n[0] in "DĐ"]
    assert d_names == sorted(d_names, key=lambda n: n[0] == "Đ")  # every D before every Đ
    assert bare.index("Đông Hà") < bare.index("Đồng Hới")  # ô before ồ: the tone comes second


def test_paging_out_of_bounds_is_a_bilingual_error_page(client):
    resp = client.get("/xa-phuong?page=0", headers=VIETNAMESE)
    assert resp.status_code == 400
    shown = page(resp)
    assert "invalid_paging" in shown.text
    assert "Tham số page phải là số nguyên" in shown.text and "The parameter page must be" in shown.text
