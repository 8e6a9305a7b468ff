"""The buttons on a job's messages: Cancel on its status message; Re-roll, Remix, Extend and Delete on
its clip.

A button's action and job id live in its custom id, so buttons keep working after a restart. What they do
is the client's ``job_buttons`` (see ``button_actions.py``), found when they are pressed.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Protocol, Self, cast

import discord

from bot.discord_app.error_reply import errors_answered
from bot.discord_app.job_modals import FormAnswer
from bot.i18n import tr

Action = Literal["cancel", "reroll", "remix", "extend", "delete"]
_LOOKS: dict[Action, tuple[str, str | None]] = {
    "cancel": ("Cancel", None),
    "reroll": ("Re-roll", "🎲"),
    "remix": ("Remix", "✏️"),
    "extend": ("Extend", "⏩"),
    "delete": ("Delete", "🗑️"),
}


class ButtonActions(Protocol):
    async def cancel(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def reroll(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def remix(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def extend(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def delete(self, interaction: discord.Interaction, job_id: int) -> None: ...
    async def answered(self, interaction: discord.Interaction, answer: FormAnswer) -> None: ...


class JobButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"videobot:(?P<action>cancel|reroll|remix|extend|delete):(?P<job_id>[0-9]+)",
):
    def __init__(self, action: Action, job_id: int, locale: object = None) -> None:
        label, emoji = _LOOKS[action]
        super().__init__(
            discord.ui.Button(
                label=tr(locale, label),
                emoji=emoji,
                style=discord.ButtonStyle.secondary,
                custom_id=f"videobot:{action}:{job_id}",
            )
        )
        self.action: Action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(cast(Action, match["action"]), int(match["job_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        # A button is not a command: its errors never reach the command tree's handler.
        async with errors_answered(interaction, f"{self.action} button of job {self.job_id}"):
            actions: ButtonActions | None = getattr(interaction.client, "job_buttons", None)
            if actions is None:
                raise TypeError("the client has no job buttons")
            await getattr(actions, self.action)(interaction, self.job_id)


def _view(job_id: int, locale: object, *actions: Action) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(JobButton(action, job_id, locale))
    return view


def cancel_view(job_id: int, locale: object = None) -> discord.ui.View:
    """For a job's status message while it waits or renders (labels in the channel's language)."""
    return _view(job_id, locale, "cancel")


def clip_view(job_id: int, extendable: bool = False, locale: object = None) -> discord.ui.View:
    """For a posted clip; Extend only where a model that starts from an image can continue it."""
    if extendable:
        return _view(job_id, locale, "reroll", "remix", "extend", "delete")
    return _view(job_id, locale, "reroll", "remix", "delete")
