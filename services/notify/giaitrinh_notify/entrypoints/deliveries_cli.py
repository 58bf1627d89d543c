"""``giaitrinh notify deliveries``: the operator's view of the delivery ledger.

    giaitrinh notify deliveries list [--parked] [--status S] [--limit N] [--json]
    giaitrinh notify deliveries resend KEY [KEY ...]

``resend`` puts a parked or undeliverable message back as due now (the sender loop sends it
within a second or so); a sent message is refused: sending it again is a new message."""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import click

from giaitrinh_common.storage import Storage, make_engine
from giaitrinh_notify.adapters import orm
from giaitrinh_notify.domain.deliveries import PARKED, STATUSES, UNDELIVERABLE
from giaitrinh_notify.service_layer.unit_of_work import NotifyUnitOfWork
from giaitrinh_notify.settings import NotifySettings


def _unit_of_work() -> NotifyUnitOfWork:
    url = NotifySettings.from_env(os.environ).database_url
    return NotifyUnitOfWork(Storage(make_engine(url), orm.metadata))


@click.group("deliveries")
def deliveries() -> None:
    """Sổ gửi thông báo: what notify sent, is sending, and gave up on."""


@deliveries.command("list")
@click.option("--parked", is_flag=True, help="Only what was given up on (parked or undeliverable).")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
              help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_(parked: bool, status: str | None, limit: int, as_json: bool) -> None:
    """The newest deliveries, with why each was given up on."""
    statuses = [status] if status else ([PARKED, UNDELIVERABLE] if parked else None)
    with _unit_of_work() as uow:
        rows = uow.deliveries.listed(statuses, limit)
        counts = uow.deliveries.counts()
    for d in rows:
        if as_json:
            click.echo(json.dumps({"delivery_key": d.delivery_key, "status": d.status, "channel": d.channel,
                                   "recipient": d.recipient, "template": d.template, "event_type": d.event_type,
                                   "request_id": d.request_id, "attempts": d.attempts, "reason": d.reason,
                                   "updated_at": d.updated_at.isoformat() if d.updated_at else None},
                                  ensure_ascii=False))
        else:
            click.echo(f"{d.status:<13} {d.delivery_key}  {d.channel:<7} {d.recipient}  {d.template}  "
                       f"tries {d.attempts}" + (f"\n    {d.reason[:300]}" if d.reason else ""))
    if not as_json:
        click.echo(", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES))


@deliveries.command()
@click.argument("keys", nargs=-1, required=True)
def resend(keys: tuple[str, ...]) -> None:
    """Send the parked or undeliverable messages KEYS again."""
    refused = []
    with _unit_of_work() as uow:
        now = datetime.now(UTC)
        for key in keys:
            if uow.deliveries.resend(key, now):
                click.echo(f"{key}: due again / sẽ gửi lại")
            else:
                refused.append(key)
                found = uow.deliveries.get(key)
                click.echo(f"{key}: " + (f"not resent: it is {found.status}" if found else "no such delivery"),
                           err=True)
        uow.commit()
    if refused:
        raise SystemExit(1)
