"""``/video``: validate, acknowledge at once, queue, and show the job's place in the queue."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.autocomplete import model_choices
from bot.discord_app.checks import server_id
from bot.discord_app.job_buttons import cancel_view
from bot.discord_app.job_modals import extend_form, remix_form, send_form
from bot.discord_app.queue_cards import QueueCards
from bot.discord_app.refusals import describe
from bot.discord_app.settings_commands import channel_mentions
from bot.i18n import LocalizedError, tr
from bot.job_options import ASPECTS, FORMATS, MAX_DURATION, MIN_DURATION
from bot.limits import LimitPolicy, Refusal
from bot.metrics import Metrics
from bot.model_catalog import ModelCatalog, ModelChoiceError
from bot.store.jobs import JobRecord, JobStore, NewJob, Submitted
from bot.store.schema import JobState
from bot.store.server_settings import ServerSettings, ServerSettingsStore
from bot.video_request import (
    MAX_PROMPT,
    MAX_SEED,
    MAX_STORY,
    SHOT_SEPARATOR,
    InvalidRequestError,
    VideoRequest,
    new_seed,
    parse_seed,
    validate_request,
    validate_story,
)
from generation.explained import first_line
from generation.images import MAX_IMAGE_BYTES, ImageRejectedError, encode_png, load_image

# An extension adds at least this many seconds: a clip closer than that to the maximum is not extended.
MIN_EXTENSION = 0.5
# Stored first frames are scaled to fit this; every preset's frames are smaller.
MAX_STORED_SIDE = 1536

log = logging.getLogger(__name__)


class VideoCommand(commands.Cog):
    """``/video``."""

    def __init__(
        self,
        store: JobStore,
        settings: ServerSettingsStore,
        catalog: ModelCatalog,
        limits: LimitPolicy,
        cards: QueueCards,
        on_submitted: Callable[[], None],
        max_extend_seconds: float = 20.0,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics or Metrics()
        self._settings = settings
        self._catalog = catalog
        self._limits = limits
        self._cards = cards
        self._max_extend = max_extend_seconds
        self._on_submitted = on_submitted
        # Images are decoded one at a time on one thread: bounded memory, and one allocator arena.
        self._decoding = asyncio.Semaphore(1)
        self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-decoder")

    @app_commands.command(name="video", description="Turn a prompt into a short AI-generated video clip")
    @app_commands.guild_only()
    @app_commands.describe(
        prompt="What should happen in the clip",
        negative="What to keep out of the clip (optional)",
        seed="Same seed and prompt give the same clip (optional)",
        image="An image to bring to life as the first frame (optional)",
        aspect="Shape of the clip (default: the model's own)",
        duration="Length in seconds (the model rounds it to what it can make)",
        model="Which model makes it (default: this server's usual one)",
        format="mp4 (default) or an animated GIF, for clips of up to 6 seconds",
        sound="Keep the sound, for models that make it (default: on)",
        fps="Frames per second: smoother by interpolation, or the model's own",
    )
    @app_commands.choices(
        aspect=[app_commands.Choice(name=a, value=a) for a in ASPECTS],
        format=[app_commands.Choice(name=f, value=f) for f in FORMATS],
    )
    @app_commands.choices(
        fps=[
            app_commands.Choice(name="the model's own", value=0),
            app_commands.Choice(name="24 (smooth)", value=24),
            app_commands.Choice(name="30 (smoother)", value=30),
        ],
    )
    async def video(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, MAX_PROMPT],
        negative: app_commands.Range[str, 1, MAX_PROMPT] | None = None,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
        image: discord.Attachment | None = None,
        aspect: str | None = None,
        duration: app_commands.Range[float, MIN_DURATION, MAX_DURATION] | None = None,
        model: app_commands.Range[str, 1, 200] | None = None,
        format: str | None = None,
        sound: bool | None = None,
        fps: int | None = None,
    ) -> None:
        """Cheap checks first (what was typed, the model, the bot's permissions, bans, blocked terms and
        limits); only then the costly ones (downloading and decoding an image)."""
        try:
            request = validate_request(prompt, negative, seed, aspect, duration, format, sound, fps)
        except InvalidRequestError as exc:
            await interaction.response.send_message(exc.text_in(interaction.locale), ephemeral=True)
            return
        await self._start(interaction, request, model, image)

    @app_commands.command(
        name="story", description="A little story: several prompts, one shot each, in one clip"
    )
    @app_commands.guild_only()
    @app_commands.describe(
        shots="2 to 6 prompts separated by |, e.g. a cat finds spaghetti | the cat eats it | the cat naps",
        negative="What to keep out of every shot (optional)",
        seed="One seed for the whole story (optional)",
        image="An image to bring to life as the first shot's first frame (optional)",
        aspect="Shape of the clip (default: the model's own)",
        model="Which model makes it (default: this server's usual one)",
    )
    @app_commands.choices(aspect=[app_commands.Choice(name=a, value=a) for a in ASPECTS])
    async def story(
        self,
        interaction: discord.Interaction,
        shots: app_commands.Range[str, 1, MAX_STORY],
        negative: app_commands.Range[str, 1, MAX_PROMPT] | None = None,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
        image: discord.Attachment | None = None,
        aspect: str | None = None,
        model: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Like ``/video``, with the shots made one after the other (each from the last frame of the one
        before, when the model takes images) and joined; it counts as one clip per shot."""
        try:
            request = validate_story(shots, negative, seed, aspect)
        except InvalidRequestError as exc:
            await interaction.response.send_message(exc.text_in(interaction.locale), ephemeral=True)
            return
        await self._start(interaction, request, model, image)

    async def reroll(self, interaction: discord.Interaction, job_id: int) -> None:
        """The Re-roll button on job ``job_id``'s clip: the same prompt, options and model, a new seed, as a
        new job through every check ``/video`` makes."""
        parent = await self._parent(interaction, job_id, "re-rolled")
        if parent is not None:
            request = VideoRequest(parent.prompt, parent.negative_prompt, new_seed(), parent.options)
            await self._start(interaction, request, parent.model, None, parent.id)

    async def remix(self, interaction: discord.Interaction, job_id: int) -> None:
        """The Remix button: a form with the clip's prompt, negative prompt and seed to edit."""
        parent = await self._parent(interaction, job_id, "remixed")
        if parent is not None:
            await send_form(
                interaction,
                remix_form(
                    parent.id,
                    parent.prompt,
                    parent.negative_prompt,
                    parent.seed,
                    bool(parent.options.shots),
                    interaction.locale,
                ),
            )

    async def remixed(self, interaction: discord.Interaction, job_id: int, values: dict[str, str]) -> None:
        """The Remix form's answer: the edited prompt, negative prompt and seed with the clip's other
        options and model, as a new job through every check ``/video`` makes."""
        parent = await self._parent(interaction, job_id, "remixed")
        if parent is None:
            return
        options = parent.options
        prompt, negative = values.get("prompt", ""), values.get("negative") or None
        try:
            seed = parse_seed(values.get("seed", ""))
            if options.shots:  # a story's prompt lists its shots, separated by |
                request = validate_story(prompt, negative, seed, options.aspect)
            else:
                request = validate_request(
                    prompt,
                    negative,
                    seed,
                    options.aspect,
                    options.duration,
                    options.format,
                    options.sound,
                    options.fps,
                )
        except InvalidRequestError as exc:
            await interaction.response.send_message(exc.text_in(interaction.locale), ephemeral=True)
            return
        await self._start(interaction, request, parent.model, None, parent.id)

    async def extend(self, interaction: discord.Interaction, job_id: int) -> None:
        """The Extend button: a form for what happens next, if the clip can grow."""
        parent = await self._parent(interaction, job_id, "extended", extending=self._max_extend)
        if parent is not None:
            await send_form(interaction, extend_form(parent.id, _last_prompt(parent), interaction.locale))

    async def extended(self, interaction: discord.Interaction, job_id: int, values: dict[str, str]) -> None:
        """The Extend form's answer: a new job continuing the clip from its last frame with the image model
        (the same prompt unless a new one was typed), for as long as the clip may still grow."""
        parent = await self._parent(interaction, job_id, "extended", extending=self._max_extend)
        model = self._catalog.image_default
        if parent is None or model is None:
            return
        defaults = self._catalog.presets[model].defaults
        room = self._max_extend - (parent.clip_seconds or 0.0)
        duration = max(room, MIN_DURATION) if room < defaults.num_frames / defaults.fps else None
        options = parent.options
        try:
            request = validate_request(
                values.get("prompt", "").strip() or _last_prompt(parent),
                parent.negative_prompt,
                parent.seed,
                duration=duration,
                sound=options.sound,
                fps=options.fps,
            )
        except InvalidRequestError as exc:
            await interaction.response.send_message(exc.text_in(interaction.locale), ephemeral=True)
            return
        request = replace(request, options=replace(request.options, extends=parent.id))
        await self._start(interaction, request, model, None, parent.id, from_frame=True)

    async def _parent(
        self, interaction: discord.Interaction, job_id: int, done: Made, extending: float | None = None
    ) -> JobRecord | None:
        """Job ``job_id``, when a new clip can be made from it here (``extending``: continued, up to that
        many seconds); else None, the member told why."""
        parent, locale = await self._store.get(job_id), interaction.locale
        problem = _parent_problem(interaction, parent, done, extending)
        if problem is None:
            settings = await self._settings.get(server_id(interaction))
            problem = None if _channel_allowed(interaction, settings) else _elsewhere(settings, locale)
        if problem is None and parent is not None and extending is not None:
            problem = _cannot_extend(parent, self._catalog.image_default, extending, locale)
        if problem is not None or parent is None:
            await interaction.response.send_message(problem or tr(locale, _GONE[done]), ephemeral=True)
            return None
        return parent

    async def _start(
        self,
        interaction: discord.Interaction,
        request: VideoRequest,
        model: str | None,
        image: discord.Attachment | None,
        parent_id: int | None = None,
        from_frame: bool = False,
    ) -> None:
        """``from_frame``: the clip starts from a frame the worker finds (Extend), as if from an image.
        The rest of the cheap checks (the server's channels, the model, the bot's permissions, the
        image's size), then the acknowledgement, then admission and queuing."""
        settings = await self._settings.get(server_id(interaction))
        if not _channel_allowed(interaction, settings):
            await interaction.response.send_message(_elsewhere(settings, interaction.locale), ephemeral=True)
            return
        try:
            chosen = self._catalog.choose(
                model, image is not None or from_frame, bool(request.options.sound), settings.default_model
            )
        except ModelChoiceError as exc:
            await interaction.response.send_message(exc.text_in(interaction.locale), ephemeral=True)
            return
        locale = interaction.locale
        problem = missing_permissions(interaction.app_permissions, locale) or _image_problem(image, locale)
        if problem is not None:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        # The job's channel posts speak the server's chosen language, else the server's own.
        posts_in = settings.language or (interaction.guild_locale.value if interaction.guild_locale else None)
        new = replace(self._new_job(interaction, request, chosen), parent_job_id=parent_id, locale=posts_in)
        # Acknowledge first: Discord drops interactions not answered within 3 seconds.
        await interaction.response.defer(thinking=True)
        await self._queue(interaction, new, image)

    @story.autocomplete("model")
    @video.autocomplete("model")
    async def model_choices(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        return model_choices(self._catalog, typed)

    @staticmethod
    def _new_job(interaction: discord.Interaction, request: VideoRequest, model: str) -> NewJob:
        channel_id = interaction.channel_id
        if channel_id is None:
            raise app_commands.NoPrivateMessage()
        return NewJob(
            guild_id=server_id(interaction),
            channel_id=channel_id,
            user_id=interaction.user.id,
            application_id=interaction.application_id,
            interaction_id=interaction.id,
            interaction_token=interaction.token,
            prompt=request.prompt,
            negative_prompt=request.negative_prompt,
            seed=request.seed,
            model=model,
            max_bytes=interaction.filesize_limit,
            options=request.options,
        )

    async def _queue(
        self, interaction: discord.Interaction, new: NewJob, image: discord.Attachment | None
    ) -> None:
        """Admit the job (an image only after the cheap checks), then queue it or say privately why not."""
        role_ids = [role.id for role in getattr(interaction.user, "roles", [])]
        try:
            refusal = await self._store.admission(new, self._limits, role_ids) if image else None
            if refusal is None and image is not None:
                png = await self._first_frame(image)
                new = replace(new, options=replace(new.options, image=True), image_png=png)
            submitted = refusal or await self._store.submit(new, self._limits, role_ids)
        except ImageRefusedError as exc:
            refusal_text = tr(
                interaction.locale, "{why} Nothing was queued.", why=exc.text_in(interaction.locale)
            )
            await _refuse_privately(interaction, refusal_text)
            return
        except Exception as exc:
            log.error("could not queue interaction %s: %s", interaction.id, first_line(exc))
            unavailable = (
                "Sorry, the queue is unavailable right now, so nothing was queued. "
                "Please try again in a minute."
            )
            await _refuse_privately(interaction, tr(interaction.locale, unavailable))
            return
        if isinstance(submitted, Refusal):
            self._metrics.refusals.labels(str(submitted.limit)).inc()
            await _refuse_privately(interaction, describe(submitted, interaction.locale))
            return
        await self._show_queued(interaction, submitted)

    async def _show_queued(self, interaction: discord.Interaction, submitted: Submitted) -> None:
        """Replace "thinking…" with the job's place in the queue. The job is queued whatever happens here:
        if Discord or the database blinks, the worker's status edits still reach the reply."""
        job = submitted.job
        try:
            text = await self._cards.text(job, submitted.position, submitted.queue_length)
            view = cancel_view(job.id, job.locale)
            message = await interaction.edit_original_response(content=text, view=view)
            self._cards.shown(job.id, text)
            await self._store.set_status_message(job.id, message.id)
        except Exception as exc:
            log.warning("job %d: queued, but its reply was not updated: %s", job.id, first_line(exc))
        # Wake the worker only now, so its status edits never race the "queued" one.
        self._on_submitted()
        log.info("queued job %d for user %d in guild %d", job.id, job.user_id, job.guild_id)

    async def _first_frame(self, image: discord.Attachment) -> bytes:
        """Download and decode an image, one at a time: a burst of huge images waits its turn instead of
        holding them all in memory at once."""
        async with self._decoding:
            try:
                data = await image.read()
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
                raise ImageRefusedError("The image could not be downloaded.") from exc
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(self._decoder, first_frame_png, data)
            except ImageRejectedError as exc:
                raise ImageRefusedError(exc.template, **exc.values) from exc
            finally:
                del data
                await loop.run_in_executor(self._decoder, release_freed_memory)


# What a clip's button makes of it, and why it cannot when the clip's job or prompt is gone.
Made = Literal["re-rolled", "remixed", "extended"]
_GONE: dict[Made, str] = {
    "re-rolled": "This clip's job is no longer known to the bot, so it cannot be re-rolled; "
    "use `/video` instead.",
    "remixed": "This clip's job is no longer known to the bot, so it cannot be remixed; "
    "use `/video` instead.",
    "extended": "This clip's job is no longer known to the bot, so it cannot be extended; "
    "use `/video` instead.",
}
_ERASED: dict[Made, str] = {
    "re-rolled": "This clip's prompt was erased under this bot's retention policy, "
    "so it cannot be re-rolled.",
    "remixed": "This clip's prompt was erased under this bot's retention policy, so it cannot be remixed.",
    "extended": "This clip's prompt was erased under this bot's retention policy, so it cannot be extended.",
}


def _parent_problem(
    interaction: discord.Interaction, parent: JobRecord | None, done: Made, extending: float | None = None
) -> str | None:
    """Why a new clip cannot be made from ``parent`` here, if not. An extension continues the posted
    clip, so a clip that started from an image may be extended."""
    locale = interaction.locale
    if interaction.guild_id is None:
        return tr(locale, "This button works on clips in a server.")
    if parent is None or parent.guild_id != interaction.guild_id:
        return tr(locale, _GONE[done])
    if not parent.prompt:
        return tr(locale, _ERASED[done])
    if parent.options.image and extending is None:
        return tr(
            locale,
            "This clip started from an image, which the bot does not keep: "
            "use `/video` with the image to make another.",
        )
    return None


def _channel_allowed(interaction: discord.Interaction, settings: ServerSettings) -> bool:
    """A thread counts as its channel: allowing a channel allows its threads."""
    parent = getattr(interaction.channel, "parent_id", None)
    return any(
        settings.allows(channel) for channel in (interaction.channel_id, parent) if channel is not None
    )


def _elsewhere(settings: ServerSettings, locale: object) -> str:
    return tr(
        locale,
        "The moderators of this server keep `/video` to these channels: {channels}. Nothing was queued.",
        channels=channel_mentions(settings),
    )


def _cannot_extend(
    parent: JobRecord, image_model: str | None, max_seconds: float, locale: object
) -> str | None:
    if image_model is None:
        return tr(
            locale, "This bot has no model that continues clips any more, so it cannot extend this one."
        )
    if parent.state is not JobState.DELIVERED or parent.result_message_id is None:
        return tr(locale, "Only a posted clip can be extended.")
    if parent.options.gif:
        return tr(locale, "GIFs cannot be extended: make the clip as an mp4 to extend it.")
    if parent.clip_seconds is not None and parent.clip_seconds > max_seconds - MIN_EXTENSION:
        return tr(
            locale,
            "This clip is {length:.0f} s long already; clips here are extended up to {limit:g} s.",
            length=parent.clip_seconds,
            limit=max_seconds,
        )
    return None


def _last_prompt(job: JobRecord) -> str:
    """What an extension continues with by default: the prompt, or a story's last shot."""
    return job.prompt.split(SHOT_SEPARATOR)[-1] if job.options.shots else job.prompt


async def _refuse_privately(interaction: discord.Interaction, message: str) -> None:
    """Replace the public "thinking…" reply with a message only the member sees."""
    await interaction.delete_original_response()
    await interaction.followup.send(message, ephemeral=True)


def _image_problem(image: discord.Attachment | None, locale: object) -> str | None:
    """What is wrong with an attachment that can be told before downloading it."""
    if image is None:
        return None
    if image.size > MAX_IMAGE_BYTES:
        too_large = "The image is larger than {limit} MB; please attach a smaller one."
        return tr(locale, too_large, limit=MAX_IMAGE_BYTES // (1024 * 1024))
    return None


# What the bot needs in a channel to post clips there: see, send, attach, embed, and read back its own
# posts (to find a clip posted just before a crash).
NEEDED_PERMISSIONS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "attach_files": "Attach Files",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
}


class ImageRefusedError(LocalizedError):
    """The attached image cannot be used; the message says why, for the member."""


def missing_permissions(permissions: discord.Permissions, locale: object = None) -> str | None:
    """A refusal naming what the bot lacks in this channel (in Discord's words for ``locale``), or None
    when it can post here."""
    missing = [
        tr(locale, label) for name, label in NEEDED_PERMISSIONS.items() if not getattr(permissions, name)
    ]
    if not missing:
        return None
    if len(missing) == 1:
        one = (
            "I cannot post clips in this channel: I am missing the {permissions} permission here. "
            "Ask a moderator to grant it, or use another channel. Nothing was queued."
        )
        return tr(locale, one, permissions=missing[0])
    several = (
        "I cannot post clips in this channel: I am missing the {permissions} permissions here. "
        "Ask a moderator to grant them, or use another channel. Nothing was queued."
    )
    return tr(locale, several, permissions=", ".join(missing))


def release_freed_memory() -> None:
    """Hand the memory a decoded image used back to the system (glibc keeps freed memory otherwise)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once; None where the C library has none."""
    libc_name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(libc_name), "malloc_trim", None) if libc_name else None


def first_frame_png(data: bytes) -> bytes:
    """Check an uploaded image and keep it, no larger than a frame needs, as PNG."""
    image = load_image(data)
    image.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE))
    return encode_png(image)
