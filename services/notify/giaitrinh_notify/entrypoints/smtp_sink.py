"""A local SMTP sink: a real SMTP server (aiosmtpd) that keeps every message it receives in a
folder the operator can read, for a machine with no mail server (``giaitrinh up`` starts it
when ``NOTIFY_SMTP_HOST`` is not set) and for the tests.

``<folder>/<n>.eml`` is each message, the first time its Message-ID arrives; ``<folder>/index.jsonl``
has a line for every arrival (``copy: true`` for a Message-ID already stored — the receiving
side dropping a duplicate the way notify's Message-ID lets it, docs/ARCHITECTURE.md, notify).

    python -m giaitrinh_notify.entrypoints.smtp_sink --dir var/mail --port 2525
"""
from __future__ import annotations

import argparse
import email
import email.policy
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class MailStore:
    """aiosmtpd's handler: stores each message (see the module's docstring)."""

    def __init__(self, folder: Path, delay: float = 0.0, on_stored: Callable[[dict], None] | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.delay = delay  # seconds to wait before answering DATA (a slow server, for tests)
        # Called with the index line once a message is kept and before the 250 is sent: what a
        # test needs to kill a sender inside the window where the server has the message and
        # the sender does not know it yet.
        self.on_stored = on_stored
        self._lock = threading.Lock()
        self._seen = {line["message_id"] for line in read_index(self.folder) if not line["copy"]}
        self._n = len(list(self.folder.glob("*.eml")))

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            time.sleep(self.delay)
        raw = envelope.original_content or envelope.content
        raw = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        message_id = str(mail.get("Message-ID", "")).strip()
        with self._lock:
            copy = bool(message_id) and message_id in self._seen
            name = ""
            if not copy:
                self._n += 1
                name = f"{self._n:06d}.eml"
                (self.folder / name).write_bytes(raw)
                self._seen.add(message_id)
            line = {"message_id": message_id, "to": list(envelope.rcpt_tos), "from": envelope.mail_from,
                    "subject": str(mail.get("Subject", "")), "file": name, "copy": copy,
                    "received_at": time.time()}
            with open(self.folder / "index.jsonl", "a", encoding="utf-8") as index:
                index.write(json.dumps(line, ensure_ascii=False) + "\n")
        if self.on_stored is not None:
            self.on_stored(line)
        return "250 Message accepted for delivery"


def read_index(folder: Path) -> list[dict]:
    """Every arrival, in order."""
    path = Path(folder) / "index.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_mailbox(folder: Path) -> list[email.message.EmailMessage]:
    """The stored messages (each Message-ID once), in the order they arrived."""
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(Path(folder).glob("*.eml"))]


@dataclass(frozen=True)
class SinkAuth:
    username: str
    password: str

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.username
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False)


def start_sink(folder: Path, *, host: str = "127.0.0.1", port: int = 2525,
               tls: ssl.SSLContext | None = None, auth: SinkAuth | None = None,
               delay: float = 0.0, on_stored: Callable[[dict], None] | None = None) -> Controller:
    """Start the sink in a thread; ``tls``: offer STARTTLS and require it; ``auth``: require
    AUTH PLAIN/LOGIN with these credentials (over TLS only)."""
    kwargs: dict = {}
    if tls is not None:
        kwargs.update(tls_context=tls, require_starttls=True)
    if auth is not None:
        kwargs.update(authenticator=auth, auth_required=True, auth_require_tls=tls is not None)
    # A fixed server name: aiosmtpd would otherwise ask the resolver for this host's FQDN on
    # every connection.
    controller = Controller(MailStore(folder, delay, on_stored), hostname=host, port=port,
                            server_hostname="giaitrinh-sink.local", **kwargs)
    controller.start()
    return controller


def main(argv: list[str] | None = None, *, ready: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description="A local SMTP sink that stores each message.")
    parser.add_argument("--dir", default="var/mail", help="where the messages are kept (var/mail)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    args = parser.parse_args(argv)
    folder = Path(args.dir).resolve()
    controller = start_sink(folder, host=args.host, port=args.port)
    ready(f"SMTP sink on {args.host}:{args.port}; mail is kept in {folder} (index.jsonl lists every arrival)")
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
