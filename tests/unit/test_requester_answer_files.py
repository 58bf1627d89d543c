"""The requester reads the files of the explanation given to them, published or not: routing gives
each file a key when the answer is recorded (keeping only its SHA-256), ``case.answered`` carries
it to intake, and the requester's own page (``/cua-toi/<secret>``) links each file as
``/tep-giai-trinh/<id>?k=<key>``. The key opens that one file and nothing else; it never shows on
the public timeline, in the public API, on a joiner's page, or in routing's step and audit logs.
Without consent and without the right key the file is not found (404, as for no file at all)."""
from __future__ import annotations

import html
import json
import re
import uuid
from urllib.parse import urlsplit

import sqlalchemy as sa

from giaitrinh_common import topics
from giaitrinh_common.contracts import validate
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_notify.adapters import orm as notify_orm
from giaitrinh_notify.adapters.webhooks import new_signing_secret
from giaitrinh_notify.domain.webhooks import SigningSecret, WebhookSubscription
from giaitrinh_routing.adapters.orm import audit_log, case_steps
from giaitrinh_routing.domain.case_files import (
    MAX_ACCESS_KEY,
    CaseFile,
    access_key_digest,
    key_opens,
    new_access_key,
)
from tests.support.case_history import MONDAY, CaseHistory
from tests.support.consuming import consume
from tests.support.factories import migrated_runtime
from tests.support.submission import a_pdf
from tests.unit import test_answer_files, test_case_files
from tests.unit.test_answer_files import ANSWER, answered_events, kept_files, post_files, to_intake
from tests.unit.test_console_pages import Browser, open_case

# The fixtures: routing with its console app and accounts, intake with its portal.
routing, app, accounts, clock = test_answer_files.routing, test_answer_files.app, test_answer_files.accounts, \
    test_answer_files.clock
intake, portal = test_answer_files.intake, test_answer_files.portal
PAGE = {"Accept": "text/html", "Accept-Language": "vi"}
KEYED_LINK = re.compile(r'href="(/tep-giai-trinh/[^"?]+\?k=[^"]+)"')


def submitted(routing, portal, intake, consent: bool) -> tuple[str, str, str]:
    """A request submitted on the portal, its case opened in routing: (tracking code, the
    requester's own page, the case's id)."""
    form = {**test_case_files.REQUEST, **({"consent_to_publish": True} if consent else {})}
    resp = portal.post("/api/v1/requests", json=form)
    assert resp.status_code == 201, resp.json
    intake.worker().relay.relay_all()
    [event] = [CloudEvent.from_json(r.value) for r in intake.bus.records(topics.REQUESTS)]
    return resp.json["tracking_code"], resp.json["requester_link"], test_case_files.deliver_to_routing(routing, event)


def answered(routing, app, accounts, case_id: str, names=("Trả lời ông Nguyễn Văn An.pdf",)) -> list[dict]:
    """The case accepted and answered with a PDF per name; the files routing kept, in order."""
    official = Browser(app, accounts, "can-bo")
    assert official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"}).status_code == 303
    done = post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "1", **ANSWER},
                      [(name, a_pdf()) for name in names], "answer-attachments")
    assert done.status_code == 303
    return kept_files(routing)


def answered_request(routing, app, accounts, portal, intake, consent: bool,
                     names=("Trả lời ông Nguyễn Văn An.pdf",)) -> tuple[str, str, list[dict]]:
    """A request submitted on the portal and answered with a PDF per name, the answer back in
    intake: (tracking code, the requester's own page, the files routing kept)."""
    code, own_page, case_id = submitted(routing, portal, intake, consent)
    kept = answered(routing, app, accounts, case_id, names)
    to_intake(routing, intake)
    return code, own_page, kept


def keyed_links(portal, own_page: str) -> list[str]:
    resp = portal.get(own_page, headers=PAGE)
    assert resp.status_code == 200
    return [html.unescape(href) for href in KEYED_LINK.findall(resp.get_data(as_text=True))]


def key_of(link: str) -> str:
    return link.split("?k=", 1)[1]


