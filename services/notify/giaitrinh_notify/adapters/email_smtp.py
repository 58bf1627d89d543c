"""The email channel over SMTP (smtplib): plain or STARTTLS (or implicit TLS), with or
without authentication, every exchange bounded by a time-out.

The Message-ID is derived from the delivery key (``<key@domain>``): SMTP has no idempotency
key, so a message sent again after a worker died between the server's 250 and the ledger's
"sent" reaches the server twice — with the same Message-ID, which lets the receiving side (a
mail store, a list server, the local sink) drop the copy. docs/ARCHITECTURE.md (notify) states
the window.

The server's answer decides: a 5xx on the recipient or the message is permanent
(:class:`DeliveryRefused`); a 4xx, a dropped connection or a time-out is temporary
(:class:`DeliveryFailed`).

One connection carries many messages (RFC 5321 §3.3: a new MAIL after the last one's 250): the
connect, EHLO, STARTTLS, EHLO again and AUTH — most of an exchange's round trips, and with TLS
most of its CPU — are paid once per backlog, not once per message. This changes nothing in the
window above: messages still go one at a time, each completed in the ledger after its 250.
A held connection is given up after ``keep_alive`` seconds unused or ``per_connection``
messages, and on any error; one unused for more than a second is probed with NOOP first,
because a server that dropped it meanwhile would otherwise fail the next message. A server
that refuses MAIL with 421 on a held connection (closing, or too many messages on it) has taken
nothing, so that one message is sent again on a fresh connection.
"""
from __future__ import annotations

import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from giaitrinh_notify.domain.channels import EMAIL, DeliveryFailed, DeliveryRefused, OutgoingMessage
from giaitrinh_notify.domain.deliveries import is_email_address


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    security: str = "starttls"  # "none", "starttls", "tls" (implicit)
    username: str = ""
    password: str = ""
    sender: str = "thongbao@giaitrinh.local"
    sender_name: str = "Giải Trình"
    timeout: float = 15.0
    message_id_domain: str = "giaitrinh.local"
    # A self-signed certificate (a test bench, a closed network): skip verification.
    verify_tls: bool = True
    # A held connection: closed after this many seconds unused, and after this many messages
    # (servers limit messages per connection; smtpd's default time-out for an idle client is
    # 300 s, RFC 5321 §4.5.3.2.7).
    keep_alive: float = 10.0
    per_connection: int = 100

    def __post_init__(self) -> None:
        if self.security not in ("none", "starttls", "tls"):
            raise ValueError(f"NOTIFY_SMTP_SECURITY must be none, starttls or tls, got {self.security!r}")
        if not 0 < self.timeout <= 300:
            raise ValueError(f"NOTIFY_SMTP_TIMEOUT must be more than 0 and at most 300 s, got {self.timeout}")
        if bool(self.username) != bool(self.password):
            raise ValueError("NOTIFY_SMTP_USERNAME and NOTIFY_SMTP_PASSWORD go together")
        if not (self.username + self.password).isascii():
            # smtplib's AUTH encodes them as ASCII: refused here, not at the first message.
            raise ValueError("NOTIFY_SMTP_USERNAME and NOTIFY_SMTP_PASSWORD must be ASCII")


def message_id(delivery_key: str, domain: str) -> str:
    return f"<{delivery_key}@{domain}>"


PROBE_AFTER = 1.0  # seconds unused after which a held connection is checked with NOOP


