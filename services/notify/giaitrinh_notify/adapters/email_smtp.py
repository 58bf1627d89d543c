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
"""
from __future__ import annotations

import smtplib
import ssl
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


class SmtpEmailChannel:
    """Keeps :class:`~giaitrinh_notify.domain.channels.Channel`; one connection per message
    (a held connection would need its own liveness handling for little gain). The EHLO name is
    the Message-ID's domain: smtplib's default asks the resolver for this host's FQDN on every
    connection, which costs a DNS round trip (100 ms here) per message."""

    name = EMAIL

    def __init__(self, config: SmtpConfig):
        self.config = config

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

    def send(self, message: OutgoingMessage) -> str | None:
        c = self.config
        if not is_email_address(message.recipient.strip()):  # refused before anything leaves
            raise DeliveryRefused(f"not an email address: {message.recipient[:80]!r}")
        mail = self.compose(message)
        try:
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
                smtp.send_message(mail, from_addr=c.sender, to_addrs=[message.recipient])
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise (DeliveryRefused if code >= 500 else DeliveryFailed)(f"{code} {_text(text)}") from None
        except smtplib.SMTPResponseException as exc:
            # 5xx: refused for good (a bad sender, a message the server will not take, failed
            # authentication is a setting to fix — retried until parked would hide it).
            raise (DeliveryRefused if exc.smtp_code >= 500 else DeliveryFailed)(
                f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except TimeoutError as exc:
            raise DeliveryFailed(f"the SMTP server did not answer within {c.timeout:g} s") from exc
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib reports a read that timed out as the connection closing.
            if "timed out" in str(exc):
                raise DeliveryFailed(f"the SMTP server did not answer within {c.timeout:g} s") from None
            raise DeliveryFailed(f"SMTP: the server closed the connection: {exc}") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {exc}") from None
        return mail["Message-ID"]


def _text(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[:300]