def not_found(app, path: str) -> None:
    resp = app.test_client().get(path)
    assert resp.status_code == 404, path[:120]
    assert resp.json == app.test_client().get(f"/tep-giai-trinh/{uuid.uuid4()}").json  # no hint it exists


def test_the_requester_opens_an_unpublished_answers_file_through_the_link_on_their_own_page(
        routing, app, accounts, portal, intake):
    code, own_page, [kept] = answered_request(routing, app, accounts, portal, intake, consent=False)
    [link] = keyed_links(portal, own_page)
    assert link.startswith(f"/tep-giai-trinh/{kept['id']}?k=")
    page = portal.get(own_page, headers=PAGE).get_data(as_text=True)
    assert "Tệp 1" in page and "Tệp đính kèm văn bản giải trình" in page  # labelled as the timeline labels it
    # The explanation itself was given to them too: whole on their page, said to be theirs alone.
    assert ANSWER["answer-explanation"] in page and ANSWER["answer-legal_basis"] in page
    assert "bạn đã không đồng ý công khai" in page
    got = app.test_client().get(link)  # routing's app, as the gateway sends the path
    assert got.status_code == 200 and got.data == kept["content"] and got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"] == "attachment; filename=giai-trinh.pdf"  # never the file's own name
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "private, no-store"
    not_found(app, f"/tep-giai-trinh/{kept['id']}")  # without the key: not published, not found


def test_the_public_timeline_and_api_of_an_unpublished_answer_show_no_file_link_and_no_key(
        routing, app, accounts, portal, intake):
    code, own_page, [kept] = answered_request(routing, app, accounts, portal, intake, consent=False)
    key = key_of(keyed_links(portal, own_page)[0])
    timeline = portal.get(f"/tra-cuu?ma={code}", headers=PAGE).get_data(as_text=True)
    api = json.dumps(portal.get(f"/api/v1/requests/{code}").json, ensure_ascii=False)
    for public in (timeline, api):
        assert "/tep-giai-trinh/" not in public and kept["id"] not in public and key not in public


def test_a_wrong_key_another_files_key_no_key_or_a_very_long_key_finds_nothing(routing, app, accounts, portal, intake):
    code, own_page, [first, second] = answered_request(routing, app, accounts, portal, intake, consent=False,
                                                       names=("a.pdf", "b.pdf"))
    links = keyed_links(portal, own_page)
    assert [link.split("?")[0] for link in links] == [f"/tep-giai-trinh/{f['id']}" for f in (first, second)]
    first_key, second_key = key_of(links[0]), key_of(links[1])
    assert first_key != second_key
    path = f"/tep-giai-trinh/{first['id']}"
    for forged in (f"{path}?k={new_access_key()}", f"{path}?k={second_key}", path, f"{path}?k=",
                   f"{path}?k={first_key}x", f"{path}?k={first_key[:-1]}", f"{path}?k={'A' * 5000}",
                   f"{path}?key={first_key}", f"/tep-giai-trinh/{uuid.uuid4()}?k={first_key}"):
        not_found(app, forged)
    assert app.test_client().get(f"{path}?k={first_key}").data == first["content"]
    assert app.test_client().get(f"/tep-giai-trinh/{second['id']}?k={second_key}").data == second["content"]


def test_with_consent_the_public_path_still_serves_the_file_and_the_requesters_link_too(
        routing, app, accounts, portal, intake):
    code, own_page, [kept] = answered_request(routing, app, accounts, portal, intake, consent=True)
    [link] = keyed_links(portal, own_page)
    public = app.test_client().get(f"/tep-giai-trinh/{kept['id']}")
    assert public.status_code == 200 and public.data == kept["content"]
    assert app.test_client().get(link).data == kept["content"]
    timeline = portal.get(f"/tra-cuu?ma={code}", headers=PAGE).get_data(as_text=True)
    assert f'href="/tep-giai-trinh/{kept["id"]}"' in timeline and key_of(link) not in timeline


