"""Editing a job's status message (the ``/video`` reply) through its interaction token.

Discord keeps the token valid for 15 minutes; after that the clip and any failure notice still arrive as
channel messages, and the status message simply stays as it was.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import aiohttp
import discord

from bot.store.jobs import JobRecord, utcnow

log = logging.getLogger(__name__)

TOKEN_LIFETIME = timedelta(minutes=14)
_KEEP = object()


async def edit_status(client: discord.Client, job: JobRecord, text: str, view: Any = _KEEP) -> None:
    """Set the status text; ``view=None`` removes the Cancel button, leaving it out keeps it."""
    if not job.status_message_id or not job.interaction_token:
        return
    if utcnow() - job.created_at > TOKEN_LIFETIME:
        return
    webhook = discord.Webhook.partial(job.application_id, job.interaction_token, client=client)
    extra: dict[str, Any] = {} if view is _KEEP else {"view": view}
    try:
        await webhook.edit_message(job.status_message_id, content=text, **extra)
    except (discord.HTTPException, aiohttp.ClientError) as exc:
        log.info("job %d: status message not updated: %s", job.id, exc)
