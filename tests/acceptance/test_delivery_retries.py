"""``DiscordDelivery`` posting a clip through the real discord.py client to the Discord stand-in while the
channel route answers server errors: a blip is tried again after the configured delay, an outage is
reported to the worker as such (it waits it out), never taken for a closed route."""

from __future__ import annotations

import dataclasses
import itertools
import time
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from bot.discord_app.delivery import SEND_ATTEMPTS, DiscordDelivery, clip_title
from bot.store.engine import create_engine
from bot.store.jobs import JobRecord, JobStore, NewJob, Submitted
from bot.store.migrate import upgrade_to_head
from bot.worker import DeliveryUnavailableError
from generation.encode import EncodedClip
from standins.discord import DiscordStandIn
from tests.acceptance.support import MEMBER

# Far below the default (2 s), and long enough to tell apart from an immediate resend.
RETRY_DELAY = 0.3


@pytest.fixture
async def job(sqlite_url: str, discord_client: tuple[DiscordStandIn, discord.Client]) -> JobRecord:
    standin, _ = discord_client
    guild_id, channel_id = next(iter(standin.guilds.items()))
    engine = create_engine(sqlite_url)
    try:
        await upgrade_to_head(engine)
        submitted = await JobStore(engine).submit(
            NewJob(
                guild_id=guild_id,
                channel_id=channel_id,
                user_id=MEMBER,
                application_id=standin.app_id,
                interaction_id=1,
                interaction_token="interaction-token",
                prompt="a cat",
                seed=7,
                model="tiny-wan",
                max_bytes=10 * 1024 * 1024,
            )
        )
    finally:
        await engine.dispose()
    assert isinstance(submitted, Submitted)
    return submitted.job


@pytest.fixture
def clip(tmp_path: Path) -> EncodedClip:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(2000))
    return EncodedClip(path, path.stat().st_size, 64, 64, 8, 9, attempts=1, signed=True)


async def test_a_server_error_in_the_channel_is_posted_again_after_the_retry_delay(
    discord_client: tuple[DiscordStandIn, discord.Client], job: JobRecord, clip: EncodedClip
) -> None:
    standin, client = discord_client
    standin.fail_next["channel_message"] = [503]
    posted = await DiscordDelivery(client, retry_base_delay=RETRY_DELAY).deliver(job, clip, "tiny-wan")
    first, second = standin.of_route("channel_message")
    assert RETRY_DELAY <= second.at - first.at < 2.0  # the configured delay, not the default
    assert posted.via == "channel" and posted.message_id == int(second.response["id"])  # type: ignore[index]
    # One message with the clip; the nonce is the same on both tries, so Discord could not have made two.
    assert first.json["nonce"] == second.json["nonce"]  # type: ignore[index]
    clips = [m for m in standin.channel_messages() if m["attachments"]]
    assert [m["embeds"][0]["title"] for m in clips] == [clip_title(job.id)]
    assert not standin.of_route("followup") and not standin.of_route("create_dm")


async def test_an_outage_is_reported_as_unavailable_and_no_other_route_is_tried(
    discord_client: tuple[DiscordStandIn, discord.Client], job: JobRecord, clip: EncodedClip
) -> None:
    standin, client = discord_client
    standin.failing_routes["channel_message"] = 503
    started = time.monotonic()
    with pytest.raises(DeliveryUnavailableError, match="Discord did not accept it"):
        await DiscordDelivery(client, retry_base_delay=RETRY_DELAY).deliver(job, clip, "tiny-wan")
    tries = standin.of_route("channel_message")
    assert len(tries) == SEND_ATTEMPTS
    assert all(b.at - a.at >= RETRY_DELAY for a, b in itertools.pairwise(tries))
    assert time.monotonic() - started < 5  # short delays in, a prompt answer out: the worker waits
    # An outage is not a closed route: a follow-up or a direct message would post the clip twice later.
    assert not standin.of_route("followup") and not standin.of_route("create_dm")
    assert not standin.messages


async def test_a_clip_posted_is_found_again_by_its_attachment_whatever_the_language_of_its_title(
    discord_client: tuple[DiscordStandIn, discord.Client], job: JobRecord, clip: EncodedClip
) -> None:
    standin, client = discord_client
    french = dataclasses.replace(job, locale="fr", delivery_started_at=datetime.now(UTC))
    delivery = DiscordDelivery(client, retry_base_delay=RETRY_DELAY)
    posted = await delivery.deliver(french, clip, "tiny-wan")
    (message,) = [m for m in standin.channel_messages() if m["attachments"]]
    assert message["embeds"][0]["title"] == f"Tâche n° {job.id}"
    # After a crash, the retry recognises the post by its attachment, in whichever language it looks.
    for retried in (french, dataclasses.replace(french, locale="en-US")):
        found = await delivery.find_posted(retried)
        assert found is not None and found.message_id == posted.message_id
    # Another job's clip (#1 against #11, say) is not taken for this one's.
    assert await delivery.find_posted(dataclasses.replace(french, id=job.id * 10 + 1)) is None
