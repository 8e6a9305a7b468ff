"""What went wrong with a job, told honestly: which part failed, whether trying again can help, and the
words its member reads. "The video model failed" only when it did.

Pure rules over exception types: no Discord, no database connection, no torch.
"""

from __future__ import annotations

import enum
import errno
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import exc as sa_exc

from bot.i18n import tr

_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class ModelFailedError(Exception):
    """The video model itself raised while rendering (the cause is attached)."""


class ClipUnavailableError(Exception):
    """The clip to extend could not be read back from Discord this time; it may well work later."""


class UnreadableJobError(Exception):
    """The job's stored settings cannot be read (written by another version, or by hand)."""


class FaultKind(enum.StrEnum):
    STORE = "store"  # the database could not be reached
    DISK = "disk"  # no space left where clips are written
    MODEL = "model"  # the video model raised
    GPU_MEMORY = "gpu_memory"  # the GPU ran out of memory for this clip
    INPUT = "input"  # the request does not suit the model
    TOO_LARGE = "too_large"  # the clip cannot fit the upload limit
    SIGNING = "signing"  # Content Credentials could not be added
    UNREADABLE = "unreadable"  # the job as stored cannot be read by this version of the bot
    DISCORD = "discord"  # Discord did not answer when the clip to extend was read back
    INTERNAL = "internal"  # anything else: encoding, the stored image, the bot's own code


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    detail: str = ""  # a message id, shown in the member's language with ``detail_values``
    detail_values: Mapping[str, object] = field(default_factory=dict)

    @property
    def transient(self) -> bool:
        """Whether the same job may well succeed if tried again a little later."""
        return self.kind in (FaultKind.STORE, FaultKind.DISK, FaultKind.DISCORD)

    def reason(self, job_id: int, locale: object = None) -> str:
        """What the member is told, after "your clip failed: ", in ``locale``."""
        detail = tr(locale, self.detail, **self.detail_values) if self.detail else ""
        return tr(locale, _REASONS[self.kind], job=job_id, detail=detail)

    def retry_notice(self, locale: object = None) -> str:
        """What the member is told when the job goes back in the queue to be tried again."""
        return tr(locale, _RETRY_NOTICES.get(self.kind, "something went wrong"))


_REASONS = {
    FaultKind.STORE: "the bot lost its connection to its database",
    FaultKind.DISK: "the bot's disk is full, so the clip could not be saved (the owner can see this "
    "in the bot's log)",
    FaultKind.MODEL: "the video model hit an error (logged as job #{job})",
    FaultKind.GPU_MEMORY: "the GPU ran out of memory for this clip; a shorter or smaller one may fit",
    FaultKind.INPUT: "the video model could not use this request: {detail}",
    FaultKind.TOO_LARGE: "the clip could not be made small enough for this server's upload limit",
    FaultKind.UNREADABLE: "this version of the bot cannot read the job's settings; please make it again "
    "with /video (logged as job #{job})",
    FaultKind.SIGNING: "the clip could not be signed as AI-generated (logged as job #{job})",
    FaultKind.DISCORD: "Discord did not hand back the clip to extend; please try again later",
    FaultKind.INTERNAL: "something went wrong while finishing the clip (logged as job #{job})",
}
_RETRY_NOTICES = {
    FaultKind.STORE: "the bot lost its connection to its database",
    FaultKind.DISK: "the bot's disk is full",
    FaultKind.DISCORD: "Discord did not hand back the clip to extend",
}


def classify(exc: BaseException) -> Fault:
    # Imported here: the bot's commands use this module's other helpers without loading torch.
    from generation.encode import ClipTooLargeError
    from generation.generator import RenderInputError
    from generation.provenance import ProvenanceError

    if is_disk_full(exc):
        return Fault(FaultKind.DISK)
    if is_store_outage(exc) and any(_from_database(e) for e in causes(exc)):
        return Fault(FaultKind.STORE)
    if isinstance(exc, RenderInputError):
        return Fault(FaultKind.INPUT, exc.template, exc.values)
    if isinstance(exc, UnreadableJobError):
        return Fault(FaultKind.UNREADABLE)
    if isinstance(exc, ClipUnavailableError):
        return Fault(FaultKind.DISCORD)
    if isinstance(exc, ClipTooLargeError):
        return Fault(FaultKind.TOO_LARGE)
    if isinstance(exc, ProvenanceError):
        return Fault(FaultKind.SIGNING)
    # torch.OutOfMemoryError (torch.cuda.OutOfMemoryError), named here so this module needs no torch.
    if any(type(e).__name__ == "OutOfMemoryError" for e in causes(exc)):
        return Fault(FaultKind.GPU_MEMORY)
    if any(isinstance(e, ModelFailedError) for e in causes(exc)):
        return Fault(FaultKind.MODEL)
    return Fault(FaultKind.INTERNAL)


def is_disk_full(exc: BaseException) -> bool:
    for e in causes(exc):
        if isinstance(e, OSError) and e.errno in _DISK_FULL:
            return True
        # ffmpeg reports a full disk on its standard error, which generation passes on in its message.
        if "No space left on device" in str(e) or "Disk quota exceeded" in str(e):
            return True
    return False


def is_store_outage(exc: BaseException) -> bool:
    """Raised by a database operation: a lost or refused connection, which passes, not a bad statement or
    a constraint. (Any network error counts, so only ask this of what a database call raised.)"""
    for e in causes(exc):
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(
            e,
            (
                sa_exc.OperationalError,
                sa_exc.InterfaceError,
                sa_exc.DisconnectionError,
                sa_exc.TimeoutError,  # no pooled connection came free in time
            ),
        ):
            return True
        # Refused, reset, timed out, or asyncpg's "Multiple exceptions: ... Connect call failed".
        if isinstance(e, OSError) and e.errno not in _DISK_FULL:
            return True
        # asyncpg's own connection errors, when they escape SQLAlchemy's wrapping.
        if type(e).__module__.startswith("asyncpg") and "Connection" in type(e).__name__:
            return True
    return False


def _from_database(exc: BaseException) -> bool:
    return isinstance(exc, sa_exc.SQLAlchemyError) or type(exc).__module__.startswith("asyncpg")


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it was raised from or while handling, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        # As Python's tracebacks do: the explicit cause, else the context unless ``from None`` hid it.
        if current.__cause__ is not None or current.__suppress_context__:
            current = current.__cause__
        else:
            current = current.__context__
