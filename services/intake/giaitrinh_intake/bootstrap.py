"""Intake's composition root."""
from __future__ import annotations

from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_intake.adapters import orm
from giaitrinh_intake.adapters.attachments import ContentInspector
from giaitrinh_intake.adapters.localities import RegistryLocalities
from giaitrinh_intake.service_layer import handlers
from giaitrinh_intake.service_layer.unit_of_work import IntakeUnitOfWork
from giaitrinh_intake.settings import IntakeSettings


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

    def handlers(self):
        return {
            "vn.giaitrinh.inbound.feedback.v1":
                lambda ev, uow: handlers.on_inbound_feedback(ev, uow, self.localities, self.now()),
            **{event_type: handlers.on_case_event for event_type in handlers.CASE_EVENT_TYPES},
            **handlers.REGISTRY_HANDLERS,
        }

    def submit(self, cmd) -> handlers.Receipt:
        with self.unit_of_work() as uow:
            receipt = handlers.submit_request(cmd, uow, self.localities, self.now(), self.inspector)
            uow.commit()
            return receipt

    def requester_action(self, handler, cmd):
        """One of the requester's commands (join, withdraw, rate, dispute: a handler of
        :mod:`~giaitrinh_intake.service_layer.handlers`), committed with its event."""
        with self.unit_of_work() as uow:
            result = handler(cmd, uow, self.now())
            uow.commit()
            return result


def bootstrap(settings: IntakeSettings | None = None, **kwargs) -> IntakeRuntime:
    return IntakeRuntime(settings or IntakeSettings.from_env(), **kwargs)