class SmtpEmailChannel:
    """Keeps :class:`~giaitrinh_notify.domain.channels.Channel`, holding one connection across
    messages (see the module's docstring). The EHLO name is the Message-ID's domain: smtplib's
    default asks the resolver for this host's FQDN on every connection, which costs a DNS round
    trip (100 ms here). One sender loop uses it; a lock keeps a second caller (the operator's
    command) off a connection in the middle of a message."""

    name = EMAIL

    def __init__(self, config: SmtpConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._carried = 0  # messages sent on the held connection
        self.connections = 0  # opened since start (the tests count reuse with it)
        self._lock = threading.Lock()

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        c = self.config
        mail = EmailMessage()
        mail["From"] = formataddr((c.sender_name, c.sender))
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = message_id(message.delivery_key, c.message_id_domain)
        mail["Content-Language"] = message.language
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        mail.set_content(message.body)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.config.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    # -- the held connection ----------------------------------------------------------------
    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._context(),
                                                  local_hostname=c.message_id_domain)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout, local_hostname=c.message_id_domain)
        try:
            if c.security == "starttls":
                smtp.starttls(context=self._context())
            if c.username:
                smtp.login(c.username, c.password)
        except BaseException:
            _quit(smtp)
            raise
        self.connections += 1
        self._carried = 0
        return smtp

    def _held(self) -> smtplib.SMTP | None:
        """The held connection if it may carry one more message, else None (closed)."""
        smtp, unused = self._smtp, self.clock() - self._last_used
        if smtp is None:
            return None
        if (smtp.sock is None  # smtplib closed it itself (a 421 at RCPT or DATA)
                or unused > self.config.keep_alive or self._carried >= self.config.per_connection):
            self._drop()
            return None
        if unused > PROBE_AFTER:
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
            return None
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            _quit(self._smtp)
            self._smtp = None

    def close(self) -> None:
        """Give the held connection up (QUIT)."""
        with self._lock:
            self._drop()

    def __del__(self) -> None:
        # A channel dropped while it holds a connection (a test's, a command's): the socket is
        # closed (no QUIT from a finaliser), not left to the garbage collector's warning.
        smtp = getattr(self, "_smtp", None)
        if smtp is not None:
            smtp.close()

    def close_idle(self) -> None:
        """Give the held connection up if it has been unused for ``keep_alive`` seconds (the
        sender loop calls this when it finds nothing to send)."""
        with self._lock:
            if self._smtp is not None and self.clock() - self._last_used > self.config.keep_alive:
                self._drop()

    # -- sending ------------------------------------------------------------------------------
    def send(self, message: OutgoingMessage) -> str | None:
        c = self.config
        if not is_email_address(message.recipient.strip()):  # refused before anything leaves
            raise DeliveryRefused(f"not an email address: {message.recipient[:80]!r}")
        mail = self.compose(message)
        with self._lock:
            try:
                held = self._held()
                try:
                    self._transact(held or self._connect(), mail, message.recipient)
                except smtplib.SMTPSenderRefused as exc:
                    # 421 at MAIL on a held connection: the server took nothing and is closing
                    # it (idle, or too many messages): the same message on a fresh one.
                    if held is None or exc.smtp_code != 421:
                        raise
                    self._drop()
                    self._transact(self._connect(), mail, message.recipient)
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                raise (DeliveryRefused if code >= 500 else DeliveryFailed)(f"{code} {_text(text)}") from None
            except smtplib.SMTPResponseException as exc:
                # 5xx: refused for good (a bad sender, a message the server will not take, failed
                # authentication is a setting to fix — retried until parked would hide it).
                self._drop_if_closed(exc.smtp_code)
                raise (DeliveryRefused if exc.smtp_code >= 500 else DeliveryFailed)(
                    f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
            except TimeoutError as exc:
                self._drop()
                raise DeliveryFailed(f"the SMTP server did not answer within {c.timeout:g} s") from exc
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                # smtplib reports a read that timed out as the connection closing.
                if "timed out" in str(exc):
                    raise DeliveryFailed(f"the SMTP server did not answer within {c.timeout:g} s") from None
                raise DeliveryFailed(f"SMTP: the server closed the connection: {exc}") from None
            except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
                self._drop()
                raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {exc}") from None
        return mail["Message-ID"]

    def _transact(self, smtp: smtplib.SMTP, mail: EmailMessage, recipient: str) -> None:
        """One mail transaction (MAIL, RCPT, DATA) on ``smtp``, which is held afterwards."""
        self._smtp = smtp
        smtp.send_message(mail, from_addr=self.config.sender, to_addrs=[recipient])
        self._carried += 1
        self._last_used = self.clock()

    def _drop_if_closed(self, code: int) -> None:
        # After a refused message smtplib has reset the transaction (RSET) and the connection
        # goes on; after a 421 it has closed it; any other failure leaves it in doubt.
        if code == 421 or self._smtp is None or self._smtp.sock is None:
            self._drop()


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _text(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[:300]
