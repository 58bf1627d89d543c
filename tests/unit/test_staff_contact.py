"""A staff member's email and mobile phone: optional, checked where the provincial admin types
them (the accounts page, the CLI) in the form notify's channels read, published on
account.changed (events without them stay valid), and learnt by notify, which then tells the
official of a new case and of an overdue one by email too, not only in the console's inbox.
Roles and bodies read in Vietnamese on the accounts page, never as their code names."""
from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from giaitrinh_common import contracts, topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_notify.domain.channels import EMAIL, IN_APP
from giaitrinh_notify.domain.sms_text import phone_number
from giaitrinh_platform.cli import main
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.domain.accounts import Account, AccountProblems
from giaitrinh_routing.domain.case import Case
from giaitrinh_routing.domain.deadline_watch import AlertKind, DeadlineAlert
from giaitrinh_routing.entrypoints.auth import account_service
from tests.support import consuming
from tests.support.case_history import CALENDAR, MONDAY, RULES
from tests.support.factories import migrated_runtime, request_submitted
from tests.unit import test_console_sign_in as pages
from tests.unit import test_sign_in_and_case_api as base
from tests.unit.test_users_cli import env  # noqa: F401  (the CLI's environment, a fixture)

keys, clock, routing, app, client, accounts = base.keys, base.clock, base.routing, base.app, base.client, base.accounts
WARD, PAGE = base.WARD, pages.PAGE
ACCOUNT_CHANGED = "vn.giaitrinh.account.changed.v1"


def opened(**contact) -> Account:
    return Account.open(id=str(uuid.uuid4()), login="can-bo", display_name="Cán bộ", role="official",
                        localities={WARD}, unit_code="dia-chinh", body=None, password_hash="x", now=MONDAY,
                        **contact)


def published(rt) -> list[CloudEvent]:
    """The account.changed events routing's outbox has relayed to the registry stream."""
    if not hasattr(rt, "test_relay"):
        rt.test_relay = rt.worker().relay
    rt.test_relay.relay_all()
    return [e for e in (CloudEvent.from_json(r.value) for r in rt.bus.records(topics.REGISTRY))
            if e.type == ACCOUNT_CHANGED]


# -- the rule --------------------------------------------------------------------------------
def test_a_mobile_number_is_kept_in_the_e164_form_notifys_sms_gateway_reads():
    account = opened(email=" Can.Bo@DongHoi.Gov.VN ", phone="091 234-5678")
    assert (account.email, account.phone) == ("Can.Bo@donghoi.gov.vn", "+84912345678")
    assert phone_number(account.phone).e164 == "+84912345678"
    assert (opened().email, opened().phone) == (None, None)  # both optional


@pytest.mark.parametrize("contact, field", [
    ({"email": "can-bo"}, "email"), ({"email": "A <a@x.vn>"}, "email"), ({"email": "a@x.vn\r\nBcc: b@y.vn"}, "email"),
    ({"email": "a" * 250 + "@x.vn"}, "email"),
    ({"phone": "12345"}, "phone"), ({"phone": "0241 234 567"}, "phone"),  # a landline gets no SMS
    ({"phone": "+1 415 555 0100"}, "phone"), ({"phone": "0912 345 67"}, "phone"),
])
def test_an_email_that_is_not_one_or_a_phone_that_is_not_a_vietnamese_mobile_is_refused_naming_its_field(
        contact, field):
    with pytest.raises(AccountProblems) as refused:
        opened(**contact)
    assert [p.field for p in refused.value.problems] == [field]


def test_account_changed_carries_the_contact_when_given_and_stays_valid_without_it():
    with_contact = events_out.account_changed(opened(email="cb@x.vn", phone="0912345678"), MONDAY)
    contracts.validate(with_contact)
    assert (with_contact.data["email"], with_contact.data["phone"]) == ("cb@x.vn", "+84912345678")
    without = events_out.account_changed(opened(), MONDAY)
    contracts.validate(without)  # an older event, or an account with no contact
    assert "email" not in without.data and "phone" not in without.data


# -- the accounts page -------------------------------------------------------------------------
def test_the_accounts_page_names_roles_and_bodies_in_vietnamese_never_by_their_code(accounts, client):
    pages.admin(accounts, client)
    pages.add(accounts, "truong-xa", role="locality_head", localities=(WARD,), unit=None)
    page = pages.text(client.get("/console/tai-khoan", headers=PAGE))
    shown = re.sub(r'value="[^"]*"', "", page)  # the form's option values are the API's names
    for code in ("locality_head", "provincial_admin", "unit_head", "official", "supervisor", ">hdnd"):
        assert code not in shown
    for label in ("Lãnh đạo xã, phường", "Quản trị cấp tỉnh", "Cán bộ, công chức", "Hội đồng nhân dân (HĐND)"):
        assert label in page


