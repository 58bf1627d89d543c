"""Hệ thống gửi — may this system hand intake a request for this locality? The one check
behind Open311's POST (its ``api_key``) and the inbound topic (its ``source_system``), both
against intake's copy of routing's publishers (``publisher.changed``: the key's SHA-256 and
the localities it may publish for; the key itself never leaves routing).
"""
from __future__ import annotations

from giaitrinh_intake.adapters.localities import SqlRegistry
from giaitrinh_intake.adapters.publisher_keys import Publisher, PublisherKeys
from giaitrinh_intake.service_layer.unit_of_work import IntakeUnitOfWork


def verify(keys: PublisherKeys, api_key: str, locality_code: str) -> Publisher | None:
    """The active publisher whose API key this is, if it may publish for ``locality_code``;
    None otherwise (no key, a wrong or disabled key, or another locality)."""
    publisher = keys.verify(api_key)
    if publisher is None or locality_code not in publisher.localities:
        return None
    return publisher


def inbound_refusal(uow: IntakeUnitOfWork, source_system: str, locality_code: str) -> str | None:
    """Why an inbound event from ``source_system`` for ``locality_code`` is refused, or None
    when the registry lets that system publish for that locality."""
    assert uow.session is not None
    publisher = SqlRegistry(uow.session).publisher_named(source_system)
    if publisher is None:
        return f"publisher {source_system!r} is not registered or is disabled"
    if locality_code not in (publisher["localities"] or []):
        return f"publisher {source_system!r} may not publish for locality {locality_code!r}"
    return None
