"""Honest fault classification: "the model failed" only when it did."""

from __future__ import annotations

import errno

import pytest
from sqlalchemy import exc as sa_exc

from bot.faults import FaultKind, ModelFailedError, UnreadableJobError, classify, is_store_outage
from generation.encode import ClipTooLargeError
from generation.explained import first_line
from generation.generator import RenderInputError
from generation.provenance import ProvenanceError


class OutOfMemoryError(RuntimeError):
    """Named as torch names its own."""


def _wrapped(inner: BaseException) -> RuntimeError:
    try:
        raise RuntimeError("while encoding") from inner
    except RuntimeError as outer:
        return outer


def _model(inner: BaseException) -> ModelFailedError:
    """As the worker raises what the model's render raised."""
    try:
        raise ModelFailedError(str(inner)) from inner
    except ModelFailedError as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), FaultKind.DISK),
        (_wrapped(OSError(errno.EDQUOT, "quota")), FaultKind.DISK),
        (
            RuntimeError("ffmpeg failed: av_interleaved_write_frame(): No space left on device"),
            FaultKind.DISK,
        ),
        (sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError()), FaultKind.STORE),
        (sa_exc.InterfaceError("SELECT 1", {}, ConnectionResetError()), FaultKind.STORE),
        (_wrapped(ConnectionResetError()), FaultKind.INTERNAL),  # not from the database
        (RenderInputError("its image is missing"), FaultKind.INPUT),
        (UnreadableJobError("fps 'fast' must be int"), FaultKind.UNREADABLE),
        (ClipTooLargeError("too big"), FaultKind.TOO_LARGE),
        (ProvenanceError("expired"), FaultKind.SIGNING),
        (OutOfMemoryError("CUDA out of memory"), FaultKind.GPU_MEMORY),
        (_model(ValueError("shapes do not match")), FaultKind.MODEL),
        (_model(OutOfMemoryError("CUDA out of memory")), FaultKind.GPU_MEMORY),
        (ValueError("could not decode the stored image"), FaultKind.INTERNAL),
        (PermissionError(errno.EACCES, "denied"), FaultKind.INTERNAL),
    ],
)
def test_each_fault_is_named_for_what_failed(exc: BaseException, kind: FaultKind) -> None:
    fault = classify(exc)
    assert fault.kind is kind
    assert fault.transient is (kind in (FaultKind.DISK, FaultKind.STORE))
    reason = fault.reason(7)
    assert ("video model" in reason) is (kind in (FaultKind.MODEL, FaultKind.INPUT))


def test_a_constraint_violation_is_not_an_outage() -> None:
    violation = sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    assert not is_store_outage(violation)
    invalidated = sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_store_outage(invalidated)


def test_log_lines_carry_the_first_line_only() -> None:
    exc = sa_exc.OperationalError("INSERT INTO jobs", {"prompt": "secret"}, ConnectionRefusedError("refused"))
    line = first_line(exc)
    assert line.startswith("OperationalError:") and "\n" not in line


def test_what_the_model_cannot_use_is_told_in_the_members_language() -> None:
    fault = classify(RenderInputError("{model} makes video from an image: attach one", model="wan-i2v"))
    assert fault.reason(7, "en-US") == (
        "the video model could not use this request: wan-i2v makes video from an image: attach one"
    )
    assert fault.reason(7, "fr") == (
        "le modèle vidéo n’a pas pu utiliser cette demande : "
        "wan-i2v fait des vidéos à partir d’une image : joignez-en une"
    )
