"""What intake's domain needs from outside, as abstract ports."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from giaitrinh_intake.domain.model import (
    AccountabilityRequest,
    ExternalRef,
    Locality,
    TimelineEntry,
)
from giaitrinh_intake.domain.timeline import PublicAnswer


class LocalityDirectory(ABC):
    """The communes and wards this deployment serves."""

    @abstractmethod
    def get(self, code: str) -> Locality | None:
        """The locality with this code, or None if it is not served here."""

    @abstractmethod
    def all(self) -> list[Locality]:
        """Every locality served here (the portal lists them), in no particular order."""


class TrackingCodeTaken(Exception):
    """The tracking code just drawn was given before (its unique index refused it): the
    submission is made again with another code."""


class RequestRepository(ABC):
    """Stored requests. ``add``, ``append_step`` and ``add_answer`` join the caller's
    transaction."""

    @abstractmethod
    def add(self, request: AccountabilityRequest) -> None: ...

    @abstractmethod
    def get(self, request_id: str) -> AccountabilityRequest | None: ...

    @abstractmethod
    def by_tracking_code(self, code: str) -> AccountabilityRequest | None: ...

    @abstractmethod
    def by_external_ref(self, ref: ExternalRef) -> AccountabilityRequest | None: ...

    @abstractmethod
    def append_step(self, request_id: str, entry: TimelineEntry) -> None: ...

    @abstractmethod
    def add_answer(self, request_id: str, answer: PublicAnswer,
                   file_keys: Mapping[str, str] | None = None) -> None:
        """Keep an explanation given; ``file_keys`` (file id → key) kept beside it, never part
        of what is published."""

    @abstractmethod
    def answer_file_keys(self, request_id: str, case_version: int) -> dict[str, str]:
        """The keys of the files of the answer the case's ``case_version`` gave (file id → key);
        for the requester's own page only."""
