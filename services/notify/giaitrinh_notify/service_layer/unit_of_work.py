from __future__ import annotations

from collections.abc import Callable

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_notify.adapters.channel_store import SqlPreferences, SqlStaffInbox, SqlWebhookSubscriptions
from giaitrinh_notify.adapters.directory import SqlDirectory
from giaitrinh_notify.adapters.ledger import SqlDeliveryLedger
from giaitrinh_notify.adapters.repository import SqlInbox


class NotifyUnitOfWork(SqlUnitOfWork):
    # Called after a commit that recorded messages to send (the runtime wakes its sender loop).
    on_recorded: Callable[[], None] | None = None
    inbox_messages: SqlInbox
    staff_inbox: SqlStaffInbox
    preferences: SqlPreferences
    webhook_subscriptions: SqlWebhookSubscriptions
    deliveries: SqlDeliveryLedger
    directory: SqlDirectory

    def __enter__(self):
        super().__enter__()
        self.inbox_messages = SqlInbox(self.session)
        self.staff_inbox = SqlStaffInbox(self.session)
        self.preferences = SqlPreferences(self.session)
        self.webhook_subscriptions = SqlWebhookSubscriptions(self.session)
        self.deliveries = SqlDeliveryLedger(self.session, on_recorded=self.on_recorded)
        self.directory = SqlDirectory(self.session)
        return self
