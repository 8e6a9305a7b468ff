"""Validation and normalisation of what a member typed into ``/video``. No Discord, no database."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import TypeGuard

from bot.i18n import LocalizedError
from bot.job_options import (
    ASPECTS,
    FORMATS,
    FRAME_RATES,
    MAX_DURATION,
    MAX_SHOTS,
    MIN_DURATION,
    MIN_SHOTS,
    Aspect,
    ClipFormat,
    JobOptions,
)
from generation.gif import MAX_GIF_SECONDS

MAX_PROMPT = 500
# A story's shots as typed: up to MAX_SHOTS prompts, with their separators.
MAX_STORY = MAX_SHOTS * (MAX_PROMPT + 3)
SHOT_SEPARATOR = " | "
_SHOT_BREAK = re.compile(r"[|\n]")
MAX_SEED = 2**32 - 1

_WHITESPACE = re.compile(r"\s+")


class InvalidRequestError(LocalizedError):
    """A polite, user-facing explanation of what is wrong with the request."""


@dataclass(frozen=True)
class VideoRequest:
    prompt: str
    negative_prompt: str | None
    seed: int
    options: JobOptions


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


def parse_seed(typed: str) -> int | None:
    """A seed typed as text (in a form): None when left empty, so a new one is drawn."""
    typed = typed.strip()
    if not typed:
        return None
    if not typed.isascii() or not typed.isdigit() or int(typed) > MAX_SEED:
        raise InvalidRequestError(
            "The seed must be a whole number from 0 to {max}, or left empty.", max=MAX_SEED
        )
    return int(typed)


def clean_text(text: str) -> str:
    """Drop control and format characters (zero-width tricks included); fold whitespace to single spaces."""
    kept = "".join(
        " " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return _WHITESPACE.sub(" ", kept).strip()


def validate_request(
    prompt: str,
    negative: str | None = None,
    seed: int | None = None,
    aspect: str | None = None,
    duration: float | None = None,
    format: str | None = None,
    sound: bool | None = None,
    fps: int | None = None,
) -> VideoRequest:
    cleaned = clean_text(prompt)
    if not cleaned:
        raise InvalidRequestError(
            "Your prompt is empty. Describe the clip you want, e.g. `a cat eating spaghetti`."
        )
    if len(cleaned) > MAX_PROMPT:
        raise InvalidRequestError(
            "Your prompt is {length} characters long; please keep it to {limit} or fewer.",
            length=len(cleaned),
            limit=MAX_PROMPT,
        )
    negative_cleaned = clean_text(negative) if negative is not None else ""
    if len(negative_cleaned) > MAX_PROMPT:
        raise InvalidRequestError(
            "The negative prompt is too long; please keep it to {limit} characters.", limit=MAX_PROMPT
        )
    if seed is None:
        seed = new_seed()
    elif not 0 <= seed <= MAX_SEED:
        raise InvalidRequestError("The seed must be a whole number from 0 to {max}.", max=MAX_SEED)
    if aspect is not None and not _is_aspect(aspect):
        raise InvalidRequestError("The aspect ratio must be one of {choices}.", choices=", ".join(ASPECTS))
    if duration is not None and not MIN_DURATION <= duration <= MAX_DURATION:
        raise InvalidRequestError(
            "The duration must be between {min} and {max} seconds.",
            min=f"{MIN_DURATION:g}",
            max=f"{MAX_DURATION:g}",
        )
    if format is not None and not _is_format(format):
        raise InvalidRequestError("The format must be one of {choices}.", choices=", ".join(FORMATS))
    if format == "gif" and duration is not None and duration > MAX_GIF_SECONDS:
        raise InvalidRequestError(
            "GIFs are for short clips: {max} seconds at most.", max=f"{MAX_GIF_SECONDS:g}"
        )
    if format == "gif" and sound:
        raise InvalidRequestError("GIFs are silent: pick mp4 to keep the sound.")
    if format == "gif" and fps:
        raise InvalidRequestError("GIFs play at 15 frames a second at most: leave `fps` out for a GIF.")
    if fps is not None and fps not in FRAME_RATES:
        raise InvalidRequestError("The frame rate must be the model's own, 24 or 30.")
    return VideoRequest(
        prompt=cleaned,
        negative_prompt=negative_cleaned or None,
        seed=seed,
        options=JobOptions(aspect=aspect, duration=duration, format=format or "mp4", sound=sound, fps=fps),
    )


def _is_aspect(value: str) -> TypeGuard[Aspect]:
    return value in ASPECTS


def _is_format(value: str) -> TypeGuard[ClipFormat]:
    return value in FORMATS


def split_shots(typed: str) -> tuple[str, ...]:
    """A story's prompts, separated by ``|`` or new lines, each cleaned like a prompt; empty ones dropped."""
    return tuple(shot for part in _SHOT_BREAK.split(typed) if (shot := clean_text(part)))


def validate_story(
    typed: str, negative: str | None = None, seed: int | None = None, aspect: str | None = None
) -> VideoRequest:
    """A ``/story``: 2 to 6 shots with one seed; the job's prompt lists them, its options hold them."""
    shots = split_shots(typed)
    if not MIN_SHOTS <= len(shots) <= MAX_SHOTS:
        raise InvalidRequestError(
            "A story has {min} to {max} shots, separated by `|`, e.g. "
            "`a cat finds spaghetti | the cat eats it | the cat naps`. Yours has {count}.",
            min=MIN_SHOTS,
            max=MAX_SHOTS,
            count=len(shots),
        )
    for number, shot in enumerate(shots, 1):
        if len(shot) > MAX_PROMPT:
            raise InvalidRequestError(
                "Shot {number} is {length} characters long; please keep each to {limit} or fewer.",
                number=number,
                length=len(shot),
                limit=MAX_PROMPT,
            )
    first = validate_request(shots[0], negative, seed, aspect)
    options = JobOptions(aspect=first.options.aspect, shots=len(shots))
    return VideoRequest(SHOT_SEPARATOR.join(shots), first.negative_prompt, first.seed, options)


def story_shots(prompt: str, count: int) -> tuple[str, ...] | None:
    """A story's shots from its prompt; None when they are not there (the prompt was erased)."""
    shots = tuple(prompt.split(SHOT_SEPARATOR))
    return shots if len(shots) == count and all(shots) else None
