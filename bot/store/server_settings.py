"""What a server's moderators chose for it: where ``/video`` may be used, its default model, the badge.

A server with no row has the defaults: every channel, the bot's default model, no badge. Every change is
audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.base import Audit, StoreBase, add_audit, affected
from bot.store.schema import AllowedChannel, GuildSettings

# Discord's own limit on what a select menu or a reply can list is far above what a server needs.
MAX_CHANNELS = 25


@dataclass(frozen=True)
class ServerSettings:
    channels: frozenset[int] = frozenset()  # where /video may be used; empty: everywhere
    default_model: str | None = None  # None: the bot's default
    watermark: bool = False
    language: str | None = None  # of the bot's posts in channels; None: the server's own (Discord's)

    def allows(self, channel_id: int) -> bool:
        return not self.channels or channel_id in self.channels


class TooManyChannelsError(ValueError):
    """A server may list at most ``MAX_CHANNELS`` channels."""


class ServerSettingsStore(StoreBase):
    async def get(self, guild_id: int) -> ServerSettings:
        async with self._transaction() as session:
            row = await session.get(GuildSettings, guild_id)
            channels = await session.scalars(
                select(AllowedChannel.channel_id).where(AllowedChannel.guild_id == guild_id)
            )
            return ServerSettings(
                channels=frozenset(channels),
                default_model=row.default_model if row else None,
                watermark=bool(row and row.watermark),
                language=row.language if row else None,
            )

    async def watermark(self, guild_id: int) -> bool:
        return (await self.get(guild_id)).watermark

    async def set_watermark(self, guild_id: int, on: bool, moderator_id: int) -> None:
        async with self._transaction() as session:
            (await _row(session, guild_id)).watermark = on
            add_audit(session, Audit(guild_id, moderator_id, "watermark", "on" if on else "off"))

    async def set_default_model(self, guild_id: int, model: str | None, moderator_id: int) -> None:
        async with self._transaction() as session:
            (await _row(session, guild_id)).default_model = model
            add_audit(session, Audit(guild_id, moderator_id, "default model", model or "the bot's default"))

    async def set_language(self, guild_id: int, language: str | None, moderator_id: int) -> None:
        async with self._transaction() as session:
            (await _row(session, guild_id)).language = language
            add_audit(session, Audit(guild_id, moderator_id, "language", language or "the server's own"))

    async def allow_channel(self, guild_id: int, channel_id: int, name: str, moderator_id: int) -> bool:
        """False when the channel was listed already."""
        async with self._transaction() as session:
            listed = set(
                await session.scalars(
                    select(AllowedChannel.channel_id)
                    .where(AllowedChannel.guild_id == guild_id)
                    .with_for_update()
                )
            )
            if channel_id in listed:
                return False
            if len(listed) >= MAX_CHANNELS:
                raise TooManyChannelsError(f"a server can list at most {MAX_CHANNELS} channels")
            session.add(AllowedChannel(guild_id=guild_id, channel_id=channel_id))
            add_audit(session, Audit(guild_id, moderator_id, "channel allowed", f"#{name} ({channel_id})"))
            return True

    async def allow_every_channel(self, guild_id: int, moderator_id: int) -> int:
        """Empty the list (channels deleted from the server included); how many were listed."""
        async with self._transaction() as session:
            result = await session.execute(delete(AllowedChannel).where(AllowedChannel.guild_id == guild_id))
            if affected(result):
                add_audit(session, Audit(guild_id, moderator_id, "channels cleared", "every channel allowed"))
            return affected(result)

    async def disallow_channel(self, guild_id: int, channel_id: int, name: str, moderator_id: int) -> bool:
        """False when the channel was not listed."""
        async with self._transaction() as session:
            result = await session.execute(
                delete(AllowedChannel).where(
                    AllowedChannel.guild_id == guild_id, AllowedChannel.channel_id == channel_id
                )
            )
            if not affected(result):
                return False
            add_audit(session, Audit(guild_id, moderator_id, "channel removed", f"#{name} ({channel_id})"))
            return True


async def _row(session: AsyncSession, guild_id: int) -> GuildSettings:
    row = await session.get(GuildSettings, guild_id)
    if row is None:
        row = GuildSettings(guild_id=guild_id, watermark=False)
        session.add(row)
    return row
