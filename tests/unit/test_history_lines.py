from datetime import UTC, datetime

from bot.discord_app.history_commands import ERASED, PROMPT_SHOWN, history_line, job_card
from bot.discord_app.status import clip_link
from bot.job_options import JobOptions
from bot.store.jobs import JobRecord
from bot.store.schema import JobState

GUILD, CHANNEL, DM = 800, 700, 555
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _job(**changes: object) -> JobRecord:
    values: dict[str, object] = {
        "id": 12, "guild_id": GUILD, "channel_id": CHANNEL, "user_id": 1, "application_id": 2,
        "interaction_id": 3, "interaction_token": None, "prompt": "a cat", "negative_prompt": None,
        "options": JobOptions(), "seed": 7, "model": "wan", "max_bytes": 10, "state": JobState.DELIVERED,
        "attempts": 1, "worker_id": "w", "created_at": NOW, "started_at": NOW, "finished_at": NOW,
        "delivery_started_at": NOW, "error": None, "status_message_id": None, "result_message_id": 99,
        "result_channel_id": CHANNEL,
    }  # fmt: skip
    values.update(changes)
    return JobRecord(**values)  # type: ignore[arg-type]


def test_a_clip_links_to_its_channel_or_to_the_members_direct_messages() -> None:
    assert clip_link(_job()) == f"https://discord.com/channels/{GUILD}/{CHANNEL}/99"
    assert clip_link(_job(result_channel_id=None)) == f"https://discord.com/channels/{GUILD}/{CHANNEL}/99"
    assert clip_link(_job(result_channel_id=DM)) == f"https://discord.com/channels/@me/{DM}/99"
    assert clip_link(_job(result_message_id=None, state=JobState.FAILED)) is None


def test_long_prompts_are_cut_without_breaking_an_escape_and_erased_ones_say_so() -> None:
    line = history_line(_job(prompt="*" * 300))
    shown = line.split("“")[1].split("”")[0]
    assert len(shown) <= PROMPT_SHOWN and shown.endswith("…") and not shown.endswith("\\…")
    assert ERASED in history_line(_job(prompt=""))


def test_a_job_without_a_clip_says_why_and_a_reroll_names_its_parent() -> None:
    card = job_card(
        _job(result_message_id=None, state=JobState.FAILED, error="the GPU ran out", parent_job_id=4)
    )
    assert "Why it has no clip: the GPU ran out" in card and "Re-rolled from job #4" in card
    assert "Clip:" not in card


def test_history_and_cards_speak_the_members_language() -> None:
    card = job_card(_job(negative_prompt="dogs"), "fr")
    assert card.startswith("**Tâche n° 12** de <@1> : publiée\nDescription : « a cat »\nNégatif : « dogs »")
    assert "Graine 7 · modèle wan · faite <t:" in card and "Vidéo : https://discord.com/channels/" in card
    line = history_line(_job(prompt=""), "fr")
    assert line.startswith(f"• [Tâche n° 12](<https://discord.com/channels/{GUILD}/{CHANNEL}/99>) <t:")
    assert "(description effacée après la durée de conservation)" in line and "(graine 7, wan)" in line
