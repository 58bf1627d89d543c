"""Intake's composition root."""
from __future__ import annotations

from giaitrinh_common.file_inspector import ContentInspector
from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_intake.adapters import orm
from giaitrinh_intake.adapters.group_commit import GroupCommit
from giaitrinh_intake.adapters.localities import RegistryLocalities
from giaitrinh_intake.adapters.sqlite_writers import serialise_writers
from giaitrinh_intake.adapters.writer_process import WriterProcess
from giaitrinh_intake.domain.ports import TrackingCodeTaken
from giaitrinh_intake.service_layer import handlers
from giaitrinh_intake.service_layer.unit_of_work import IntakeUnitOfWork
from giaitrinh_intake.settings import IntakeSettings

# A submission refused by a unique index is made again from the start: its tracking code was
# already given (one chance in 32^8 per stored request), or the same external id was stored
# meanwhile (the next attempt finds it and answers with the first request).
SUBMIT_ATTEMPTS = 3


class IntakeRuntime(ServiceRuntime):
    service = "intake"
    metadata = orm.metadata
    unit_of_work_class = IntakeUnitOfWork
    settings: IntakeSettings

    def __init__(self, settings: IntakeSettings, **kwargs):
        super().__init__(settings, **kwargs)
        # Which localities are served: intake's copy of routing's registry, nothing else.
        self.localities = RegistryLocalities(self.storage.engine)
        self.inspector = ContentInspector()  # attachments judged by their content
        engine = self.storage.engine
        if engine.dialect.name == "sqlite":
            serialise_writers(engine)  # the web process's threads queue, not sleep
        # Submissions that arrive together are written in one transaction, one commit — on a
        # SQLite file by a writer process of its own, started on the first submission.
        file = engine.url.database if engine.dialect.name == "sqlite" else None
        writer = WriterProcess(file) if file and file != ":memory:" and settings.sqlite_writer_process else None
        self.group_commit = GroupCommit(engine, writer)

    def close(self) -> None:
        self.group_commit.close()
        super().close()

    def handlers(self):
        return {
            "vn.giaitrinh.inbound.feedback.v1":
                lambda ev, uow: handlers.on_inbound_feedback(ev, uow, self.localities, self.now()),
            **{event_type: handlers.on_case_event for event_type in handlers.CASE_EVENT_TYPES},
            **{event_type: self._registry_handler(handler)
               for event_type, handler in handlers.REGISTRY_HANDLERS.items()},
        }

    def _registry_handler(self, handler):
        """``handler``, after whose transaction commits this process reads the served
        localities again (other processes do within ``SERVED_CACHE_SECONDS``)."""
        def apply(ev, uow):
            handler(ev, uow)
            self.localities.forget_after_commit(uow.session)
        return apply

    def submit(self, cmd) -> handlers.Receipt:
        """Store a new submission (a command of the API, a form, Open311 or an official), committed
        with its ``request.submitted`` before this returns; several threads' submissions share a
        commit (:mod:`~giaitrinh_intake.adapters.group_commit`)."""
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            try:
                with IntakeUnitOfWork(self.storage, self.group_commit) as uow:
                    receipt = handlers.submit_request(cmd, uow, self.localities, self.now(), self.inspector)
                    uow.commit()
                    return receipt
            except TrackingCodeTaken:
                if attempt == SUBMIT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def requester_action(self, handler, cmd):
        """One of the requester's commands (join, withdraw, rate, dispute: a handler of
        :mod:`~giaitrinh_intake.service_layer.handlers`), committed with its event."""
        with self.unit_of_work() as uow:
            result = handler(cmd, uow, self.now())
            uow.commit()
            return result


def bootstrap(settings: IntakeSettings | None = None, **kwargs) -> IntakeRuntime:
    return IntakeRuntime(settings or IntakeSettings.from_env(), **kwargs)


