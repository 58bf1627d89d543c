"""A channel that keeps what it is sent in memory: the fake of the channel port, for tests of
the delivery loop and for the standalone trial. It passes the same contract as the real
channels (tests/contracts/channel_contract.py), so a test that uses it learns what a real
gateway would do: a refused address is refused at once, a failing one fails until it recovers,
and a message sent again arrives again under the same delivery key."""
from __future__ import annotations

import threading
from collections import defaultdict

from giaitrinh_notify.domain.channels import DeliveryFailed, DeliveryRefused, OutgoingMessage


class InMemoryChannel:
    """Keeps :class:`~giaitrinh_notify.domain.channels.Channel`; ``name`` is the channel it
    stands in for (``email``, ``sms``, ``webhook``, ``in_app``)."""

    def __init__(self, name: str):
        self.name = name
        self.sent: list[OutgoingMessage] = []
        self._refused: dict[str, str] = {}
        self._failures: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def refuse(self, recipient: str, reason: str = "refused by the other side") -> None:
        """From now on, every message to ``recipient`` is refused for good."""
        self._refused[recipient] = reason

    def fail(self, recipient: str, times: int = 1) -> None:
        """The next ``times`` messages to ``recipient`` fail for now (as a 5xx would)."""
        self._failures[recipient] += times

    def send(self, message: OutgoingMessage) -> str | None:
        with self._lock:
            if not message.recipient.strip():
                raise DeliveryRefused("no recipient address")
            if message.recipient in self._refused:
                raise DeliveryRefused(self._refused[message.recipient])
            if self._failures[message.recipient] > 0:
                self._failures[message.recipient] -= 1
                raise DeliveryFailed("the other side could not take it now")
            self.sent.append(message)
            return f"mem-{len(self.sent)}"

    def keys_sent(self) -> list[str]:
        return [m.delivery_key for m in self.sent]
