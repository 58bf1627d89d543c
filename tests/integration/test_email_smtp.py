"""The SMTP email channel against a real SMTP server (aiosmtpd, the local sink): each message
is received and stored with a Message-ID derived from its delivery key, in Vietnamese intact;
STARTTLS and authentication work, a wrong password is refused, a 5xx is permanent and a 4xx
temporary, a server that never answers is timed out; a copy with the same Message-ID is
stored once."""
from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from giaitrinh_notify.adapters.email_smtp import SmtpConfig, SmtpEmailChannel
from giaitrinh_notify.domain.channels import DeliveryFailed, DeliveryRefused, OutgoingMessage
from giaitrinh_notify.domain.deliveries import delivery_key
from giaitrinh_notify.entrypoints.smtp_sink import SinkAuth, read_index, read_mailbox, start_sink
from tests.contracts.channel_contract import ChannelContract

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def sink(tmp_path):
    started = []

    def start(**kwargs):
        port = free_port()
        controller = start_sink(tmp_path / "mail", port=port, **kwargs)
        started.append(controller)
        return port, tmp_path / "mail"
    yield start
    for controller in started:
        controller.stop()


def a_message(n: int = 1, to: str = "dan@example.vn") -> OutgoingMessage:
    key = delivery_key(f"event-{n}", to, "email", "requester/accepted/email")
    return OutgoingMessage(key, "email", to, "Thông báo thụ lý yêu cầu GT-7X9V-FH1S-T",
                           "Yêu cầu giải trình GT-7X9V-FH1S-T đã được thụ lý.\nHạn giải trình: 24/11/2026.")


def test_a_message_is_received_and_stored_with_its_delivery_keys_message_id(sink):
    port, folder = sink()
    message = a_message()
    provider_id = SmtpEmailChannel(SmtpConfig("127.0.0.1", port, security="none", timeout=5)).send(message)
    [mail] = read_mailbox(folder)
    assert mail["Message-ID"] == provider_id == f"<{message.delivery_key}@giaitrinh.local>"
    assert mail["Subject"] == message.subject and mail["To"] == "dan@example.vn"
    assert mail.get_content().replace("\r\n", "\n").strip() == message.body
    assert mail["Auto-Submitted"] == "auto-generated"


def test_starttls_and_authentication_deliver_and_a_wrong_password_is_refused(sink, certificate):
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(*map(str, certificate))
    port, folder = sink(tls=tls, auth=SinkAuth("notify", "mat-khau-7"))
    config = dict(host="localhost", port=port, security="starttls", timeout=5, verify_tls=False)
    SmtpEmailChannel(SmtpConfig(**config, username="notify", password="mat-khau-7")).send(a_message(1))
    with pytest.raises(DeliveryRefused, match="535"):
        SmtpEmailChannel(SmtpConfig(**config, username="notify", password="sai")).send(a_message(2))
    with pytest.raises(DeliveryRefused, match="530"):  # no STARTTLS where the server requires it
        SmtpEmailChannel(SmtpConfig("localhost", port, security="none", timeout=5)).send(a_message(3))
    assert [m["To"] for m in read_mailbox(folder)] == ["dan@example.vn"]


def test_a_password_smtplib_cannot_send_is_refused_as_a_setting():
    with pytest.raises(ValueError, match="ASCII"):
        SmtpConfig("localhost", username="notify", password="mật-khẩu")


def test_a_certificate_that_cannot_be_verified_is_not_trusted_by_default(sink, certificate):
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(*map(str, certificate))
    port, folder = sink(tls=tls)
    with pytest.raises(DeliveryFailed, match="SSL|certificate"):
        SmtpEmailChannel(SmtpConfig("localhost", port, security="starttls", timeout=5)).send(a_message())
    assert read_mailbox(folder) == []


class Answering:
    """A server that answers RCPT with a fixed reply."""

    def __init__(self, reply: str):
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return self.reply


@pytest.mark.parametrize(("reply", "error"), [("550 5.1.1 No such mailbox", DeliveryRefused),
                                              ("451 4.3.0 Try again later", DeliveryFailed)])