def test_the_admin_adds_an_official_with_a_contact_and_changes_it_and_notify_is_told_each_time(
        routing, accounts, client):
    pages.admin(accounts, client)
    added = client.post("/console/tai-khoan", headers=PAGE, data={
        "csrf_token": pages.csrf(client), "login": "can-bo-b", "display_name": "Cán bộ B", "role": "official",
        "localities": WARD, "unit_code": "dia-chinh", "email": "cb@donghoi.gov.vn", "phone": "0912 345 678"})
    assert added.status_code == 200
    assert "cb@donghoi.gov.vn" in pages.text(added) and "+84912345678" in pages.text(added)
    form = pages.text(client.get("/console/tai-khoan/can-bo-b/lien-he", headers=PAGE))
    assert 'value="cb@donghoi.gov.vn"' in form
    saved = client.post("/console/tai-khoan/can-bo-b/lien-he", headers=PAGE, data={
        "csrf_token": pages.csrf(client), "email": "moi@donghoi.gov.vn", "phone": ""})
    assert saved.status_code == 303
    assert "Đã lưu liên hệ của can-bo-b" in pages.text(client.get(saved.headers["Location"], headers=PAGE))
    told = [e.data for e in published(routing) if e.data["name"] == "Cán bộ B"]
    assert [(d.get("email"), d.get("phone")) for d in told] == [
        ("cb@donghoi.gov.vn", "+84912345678"), ("moi@donghoi.gov.vn", None)]


def test_a_bad_contact_on_the_page_is_422_beside_its_field_and_changes_nothing(routing, accounts, client):
    pages.admin(accounts, client)
    pages.add(accounts, "can-bo")
    before = len(published(routing))
    refused = client.post("/console/tai-khoan/can-bo/lien-he", headers=PAGE, data={
        "csrf_token": pages.csrf(client), "email": "khong-phai-email", "phone": "12345"})
    assert refused.status_code == 422
    page = pages.text(refused)
    assert 'id="field-email-error"' in page and 'id="field-phone-error"' in page
    assert 'value="khong-phai-email"' in page  # kept for correcting
    assert accounts.account("can-bo").email is None and len(published(routing)) == before
    assert client.post("/console/tai-khoan/khong-co/lien-he", headers=PAGE,
                       data={"csrf_token": pages.csrf(client), "email": ""}).status_code == 404


def test_only_the_provincial_admin_sets_a_contact(accounts, client):
    pages.add(accounts, "can-bo")
    pages.page_sign_in(client, "can-bo")
    assert client.get("/console/tai-khoan/can-bo/lien-he", headers=PAGE).status_code == 403
    assert client.post("/console/tai-khoan/can-bo/lien-he", headers=PAGE, data={
        "csrf_token": pages.csrf(client), "email": "toi@x.vn"}).status_code == 403