def test_a_joiners_page_links_no_file_of_an_unpublished_answer(routing, app, accounts, portal, intake):
    """Anyone may join a request: the joiner's own link must open no more than the public may read."""
    code, own_page, case_id = submitted(routing, portal, intake, consent=False)
    joined = portal.post("/cung-kien-nghi", headers=PAGE, data={"csrf_token": test_case_files.CSRF, "ma": code})
    assert joined.status_code == 303
    joiner_page = urlsplit(joined.headers["Location"]).path
    answered(routing, app, accounts, case_id)
    to_intake(routing, intake)
    key = key_of(keyed_links(portal, own_page)[0])
    assert keyed_links(portal, joiner_page) == []  # the page is there (200), without the link
    page = portal.get(joiner_page, headers=PAGE).get_data(as_text=True)
    assert "/tep-giai-trinh/" not in page and key not in page
    assert ANSWER["answer-explanation"] not in page  # nor the explanation the requester kept private


def test_case_answered_carries_each_files_key_valid_by_its_schema_and_routing_keeps_only_its_digest(
        routing, app, accounts):
    case_id = open_case(routing)
    kept = answered(routing, app, accounts, case_id, names=("a.pdf", "b.pdf"))
    [event] = answered_events(routing)
    validate(event)
    listed = event.data["details"]["attachments"]
    assert [f["id"] for f in listed] == [k["id"] for k in kept]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", f["key"]) for f in listed)
    assert [access_key_digest(f["key"]) for f in listed] == [k["access_key_sha256"] for k in kept]
    with routing.storage.engine.connect() as conn:
        logged = json.dumps([[dict(r) for r in conn.execute(sa.select(table)).mappings()]
                             for table in (case_steps, audit_log)], default=str)
    assert not [f for f in listed if f["key"] in logged]  # the step and audit logs never hold a key
    others = [r.value.decode() for r in routing.bus.records(topics.CASES)
              if CloudEvent.from_json(r.value).type != "vn.giaitrinh.case.answered.v1"]
    assert others and not [f for f in listed if any(f["key"] in raw for raw in others)]  # nor another event


def test_a_key_opens_only_the_file_whose_digest_it_matches_and_a_file_kept_before_keys_opens_to_none():
    key = new_access_key()
    assert len(key) == 32 and key_opens(key, access_key_digest(key))
    assert not key_opens(new_access_key(), access_key_digest(key))
    assert not key_opens(key, None)  # a file kept before files had keys
    assert not key_opens(None, access_key_digest(key)) and not key_opens("", access_key_digest(key))
    long = "A" * (MAX_ACCESS_KEY + 1)
    assert not key_opens(long, access_key_digest(long))  # longer than any key given: not even hashed


def test_other_systems_receive_case_answered_without_the_file_keys(bus, sqlite_url):
    """Notify sends case.answered itself to the systems subscribed to it: each file as it is,
    but without the key, which is the requester's alone."""
    notify = migrated_runtime("notify", sqlite_url("notify"), bus)
    try:
        with notify.unit_of_work() as uow:
            uow.webhook_subscriptions.save(WebhookSubscription(
                id="wh-1", url="https://mot-cua.example.vn/hooks", event_types=("*",), locality_code=None,
                description="Hệ thống một cửa", active=True, created_at=MONDAY,
                secrets=(SigningSecret("s1", new_signing_secret(), MONDAY),)), MONDAY)
            uow.commit()
        file_id, key = str(uuid.uuid4()), new_access_key()
        history = CaseHistory()
        history.accept()
        history.answer(files=[CaseFile(file_id, "tra-loi.pdf", "application/pdf", 1234)], file_keys={file_id: key})
        assert history.events[-1].data["details"]["attachments"][0]["key"] == key
        consume(notify, history.submitted, *history.events)
        with notify.storage.engine.connect() as conn:
            sent = conn.execute(sa.select(notify_orm.deliveries.c.context).where(
                notify_orm.deliveries.c.channel == "webhook",
                notify_orm.deliveries.c.event_type == "vn.giaitrinh.case.answered.v1")).scalars().all()
    finally:
        notify.close()
    [context] = sent
    assert file_id in context and key not in context