def test_a_5xx_is_permanent_and_a_4xx_temporary(reply, error):
    port = free_port()
    controller = Controller(Answering(reply), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(error, match=reply[:3]):
            SmtpEmailChannel(SmtpConfig("127.0.0.1", port, security="none", timeout=5)).send(a_message())
    finally:
        controller.stop()


def test_a_server_that_never_answers_is_timed_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(DeliveryFailed, match="did not answer within 1 s"):
            SmtpEmailChannel(SmtpConfig("127.0.0.1", listener.getsockname()[1], security="none",
                                        timeout=1)).send(a_message())
        assert time.monotonic() - started < 5
    finally:
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_copy_with_the_same_message_id_is_stored_once(sink):
    port, folder = sink()
    channel = SmtpEmailChannel(SmtpConfig("127.0.0.1", port, security="none", timeout=5))
    channel.send(a_message(1))
    channel.send(a_message(1))  # sent again after a crash between the 250 and the ledger's record
    channel.send(a_message(2))
    assert [line["copy"] for line in read_index(folder)] == [False, True, False]
    assert len(read_mailbox(folder)) == 2


def test_the_platform_starts_a_mail_sink_when_no_smtp_server_is_configured_and_notify_mails_there(tmp_path):
    from giaitrinh_notify.settings import NotifySettings
    from giaitrinh_platform.supervisor import Platform

    configured = Platform(data_dir=tmp_path / "a", kafka_bootstrap="127.0.0.1:1",
                          base_env={"NOTIFY_SMTP_HOST": "mail.example.vn"})
    assert not configured.uses_mail_sink
    assert configured.service_env("notify")["NOTIFY_SMTP_HOST"] == "mail.example.vn"

    platform = Platform(data_dir=tmp_path / "b", kafka_bootstrap="127.0.0.1:1", base_env={})
    assert platform.uses_mail_sink
    sink = platform.mail_sink_process()
    sink.start()
    try:
        settings = NotifySettings.from_env(platform.service_env("notify"))
        assert settings.smtp is not None and settings.smtp.port == platform.mail_sink_port
        channel = SmtpEmailChannel(settings.smtp)
        deadline = time.monotonic() + 30
        while True:  # the sink is a process of its own: wait until it listens
            try:
                channel.send(a_message())
                break
            except DeliveryFailed:
                assert sink.alive() and time.monotonic() < deadline, sink.log_path.read_text()
                time.sleep(0.2)
        [mail] = read_mailbox(platform.mail_folder)
        assert mail["Subject"] == a_message().subject
    finally:
        sink.signal(15)
        sink.process.wait(10)


class Gatekeeper:
    """The sink's own store behind RCPT answers a test can set: refuse the next message (550),
    or fail it once (451)."""

    def __init__(self, store):
        self.store = store
        self.next_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply, self.next_reply = self.next_reply, None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return await self.store.handle_DATA(server, session, envelope)


class TestTheSmtpChannelKeepsTheChannelContract(ChannelContract):
    @pytest.fixture
    def gate(self, tmp_path):
        from giaitrinh_notify.entrypoints.smtp_sink import MailStore

        gate = Gatekeeper(MailStore(tmp_path / "contract-mail"))
        port = free_port()
        controller = Controller(gate, hostname="127.0.0.1", port=port)
        controller.start()
        gate.port = port
        yield gate
        controller.stop()

    @pytest.fixture
    def channel(self, gate):
        return SmtpEmailChannel(SmtpConfig("127.0.0.1", gate.port, security="none", timeout=5))

    @pytest.fixture
    def reachable(self):
        return "dan@example.vn"

    @pytest.fixture
    def unreachable(self):
        return "dan at example.vn"

    @pytest.fixture
    def arrived(self, gate):
        return lambda: [line["message_id"][1:].split("@")[0] for line in read_index(gate.store.folder)]

    @pytest.fixture
    def other_side_refuses(self, gate):
        return lambda: setattr(gate, "next_reply", "550 5.1.1 No such mailbox")

    @pytest.fixture
    def other_side_fails_once(self, gate):
        return lambda: setattr(gate, "next_reply", "451 4.3.0 Try again later")


class Ticking:
    """A clock the test moves (the channel's held connection ages by it)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_connection_carries_a_backlog_each_message_under_its_own_message_id(sink):
    port, folder = sink()
    channel = SmtpEmailChannel(SmtpConfig("127.0.0.1", port, security="none", timeout=5))
    sent = [channel.send(a_message(n)) for n in range(5)]
    assert channel.connections == 1
    assert [m["Message-ID"] for m in read_mailbox(folder)] == sent and len(set(sent)) == 5
    channel.close()


def test_a_held_connection_the_server_dropped_is_replaced_and_the_next_message_arrives(tmp_path):
    port, clock = free_port(), Ticking()
    channel = SmtpEmailChannel(SmtpConfig("127.0.0.1", port, security="none", timeout=5), clock=clock)
    first = start_sink(tmp_path / "mail", port=port)
    channel.send(a_message(1))
    first.stop()  # the server goes away with the connection (a restart, an idle time-out)
    second = start_sink(tmp_path / "mail", port=port)
    try:
        clock.now += 2  # unused for more than a second: checked before it carries a message
        channel.send(a_message(2))
        assert channel.connections == 2
        assert [line["copy"] for line in read_index(tmp_path / "mail")] == [False, False]
        clock.now += 60  # unused longer than keep_alive: the loop's idle call gives it up
        channel.close_idle()
        channel.send(a_message(3))
        assert channel.connections == 3
    finally:
        channel.close()
        second.stop()


class ClosingAfterOne:
    """A server that takes one message per connection and answers the next MAIL with 421."""

    def __init__(self, store):
        self.store = store

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if getattr(session, "carried", 0):
            return "421 4.7.0 Too many messages on this connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        session.carried = 1
        return await self.store.handle_DATA(server, session, envelope)


def test_a_421_at_mail_on_a_held_connection_sends_that_message_on_a_fresh_one_once(tmp_path):
    from giaitrinh_notify.entrypoints.smtp_sink import MailStore

    port = free_port()
    controller = Controller(ClosingAfterOne(MailStore(tmp_path / "mail")), hostname="127.0.0.1", port=port)
    controller.start()
    channel = SmtpEmailChannel(SmtpConfig("127.0.0.1", port, security="none", timeout=5))
    try:
        channel.send(a_message(1))
        channel.send(a_message(2))  # refused at MAIL: the server took nothing, so it goes again
        assert channel.connections == 2
        assert [line["copy"] for line in read_index(tmp_path / "mail")] == [False, False]
    finally:
        channel.close()
        controller.stop()
