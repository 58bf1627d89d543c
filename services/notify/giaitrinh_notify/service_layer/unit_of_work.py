from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_notify.adapters.repository import SqlInbox


class NotifyUnitOfWork(SqlUnitOfWork):
    inbox_messages: SqlInbox

    def __enter__(self):
        super().__enter__()
        self.inbox_messages = SqlInbox(self.session)
        return self
