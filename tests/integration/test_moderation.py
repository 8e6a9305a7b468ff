"""Bans, blocked terms, purges and the audit log on real databases, each confined to its server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.limits import Limits, Refusal
from bot.store.base import Audit
from bot.store.jobs import JobStore, Submitted
from bot.store.moderation import ModerationStore
from bot.store.server_settings import MAX_CHANNELS, ServerSettings, ServerSettingsStore, TooManyChannelsError
from tests.integration.test_store import new_job

LIMITS = Limits(max_pending=0, per_hour=0, per_day=0, guild_per_day=0)
MOD = 99


@pytest.fixture
async def moderation(store: JobStore) -> AsyncIterator[ModerationStore]:
    yield ModerationStore(store.engine)


async def test_a_banned_member_is_refused_with_the_reason_in_that_server_only(
    store: JobStore, moderation: ModerationStore
) -> None:
    assert await moderation.ban(10, 5, "spam", MOD)
    refusal = await store.submit(new_job(user_id=5), LIMITS)
    assert isinstance(refusal, Refusal) and refusal.limit == "banned" and refusal.detail == "spam"
    assert isinstance(await store.submit(new_job(user_id=5, guild_id=11), LIMITS), Submitted)
    assert await moderation.unban(10, 5, MOD)
    assert not await moderation.unban(10, 5, MOD)
    assert isinstance(await store.submit(new_job(user_id=5), LIMITS), Submitted)


@pytest.mark.parametrize("prompt", ["a SPAGHETTI cat", "ａ ｓｐａｇｈｅｔｔｉ", "spag hetti?"])
async def test_blocked_terms_match_regardless_of_case_and_width(
    store: JobStore, moderation: ModerationStore, prompt: str
) -> None:
    assert await moderation.add_term(10, "Spaghetti", MOD)
    assert await moderation.add_term(10, "spaghetti", MOD) is False
    result = await store.submit(new_job(prompt=prompt), LIMITS)
    if "hetti?" in prompt:
        assert isinstance(result, Submitted)
    else:
        assert isinstance(result, Refusal) and result.limit == "blocked_term" and result.detail == "spaghetti"
    assert isinstance(await store.submit(new_job(prompt=prompt, guild_id=11), LIMITS), Submitted)
    assert await moderation.terms(10) == ["spaghetti"]
    assert await moderation.remove_term(10, "SPAGHETTI", MOD)
    assert isinstance(await store.submit(new_job(prompt=prompt), LIMITS), Submitted)


async def test_purge_cancels_queued_jobs_and_keeps_the_fair_queue_consistent(store: JobStore) -> None:
    for user in (1, 1, 2):
        await store.submit(new_job(user_id=user), LIMITS)
    await store.submit(new_job(user_id=1, guild_id=11), LIMITS)
    purged = await store.purge(10, 1)
    assert [(j.guild_id, j.user_id) for j in purged] == [(10, 1), (10, 1)]
    assert await store.queue_length("tiny") == 2
    remaining = set()
    while (job := await store.claim("w", 60, 3)) is not None:
        remaining.add((job.guild_id, job.user_id))
    assert remaining == {(10, 2), (11, 1)}
    assert await store.queue_length("tiny") == 0
    assert await store.purge(10) == []


async def test_audit_log_records_who_did_what_per_server(moderation: ModerationStore) -> None:
    await moderation.ban(10, 5, "spam", MOD)
    await moderation.add_term(10, "x", MOD)
    await moderation.record(Audit(10, MOD, "limits set", "server default: max 1"))
    await moderation.ban(11, 6, None, 77)
    entries = await moderation.audit(10)
    assert [(e.action, e.moderator_id) for e in entries] == [
        ("limits set", MOD),
        ("blocklist add", MOD),
        ("ban", MOD),
    ]
    assert entries[2].target_user_id == 5 and entries[2].details == "spam"
    assert [e.action for e in await moderation.audit(11)] == ["ban"]


async def test_the_watermark_setting_is_per_server_and_audited(moderation: ModerationStore) -> None:
    settings = ServerSettingsStore(moderation.engine)
    assert not await settings.watermark(10)
    await settings.set_watermark(10, True, MOD)
    assert await settings.watermark(10) and not await settings.watermark(11)
    await settings.set_watermark(10, False, MOD)
    assert not await settings.watermark(10)
    assert [(e.action, e.details) for e in await moderation.audit(10)] == [
        ("watermark", "off"),
        ("watermark", "on"),
    ]


async def test_server_settings_keep_channels_and_a_default_model_per_server_audited(
    moderation: ModerationStore,
) -> None:
    settings = ServerSettingsStore(moderation.engine)
    assert await settings.get(10) == ServerSettings()
    assert ServerSettings().allows(123)
    assert await settings.allow_channel(10, 1, "memes", MOD)
    assert not await settings.allow_channel(10, 1, "memes", MOD)
    assert await settings.allow_channel(10, 2, "clips", MOD)
    await settings.set_default_model(10, "wan", MOD)
    await settings.set_watermark(10, True, MOD)
    got = await settings.get(10)
    assert got == ServerSettings(frozenset({1, 2}), "wan", True)
    assert got.allows(1) and not got.allows(3)
    assert await settings.get(11) == ServerSettings()
    assert await settings.disallow_channel(10, 1, "memes", MOD)
    assert not await settings.disallow_channel(10, 1, "memes", MOD)
    await settings.set_default_model(10, None, MOD)
    assert await settings.get(10) == ServerSettings(frozenset({2}), None, True)
    for channel in range(100, 100 + MAX_CHANNELS - 1):
        await settings.allow_channel(10, channel, "more", MOD)
    with pytest.raises(TooManyChannelsError):
        await settings.allow_channel(10, 999, "one too many", MOD)
    assert await settings.allow_every_channel(10, MOD) == MAX_CHANNELS
    assert (await settings.get(10)).channels == frozenset() and await settings.allow_every_channel(
        10, MOD
    ) == 0
    actions = [(e.action, e.details) for e in await moderation.audit(10, limit=200)]
    assert actions[0] == ("channels cleared", "every channel allowed")
    assert actions[-6:] == [
        ("default model", "the bot's default"),
        ("channel removed", "#memes (1)"),
        ("watermark", "on"),
        ("default model", "wan"),
        ("channel allowed", "#clips (2)"),
        ("channel allowed", "#memes (1)"),
    ]
