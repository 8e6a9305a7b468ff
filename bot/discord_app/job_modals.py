"""The forms a clip's buttons open (Remix, Extend), and how their answers are read back.

A form's answer comes back as its own interaction, possibly after the bot restarted, when discord.py no
longer knows the form. So the client routes every answer by the form's custom id (``videobot:<form>:<job>``)
and :func:`submitted_form` reads it from the interaction itself; :func:`send_form` does not keep the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, cast

import discord

from bot.i18n import tr
from bot.video_request import MAX_PROMPT, MAX_SEED, MAX_STORY

Form = Literal["remix", "extend"]
_FORM_ID = re.compile(r"videobot:(?P<form>remix|extend):(?P<job_id>[0-9]+)")


@dataclass(frozen=True)
class FormAnswer:
    form: Form
    job_id: int
    values: dict[str, str]


# Discord's limit on a form's title and on an input's label, in any language.
MAX_LABEL = 45


def remix_form(
    job_id: int, prompt: str, negative: str | None, seed: int, story: bool, locale: object = None
) -> discord.ui.Modal:
    """The Remix form in ``locale``, prefilled with the clip's prompt (a story's shots, separated by |),
    negative prompt and seed."""
    title = tr(locale, "Remix this clip")
    form = discord.ui.Modal(title=title, custom_id=f"videobot:remix:{job_id}", timeout=None)
    form.add_item(
        discord.ui.TextInput(
            label=tr(locale, "Shots, separated by |") if story else tr(locale, "Prompt"),
            custom_id="prompt",
            style=discord.TextStyle.paragraph,
            default=prompt,
            max_length=MAX_STORY if story else MAX_PROMPT,
        )
    )
    form.add_item(
        discord.ui.TextInput(
            label=tr(locale, "Keep out of the clip (optional)"),
            custom_id="negative",
            style=discord.TextStyle.paragraph,
            default=negative,
            required=False,
            max_length=MAX_PROMPT,
        )
    )
    form.add_item(
        discord.ui.TextInput(
            label=tr(locale, "Seed (empty: a new one)"),
            custom_id="seed",
            default=str(seed),
            required=False,
            max_length=len(str(MAX_SEED)),
        )
    )
    return form


def extend_form(job_id: int, prompt: str, locale: object = None) -> discord.ui.Modal:
    """The Extend form in ``locale``: what happens next, if not more of the same."""
    title = tr(locale, "Extend this clip")
    form = discord.ui.Modal(title=title, custom_id=f"videobot:extend:{job_id}", timeout=None)
    form.add_item(
        discord.ui.TextInput(
            label=tr(locale, "What happens next (empty: more of the same)"),
            custom_id="prompt",
            style=discord.TextStyle.paragraph,
            placeholder=prompt[:100],
            required=False,
            max_length=MAX_PROMPT,
        )
    )
    return form


async def send_form(interaction: discord.Interaction, form: discord.ui.Modal) -> None:
    """Open ``form`` for the member; its answer reaches :func:`submitted_form`, not the form object."""
    await interaction.response.send_modal(form)
    form.stop()


def submitted_form(interaction: discord.Interaction) -> FormAnswer | None:
    """The answer to one of the bot's forms carried by ``interaction``, or None if it is not one."""
    if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
        return None
    match = _FORM_ID.fullmatch(str(interaction.data.get("custom_id", "")))
    if match is None:
        return None
    return FormAnswer(cast(Form, match["form"]), int(match["job_id"]), form_values(interaction.data))


def form_values(data: Any) -> dict[str, str]:
    """The text a member typed into a submitted form's inputs, by custom id."""
    values: dict[str, str] = {}
    _collect(data.get("components", []) if isinstance(data, dict) else [], values)
    return values


def _collect(components: Any, values: dict[str, str]) -> None:
    """Text inputs' values by custom id, through action rows (type 1) and labels (type 18)."""
    if not isinstance(components, list):
        return
    for component in components:
        if not isinstance(component, dict):
            continue
        if "components" in component:
            _collect(component["components"], values)
        elif "component" in component:
            _collect([component["component"]], values)
        elif isinstance(component.get("custom_id"), str) and isinstance(component.get("value"), str):
            values[component["custom_id"]] = component["value"]
