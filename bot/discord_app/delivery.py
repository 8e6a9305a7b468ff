"""Posting finished clips and failures back to Discord, and keeping the status message current.

Clips go to the channel as ordinary bot messages, which, unlike interaction follow-ups, do not depend on
the interaction token's 15 minutes. The status message (the ``/video`` reply) is edited through the
token only while it is still valid.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiohttp
import discord

from bot.discord_app import status
from bot.discord_app.safe_text import only_user, quote_user_text
from bot.discord_app.status_message import edit_status
from bot.store.jobs import JobRecord
from bot.worker import DeliveryError
from generation import EncodedClip

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4

_MessageBuilder = Callable[[], dict[str, Any]]


def clip_title(job_id: int) -> str:
    """The embed title of a job's clip; also how a retry recognises a clip already posted."""
    return f"Job #{job_id}"


class DiscordDelivery:
    def __init__(self, client: discord.Client, retry_base_delay: float = 2.0) -> None:
        self._client = client
        self._retry_base_delay = retry_base_delay

    async def started(self, job: JobRecord) -> None:
        await edit_status(self._client, job, status.rendering(job.id, job.attempts))

    async def progress(self, job: JobRecord, step: int, steps: int) -> None:
        await edit_status(self._client, job, status.rendering(job.id, job.attempts, step, steps))

    async def find_posted(self, job: JobRecord) -> int | None:
        """Look in the channel for this job's clip, posted by an attempt that crashed before recording it."""
        if job.delivery_started_at is None or self._client.user is None:
            return None
        channel = self._client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        since = discord.Object(discord.utils.time_snowflake(job.delivery_started_at - timedelta(minutes=1)))
        async for message in channel.history(after=since, limit=200, oldest_first=True):
            if message.author.id == self._client.user.id and any(
                e.title == clip_title(job.id) for e in message.embeds
            ):
                return message.id
        return None

    async def deliver(self, job: JobRecord, clip: EncodedClip, model: str) -> int:
        embed = discord.Embed(title=clip_title(job.id), description=quote_user_text(job.prompt))
        if job.negative_prompt:
            embed.add_field(name="Negative", value=quote_user_text(job.negative_prompt), inline=False)
        embed.add_field(name="Seed", value=str(job.seed))
        sound = ", with sound" if clip.has_audio else ""
        embed.add_field(
            name="Length",
            value=f"{clip.num_frames / clip.fps:.1f} s at {clip.width}x{clip.height}, {clip.fps} fps{sound}",
        )
        embed.add_field(name="Model", value=quote_user_text(model))
        credentials = " · signed with Content Credentials (C2PA)" if clip.signed else ""
        embed.set_footer(text=f"AI-generated video{credentials}")

        message = await self._send(
            job,
            lambda: {
                "content": f"<@{job.user_id}> your clip is ready.",
                "embed": embed,
                "file": discord.File(clip.path, filename=f"clip-{job.id}{clip.path.suffix}"),
                # Discord returns the first message instead of a second one if a retry repeats the nonce.
                "nonce": f"videobot-job-{job.id}",
            },
        )
        await edit_status(self._client, job, status.delivered(job.id, message.jump_url), view=None)
        return message.id

    async def failed(self, job: JobRecord, reason: str) -> None:
        await self._send(
            job, lambda: {"content": f"<@{job.user_id}> sorry, your clip (job #{job.id}) failed: {reason}"}
        )
        await edit_status(self._client, job, status.failed(job.id, reason), view=None)

    async def _send(self, job: JobRecord, build: _MessageBuilder) -> discord.Message:
        channel = self._client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        extra: dict[str, Any] = {"allowed_mentions": only_user(job.user_id)}
        if job.status_message_id:
            # Reply to the status message, so the clip sits under the request it answers.
            extra["reference"] = discord.MessageReference(
                message_id=job.status_message_id, channel_id=job.channel_id, fail_if_not_exists=False
            )
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                # discord.py consumes a File when it sends it: build the message afresh on every attempt.
                return await channel.send(**build(), **extra)
            except discord.Forbidden as exc:
                raise DeliveryError(
                    "I am missing permission to post or attach files in that channel"
                ) from exc
            except discord.NotFound as exc:
                raise DeliveryError("the channel no longer exists") from exc
            except (discord.DiscordServerError, aiohttp.ClientError, TimeoutError) as exc:
                if attempt == SEND_ATTEMPTS:
                    raise DeliveryError("Discord did not accept the upload") from exc
                delay = self._retry_base_delay * 2 ** (attempt - 1)
                log.warning("job %d: posting failed (%s); retrying in %.0fs", job.id, exc, delay)
                await asyncio.sleep(delay)
            except discord.HTTPException as exc:
                raise DeliveryError(f"Discord refused the message ({exc.status})") from exc
        raise AssertionError("unreachable")
