"""Lựa chọn nhận thông báo — how each person wants to be told: the channels they choose, in
order, and whether they take messages the law does not require.

Two kinds of message (notify's rules say which each is):
- *statutory* — the written notices Decree 59/2019/NĐ-CP requires to the requester at each step
  (received, accepted, refused with its ground, extended, answered, …). Nobody can switch them
  off: they follow the person's chosen channels, and when none of those can reach the person
  (no address for it), the default channel that can.
- *non-statutory* — everything else: alerts to staff, reminders, invitations to rate. A person
  may opt out of them all; then they receive none.

A person is named by a key: ``account:<id>`` for staff (the sign-in token's subject),
``request:<tracking code>`` for a requester (who has no account; the tracking code is the
credential the portal already uses, and a choice is made among the addresses the requester gave
with the request — nobody can send a requester's notices to an address of their own).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from giaitrinh_notify.domain.channels import EMAIL, IN_APP, SMS

PERSON_CHANNELS = (EMAIL, SMS, IN_APP)  # webhooks are for systems, never people
REQUESTER_CHANNELS = (EMAIL, SMS)  # a requester's in-app inbox is the portal's, always written
DEFAULT_STAFF_CHANNELS = (IN_APP, EMAIL)
DEFAULT_REQUESTER_CHANNELS = (EMAIL, SMS)


def staff_person(account_id: str) -> str:
    return f"account:{account_id}"


def requester_person(tracking_code: str) -> str:
    return f"request:{tracking_code}"


@dataclass(frozen=True)
class Preference:
    """One person's choice. ``channels`` empty: the defaults for their kind."""

    person: str
    channels: tuple[str, ...] = ()
    non_statutory: bool = True
    updated_at: datetime | None = None


def channels_for(preference: Preference | None, *, statutory: bool, reachable: Iterable[str],
                 default: Sequence[str]) -> tuple[str, ...]:
    """The channels a message goes out on to one person — the function notify's recipient
    resolution calls for every person a rule names.

    ``preference``: the person's choice (None: never chose); ``statutory``: whether the law
    requires this message; ``reachable``: the channels the person has an address for;
    ``default``: the channels, in order, for someone who never chose.

    - A non-statutory message to a person who opted out: no channel.
    - Otherwise the chosen channels (or the defaults) that can reach the person, in order.
    - A statutory message reaches the person whatever they chose: when none of their chosen
      channels can, the first default, then the first reachable channel, that can. It goes
      nowhere only when the person has no address at all (notify logs that as undeliverable).
    """
    reach = tuple(dict.fromkeys(reachable))
    if not statutory and preference is not None and not preference.non_statutory:
        return ()
    chosen = (preference.channels if preference is not None and preference.channels else tuple(default))
    picked = tuple(c for c in dict.fromkeys(chosen) if c in reach)
    if picked or not statutory:
        return picked
    fallback = [c for c in default if c in reach] or list(reach)
    return tuple(fallback[:1])


def preference_problems(body: dict, allowed: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """What is wrong with a preference sent as ``{"channels": [...], "non_statutory": bool}``
    (both optional), as (field, code, vi, en); ``allowed``: the channels this kind of person
    may choose."""
    problems: list[tuple[str, str, str, str]] = []
    for name in body:
        if name not in ("channels", "non_statutory"):
            problems.append((str(name)[:64], "unknown_field", "Trường này không được hỗ trợ.",
                             "This field is not supported."))
    if "channels" in body:
        channels = body["channels"]
        if not isinstance(channels, list) or len(channels) > len(allowed):
            problems.append(("channels", "invalid_channels",
                             f"Cần một danh sách kênh, trong số: {', '.join(allowed)}.",
                             f"Give a list of channels, among: {', '.join(allowed)}."))
        else:
            for i, c in enumerate(channels):
                if not isinstance(c, str) or c not in allowed:
                    problems.append((f"channels[{i}]", "unknown_channel",
                                     f"Kênh không hợp lệ; chọn trong số: {', '.join(allowed)}.",
                                     f"Not a channel you can choose; choose among: {', '.join(allowed)}."))
            if len(set(map(str, channels))) != len(channels):
                problems.append(("channels", "duplicate_channel", "Một kênh được chọn hai lần.",
                                 "A channel is chosen twice."))
    if "non_statutory" in body and not isinstance(body["non_statutory"], bool):
        problems.append(("non_statutory", "not_a_boolean", "Giá trị phải là true hoặc false.",
                         "The value must be true or false."))
    return problems