# -- the command line --------------------------------------------------------------------------
def test_the_cli_opens_an_account_with_its_contact_and_changes_one_part_keeping_the_other(env):  # noqa: F811
    def run(*args, input=None):
        return CliRunner().invoke(main, ["routing", "users", *args], input=input, catch_exceptions=False)
    made = run("add", "can-bo", "--name", "Cán bộ", "--role", "official", "--locality", WARD, "--unit",
               "dia-chinh", "--email", "cb@x.vn", "--phone", "0912.345.678", "--password-stdin",
               input=base.PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    assert '"email": "cb@x.vn", "phone": "+84912345678"' in run("list", "--json").output
    assert run("set-contact", "can-bo", "--phone", "0987654321").exit_code == 0
    assert '"email": "cb@x.vn", "phone": "+84987654321"' in run("list", "--json").output
    bad = CliRunner().invoke(main, ["routing", "users", "set-contact", "can-bo", "--email", "x@"])
    assert bad.exit_code == 1 and "email:" in bad.output
    assert '"email": "cb@x.vn"' in run("list", "--json").output


# -- notify learns it and uses it ----------------------------------------------------------------
@pytest.fixture
def notify(bus, sqlite_url):
    rt = migrated_runtime("notify", sqlite_url("notify"), bus)
    yield rt
    rt.close()


def consume(rt, *events: CloudEvent) -> None:
    consuming.consume(rt, *events, nothing_waits=False)


def deliveries(rt) -> set[tuple[str, str, str]]:
    with rt.unit_of_work() as uow:
        return {(d.template, d.channel, d.recipient) for d in uow.deliveries.listed(limit=1000)}


def test_notify_tells_the_rules_default_official_of_a_new_case_and_an_overdue_one_by_email_too(
        routing, notify):
    official = account_service(routing).add(
        login="can-bo-c", display_name="Cán bộ C", role="official", localities={WARD}, unit_code="dia-chinh",
        body=None, password=base.PASSWORD, email="cbc@donghoi.gov.vn").account
    published(routing)  # account.changed, relayed to the registry stream notify reads
    consume(notify)  # learnt before the case's events arrive, as on the platform
    submitted = request_submitted(locality_code=WARD)
    case = Case.register(id=str(uuid.uuid4()), request_id=submitted.subject, tracking_code="GT-7X9V-FH1S-T",
                         kind="accountability_request", field="land", locality_code=WARD, now=MONDAY,
                         limits=RULES.in_force("accountability_request", MONDAY.date()), calendar=CALENDAR,
                         received_at=MONDAY, unit_code="dia-chinh", official_id=official.id)
    registered = events_out.case_registered(case, submitted)
    overdue = events_out.deadline_alert(case, DeadlineAlert("accept", AlertKind.OVERDUE, case.accept_by,
                                                            case.accept_by + timedelta(days=1)),
                                        MONDAY + timedelta(days=10))
    for event in (registered, overdue):
        contracts.validate(event)
    assert registered.data["official_id"] == official.id
    consume(notify, submitted, registered, overdue)  # case.registered follows request.submitted
    told = deliveries(notify)
    for template in ("official/new_case", "official/overdue"):
        assert (f"{template}/{IN_APP}", IN_APP, official.id) in told
        assert (f"{template}/{EMAIL}", EMAIL, "cbc@donghoi.gov.vn") in told


def test_an_account_changed_without_a_contact_leaves_notify_with_the_inbox_only(routing, notify):
    service = account_service(routing)
    official = service.add(login="can-bo-d", display_name="Cán bộ D", role="official", localities={WARD},
                           unit_code="dia-chinh", body=None, password=base.PASSWORD,
                           email="cbd@donghoi.gov.vn").account
    service.set_contact("can-bo-d", None, None)  # the admin removes it: notify must forget it
    published(routing)
    consume(notify)
    with notify.unit_of_work() as uow:
        [known] = uow.directory.staff(account_id=official.id)
    assert (known.email, known.phone) == (None, None)


# -- the watcher by hand, on a test clock ------------------------------------------------------------
def test_the_operators_watch_command_raises_a_cases_overdue_alert_as_of_now_once(env):  # noqa: F811
    from giaitrinh_common.bus import InMemoryBus
    from giaitrinh_routing.bootstrap import bootstrap
    from giaitrinh_routing.domain.model import Locality
    from giaitrinh_routing.service_layer import handlers
    from giaitrinh_routing.settings import RoutingSettings

    runtime = bootstrap(RoutingSettings.from_env(), bus=InMemoryBus())
    try:
        with runtime.unit_of_work() as uow:
            handlers.seed_localities(uow, [Locality(WARD, "Phường Đồng Hới", "44", "phường")], now=MONDAY)
            handlers.on_request_submitted(request_submitted(locality_code=WARD, submitted_at=MONDAY.isoformat()),
                                          uow, MONDAY, runtime.rules, runtime.calendar)
            uow.commit()
        with runtime.unit_of_work() as uow:
            [case_id] = uow.cases.due_for_watch(date(2027, 1, 1), 10)

        def alerts() -> list[str]:
            with runtime.storage.engine.connect() as db:
                rows = db.execute(sa.select(runtime.storage.outbox.c.payload).where(
                    runtime.storage.outbox.c.type == "vn.giaitrinh.case.deadline_alert.v1")).scalars()
                return [json.loads(r)["data"]["alert"]["kind"] for r in rows]
    finally:
        runtime.close()

    def run(*args):
        return CliRunner().invoke(main, ["routing", "watch", *args], catch_exceptions=False)
    assert run("--now", "2026-11-03T09:00+07:00", "--case", case_id).output.startswith("0 alerts")  # not due
    late = run("--now", "2026-11-11T09:00+07:00", "--case", case_id)  # accept by 9 Nov: two days over
    assert late.exit_code == 0 and "overdue" in alerts()
    assert run("--now", "2026-11-11T10:00+07:00", "--case", case_id).output.startswith("0 alerts")  # once
    assert run("--now", "2026-11-11T10:00").exit_code == 2  # a moment without its zone is refused


def test_an_older_account_changed_arriving_late_does_not_bring_back_a_removed_address(notify):
    first = events_out.account_changed(opened(email="cu@x.vn"), MONDAY)
    account_id = first.data["account_id"]
    removed = CloudEvent.new(type=ACCOUNT_CHANGED, source="/tests", subject=account_id, locality=WARD,
                             time=MONDAY + timedelta(hours=1),
                             data={**{k: v for k, v in first.data.items() if k != "email"}})
    publisher = notify.bus.publisher()
    for event in (removed, first):  # the older one last, as a replayed dead letter would come
        publisher.publish(topics.REGISTRY, event.key, event.to_json())
    publisher.flush()
    consume(notify)
    with notify.unit_of_work() as uow:
        [known] = uow.directory.staff(account_id=account_id)
    assert known.email is None
