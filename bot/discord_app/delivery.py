"""Posting finished clips and failure notices back to Discord, and keeping the status message current.

Each post tries, in order: the job's channel (an ordinary bot message, a reply to the status message,
which does not depend on the interaction token's 15 minutes); then an interaction follow-up, which Discord
accepts even where the bot lost its channel permissions, while the token lasts; then a direct message to
the member. A route that is closed for good (no permission, no channel, no DMs) passes to the next; a
Discord outage (server errors, timeouts) is reported as such for the worker to wait out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Literal, get_args

import aiohttp
import discord

from bot.discord_app import status
from bot.discord_app.job_buttons import clip_view
from bot.discord_app.safe_text import only_user, quote_user_text
from bot.discord_app.status_message import edit_status, token_valid
from bot.i18n import tr
from bot.metrics import Metrics
from bot.store.jobs import JobRecord
from bot.worker import DeliveryError, DeliveryUnavailableError, Posted
from generation import EncodedClip
from generation.explained import first_line

log = logging.getLogger(__name__)

# Attempts per route on a server error; the worker waits out longer outages itself (discord.py also
# retries 5xx a few times inside each attempt).
SEND_ATTEMPTS = 2
# How far before the recorded start of posting to look for a post that a crash left unrecorded.
LOOKBACK = timedelta(minutes=1)

_MessageBuilder = Callable[[], dict[str, Any]]
_Route = Callable[[JobRecord, _MessageBuilder, bool], Awaitable[discord.Message]]


# Where a route posts, as its refusals name it (message ids of the catalogs).
RoutePlace = Literal["in the channel", "as a reply to the command", "by direct message"]
ROUTE_PLACES: tuple[RoutePlace, ...] = get_args(RoutePlace)
# Each route's name in the metrics.
_ROUTES: dict[RoutePlace, str] = {
    "in the channel": "channel",
    "as a reply to the command": "followup",
    "by direct message": "dm",
}


class _RouteClosedError(Exception):
    """This route will not carry the message; the next one may."""


def clip_title(job_id: int, locale: object = None) -> str:
    """The embed title of a job's clip, in its channel's language."""
    return tr(locale, "Job #{job}", job=job_id)


def clip_filename(job_id: int, suffix: str) -> str:
    """The clip's attachment name: also how a retry recognises a clip already posted, whatever language
    its title was in (a moderator may change the server's language between two tries)."""
    return f"clip-{job_id}{suffix}"


def holds_clip_of(message: discord.Message, job_id: int) -> bool:
    stem = clip_filename(job_id, ".")
    return any(attachment.filename.startswith(stem) for attachment in message.attachments)


class DiscordDelivery:
    def __init__(
        self,
        client: discord.Client,
        retry_base_delay: float = 2.0,
        extendable: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        self._client = client
        self._metrics = metrics or Metrics()
        self._retry_base_delay = retry_base_delay
        self._extendable = extendable  # clips get an Extend button (a model that takes images is enabled)

    # -- status message -------------------------------------------------------------------------------
    async def started(self, job: JobRecord) -> None:
        await edit_status(self._client, job, status.rendering(job.id, job.attempts, locale=job.locale))

    async def progress(self, job: JobRecord, step: int, steps: int, shot: int = 0) -> None:
        text = status.rendering(job.id, job.attempts, step, steps, shot, job.options.shots, job.locale)
        await edit_status(self._client, job, text)

    async def requeued(self, job: JobRecord, reason: str) -> None:
        await edit_status(self._client, job, status.requeued(job.id, reason, job.locale))

    async def delivered(self, job: JobRecord, posted: Posted) -> None:
        done = status.delivered(job.id, posted.jump_url, job.locale)
        await edit_status(self._client, job, done, view=None)

    # -- posting --------------------------------------------------------------------------------------
    async def deliver(self, job: JobRecord, clip: EncodedClip, model: str) -> Posted:
        locale = job.locale
        embed = discord.Embed(title=clip_title(job.id, locale), description=quote_user_text(job.prompt))
        if job.negative_prompt:
            embed.add_field(
                name=tr(locale, "Negative"), value=quote_user_text(job.negative_prompt), inline=False
            )
        embed.add_field(name=tr(locale, "Seed"), value=str(job.seed))
        length = (
            "{seconds} s at {width}x{height}, {fps} fps, with sound"
            if clip.has_audio
            else "{seconds} s at {width}x{height}, {fps} fps"
        )
        seconds = f"{clip.num_frames / clip.fps:.1f}"
        embed.add_field(
            name=tr(locale, "Length"),
            value=tr(locale, length, seconds=seconds, width=clip.width, height=clip.height, fps=clip.fps),
        )
        embed.add_field(name=tr(locale, "Model"), value=quote_user_text(model))
        footer = (
            "AI-generated video · signed with Content Credentials (C2PA)"
            if clip.signed
            else "AI-generated video"
        )
        embed.set_footer(text=tr(locale, footer))

        def build() -> dict[str, Any]:
            # discord.py consumes a File when it sends it: build the message afresh on every attempt.
            return {
                "content": tr(locale, "{mention} your clip is ready.", mention=f"<@{job.user_id}>"),
                "embed": embed,
                "file": discord.File(clip.path, filename=clip_filename(job.id, clip.path.suffix)),
                "view": clip_view(job.id, self._extendable, locale),
            }

        message, via = await self._post(job, build, private=False)
        return Posted(message.channel.id, message.id, message.jump_url, via, clip.num_frames / clip.fps)

    async def find_posted(self, job: JobRecord) -> Posted | None:
        """Look for this job's clip, posted by an attempt that crashed before recording it: in the channel
        (where follow-ups land too), then in the member's direct messages."""
        if job.delivery_started_at is None or self._client.user is None:
            return None
        since = discord.Object(discord.utils.time_snowflake(job.delivery_started_at - LOOKBACK))
        channel = self._client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        try:
            found = await self._find_in(channel, job, since, "channel")
        except (discord.Forbidden, discord.NotFound):
            # The channel is gone, or the bot may not read it: a follow-up there cannot be checked.
            found = None
        if found is not None:
            return found
        try:
            dm = await self._client.create_dm(discord.Object(job.user_id))
            return await self._find_in(dm, job, since, "dm")
        except (discord.Forbidden, discord.NotFound):
            return None

    async def _find_in(
        self, channel: discord.abc.Messageable, job: JobRecord, since: discord.Object, via: str
    ) -> Posted | None:
        assert self._client.user is not None
        # Every message since posting began: a busy channel may have had many since.
        async for message in channel.history(after=since, limit=None, oldest_first=True):
            if message.author.id == self._client.user.id and holds_clip_of(message, job.id):
                # A follow-up lands in the channel too; it is an application's webhook message.
                kind = "followup" if via == "channel" and message.webhook_id else via
                return Posted(message.channel.id, message.id, message.jump_url, kind)
        return None

    async def clip_of(self, job: JobRecord) -> bytes:
        if job.result_message_id is None:
            raise DeliveryError("it was never posted")
        channel = self._client.get_partial_messageable(job.result_channel_id or job.channel_id)
        try:
            message = await channel.fetch_message(job.result_message_id)
            clip = next((a for a in message.attachments if a.filename.endswith(".mp4")), None)
            if clip is None:
                raise DeliveryError("its message holds no mp4")
            return await clip.read()
        except (discord.NotFound, discord.Forbidden) as exc:
            raise DeliveryError("its message was deleted, or the bot can no longer read it") from exc
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryUnavailableError(first_line(exc)) from exc

    async def retract(self, job: JobRecord, posted: Posted) -> None:
        """Delete a posted clip: a follow-up through the interaction (the bot may have lost the channel),
        anything else as the bot's own message."""
        with contextlib.suppress(discord.NotFound):
            if posted.via == "followup" and token_valid(job):
                await self._webhook(job).delete_message(posted.message_id)
                return
            channel = self._client.get_partial_messageable(posted.channel_id)
            await channel.get_partial_message(posted.message_id).delete()

    async def failed(self, job: JobRecord, reason: str) -> None:
        shown = await edit_status(self._client, job, status.failed(job.id, reason, job.locale), view=None)

        def build() -> dict[str, Any]:
            notice = "{mention} sorry, your clip (job #{job}) failed: {reason}"
            return {"content": tr(job.locale, notice, mention=f"<@{job.user_id}>", job=job.id, reason=reason)}

        try:
            await self._post(job, build, private=True)
        except (DeliveryError, DeliveryUnavailableError) as exc:
            if not shown:
                raise
            log.info("job %d: failure shown on its status message only (%s)", job.id, exc)

    async def _post(
        self, job: JobRecord, build: _MessageBuilder, private: bool
    ) -> tuple[discord.Message, str]:
        """The message, posted by the first route that carries it, and that route's name; why none did,
        otherwise."""
        closed: list[str] = []
        routes: tuple[tuple[str, _Route], ...] = (
            ("channel", self._in_channel),
            ("followup", self._as_followup),
            ("dm", self._by_direct_message),
        )
        for via, route in routes:
            try:
                return await route(job, build, private), via
            except _RouteClosedError as exc:
                closed.append(str(exc))
        raise DeliveryError("; ".join(closed))

    async def _in_channel(self, job: JobRecord, build: _MessageBuilder, private: bool) -> discord.Message:
        channel = self._client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        extra: dict[str, Any] = {
            "allowed_mentions": only_user(job.user_id),
            # Discord answers a repeated nonce with the message it already made, not a second one.
            "nonce": f"videobot-{'n' if private else 'c'}{job.id}",
        }
        if job.status_message_id:
            # Reply to the status message, so the clip sits under the request it answers.
            extra["reference"] = discord.MessageReference(
                message_id=job.status_message_id, channel_id=job.channel_id, fail_if_not_exists=False
            )
        # The nonce makes a repeat safe, so a server error is tried again here at once.
        return await self._send(
            job, lambda: channel.send(**build(), **extra), "in the channel", attempts=SEND_ATTEMPTS
        )

    async def _as_followup(self, job: JobRecord, build: _MessageBuilder, private: bool) -> discord.Message:
        if not token_valid(job):
            raise _RouteClosedError(tr(job.locale, "the command's reply window has closed"))
        webhook = self._webhook(job)
        return await self._send(
            job,
            lambda: webhook.send(
                **build(), wait=True, ephemeral=private, allowed_mentions=only_user(job.user_id)
            ),
            "as a reply to the command",
        )

    async def _by_direct_message(
        self, job: JobRecord, build: _MessageBuilder, private: bool
    ) -> discord.Message:
        async def send() -> discord.Message:
            dm = await self._client.create_dm(discord.Object(job.user_id))
            message = build()
            message["content"] = tr(
                job.locale, "From <#{channel}>: {text}", channel=job.channel_id, text=message["content"]
            )
            return await dm.send(**message, allowed_mentions=discord.AllowedMentions.none())

        return await self._send(job, send, "by direct message")

    def _webhook(self, job: JobRecord) -> discord.Webhook:
        assert job.interaction_token is not None
        webhook = discord.Webhook.partial(job.application_id, job.interaction_token, client=self._client)
        # An interaction's webhook is the application's own, the kind that may send private messages.
        webhook.type = discord.WebhookType.application
        return webhook

    async def _send(
        self,
        job: JobRecord,
        send: Callable[[], Awaitable[discord.Message]],
        where: RoutePlace,
        attempts: int = 1,
    ) -> discord.Message:
        """Send once (follow-ups and DMs carry no nonce: the worker looks for a lost post before it tries
        again), or ``attempts`` times where a repeat is safe."""
        place, route = tr(job.locale, where), _ROUTES[where]
        for attempt in range(1, attempts + 1):
            self._metrics.delivery_attempts.labels(route).inc()
            try:
                return await send()
            except discord.Forbidden as exc:
                self._metrics.delivery_failures.labels(route, "forbidden").inc()
                raise _RouteClosedError(
                    tr(job.locale, "I am not allowed to post {where}", where=place)
                ) from exc
            except discord.NotFound as exc:
                self._metrics.delivery_failures.labels(route, "not_found").inc()
                raise _RouteClosedError(
                    tr(job.locale, "I found nowhere to post {where}", where=place)
                ) from exc
            except (discord.DiscordServerError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                self._metrics.delivery_failures.labels(route, "server_error").inc()
                if attempt == attempts:
                    raise DeliveryUnavailableError(f"Discord did not accept it ({first_line(exc)})") from exc
                delay = self._retry_base_delay * 2 ** (attempt - 1)
                log.warning(
                    "job %d: posting %s failed (%s); retrying in %.0fs", job.id, where, first_line(exc), delay
                )
                await asyncio.sleep(delay)
            except discord.HTTPException as exc:
                self._metrics.delivery_failures.labels(route, "refused").inc()
                refused = "Discord refused it {where} (HTTP {status})"
                raise _RouteClosedError(tr(job.locale, refused, where=place, status=exc.status)) from exc
        raise AssertionError("unreachable")
