"""Editing a job's status message (the ``/video`` reply), so that it always reaches a final state.

While Discord keeps the interaction token valid (15 minutes) the edit goes through it, and works even
where the bot lost its channel permissions; after that, through the channel, as an edit of the bot's own
message. A status message whose id was never stored (a crash right after queuing) is the interaction's
original response, reachable through the token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

import aiohttp
import discord

from bot.store.base import utcnow
from bot.store.jobs import TOKEN_LIFETIME, JobRecord
from generation.explained import first_line

log = logging.getLogger(__name__)

# A minute short of Discord's 15, so that an edit is not sent with a token about to lapse.
TOKEN_USABLE_FOR = TOKEN_LIFETIME - timedelta(minutes=1)
_KEEP = object()
EDIT_ATTEMPTS = 3


def token_valid(job: JobRecord) -> bool:
    return bool(job.interaction_token) and utcnow() - job.created_at < TOKEN_USABLE_FOR


async def edit_status(client: discord.Client, job: JobRecord, text: str, view: Any = _KEEP) -> bool:
    """Set the status text; ``view=None`` removes the Cancel button, leaving it out keeps it. True when
    the message shows it."""
    extra: dict[str, Any] = {} if view is _KEEP else {"view": view}
    if token_valid(job) and await _edit(
        job, "through the interaction", _token_edit(client, job, text, extra)
    ):
        return True
    if job.status_message_id:
        message = client.get_partial_messageable(job.channel_id, guild_id=job.guild_id).get_partial_message(
            job.status_message_id
        )
        return await _edit(job, "in the channel", lambda: message.edit(content=text, **extra))
    return False


async def refresh_status(client: discord.Client, job: JobRecord, text: str) -> bool:
    """A courtesy update of a waiting job's status: one try, and only while the interaction token lasts
    (edits through the channel are rate-limited harder, and these come often)."""
    return token_valid(job) and await _edit(job, "(refresh)", _token_edit(client, job, text, {}), attempts=1)


def _token_edit(
    client: discord.Client, job: JobRecord, text: str, extra: dict[str, Any]
) -> Callable[[], Awaitable[object]]:
    assert job.interaction_token is not None
    webhook = discord.Webhook.partial(job.application_id, job.interaction_token, client=client)
    message_id = job.status_message_id or cast(int, "@original")
    return lambda: webhook.edit_message(message_id, content=text, **extra)


async def _edit(
    job: JobRecord, where: str, edit: Callable[[], Awaitable[object]], attempts: int = EDIT_ATTEMPTS
) -> bool:
    """One way of editing, tried again through a passing Discord error (not through a refusal)."""
    for attempt in range(1, attempts + 1):
        try:
            await edit()
            return True
        except (discord.DiscordServerError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("job %d: status not updated %s (%s)", job.id, where, first_line(exc))
            if attempt < attempts:
                await asyncio.sleep(attempt)
        except discord.HTTPException as exc:
            log.info("job %d: status not updated %s (%s)", job.id, where, first_line(exc))
            return False
    return False
