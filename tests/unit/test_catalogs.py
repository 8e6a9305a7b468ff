"""The message catalogs: every language holds every message, with the same placeholders; every message
the code asks for, and every command string Discord shows, is in them."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from discord import app_commands

from bot.discord_app.delivery import ROUTE_PLACES
from bot.discord_app.history_commands import _STATES, HistoryCommands
from bot.discord_app.job_buttons import _LOOKS
from bot.discord_app.job_commands import JobCommands
from bot.discord_app.job_modals import MAX_LABEL, extend_form, remix_form
from bot.discord_app.moderation_commands import _LABELS, AUDIT_ACTIONS, AUDIT_DETAILS, ModerationGroup
from bot.discord_app.refusals import _PERIODS
from bot.discord_app.video_command import NEEDED_PERMISSIONS, VideoCommand
from bot.i18n import SOURCE, catalogs, tr
from bot.model_catalog import ModelCatalog
from generation.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]
# Calls whose first string argument (or the one after a locale) is a message id.
TRANSLATED = {
    "tr",
    "say",
    "InvalidRequestError",
    "ModelChoiceError",
    "LocalizedError",
    "ImageRefusedError",
    "ImageRejectedError",  # generation's image refusals, which the bot shows in the member's language
    "RenderInputError",  # what generation cannot render, shown in the member's language
}
# Discord's rule for command, option and choice names (lowercase where a script has case).
NAME = re.compile(r"^[-_\w]{1,32}$")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_language_holds_every_message_with_the_same_placeholders() -> None:
    source = catalogs()[SOURCE]
    assert len(catalogs()) >= 2
    for code, messages in catalogs().items():
        assert set(messages) == set(source), f"{code}.po differs from {SOURCE}.po"
        for message, translated in messages.items():
            assert placeholders(translated) == placeholders(message), (code, message)


class _Element(ast.expr):
    """The ``index``-th item of the tuples ``source`` holds: what ``a, b = source`` gives ``b``."""

    def __init__(self, source: ast.expr, index: int) -> None:
        super().__init__()
        self.source, self.index = source, index


def _items(node: ast.expr, index: int, assigned: dict[str, list[ast.expr]], depth: int) -> list[ast.expr]:
    """The ``index``-th element of each tuple ``node`` can be (directly, in a dict's values, or by name)."""
    if isinstance(node, ast.Tuple | ast.List):
        return [node.elts[index]] if index < len(node.elts) else []
    if isinstance(node, ast.Dict):
        return [
            item
            for value in node.values
            if value is not None
            for item in _items(value, index, assigned, depth)
        ]
    if isinstance(node, ast.Subscript):
        return _items(node.value, index, assigned, depth)
    if isinstance(node, ast.IfExp):
        return _items(node.body, index, assigned, depth) + _items(node.orelse, index, assigned, depth)
    if isinstance(node, ast.Name) and depth < 3:
        return [
            item for value in assigned.get(node.id, []) for item in _items(value, index, assigned, depth + 1)
        ]
    return []


def _literals(node: ast.expr, assigned: dict[str, list[ast.expr]], depth: int = 0) -> list[str]:
    """The strings ``node`` can be: a literal, either branch of a conditional, a dict's values, or what a
    name was assigned in the module."""

    def more(child: ast.expr, deeper: int = 0) -> list[str]:
        return _literals(child, assigned, depth + deeper)

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, _Element):
        return [text for item in _items(node.source, node.index, assigned, depth) for text in more(item)]
    if isinstance(node, ast.IfExp):
        return more(node.body) + more(node.orelse)
    if isinstance(node, ast.Tuple | ast.List):
        return [text for element in node.elts for text in more(element)]
    if isinstance(node, ast.Dict):
        return [text for value in node.values if value is not None for text in more(value)]
    if isinstance(node, ast.Subscript):
        return more(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return more(node.func.value) + [text for arg in node.args[1:] for text in more(arg)]
    if isinstance(node, ast.Name) and depth < 3:
        return [text for value in assigned.get(node.id, []) for text in more(value, 1)]
    return []


def _messages_in_code() -> set[str]:
    """Message ids the code passes to ``tr`` and the localized errors: literals, either branch of a
    conditional, and the values of names (or dicts) assigned in the same module."""
    found: set[str] = set()
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "generation").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
                    elif isinstance(target, ast.Tuple):  # ``a, b = pairs[key]``: ``b`` is each pair's second
                        for index, name in enumerate(target.elts):
                            if isinstance(name, ast.Name):
                                assigned.setdefault(name.id, []).append(_Element(node.value, index))
            elif isinstance(node, ast.AnnAssign) and node.value and isinstance(node.target, ast.Name):
                assigned.setdefault(node.target.id, []).append(node.value)  # ``_TABLE: dict[K, str] = {...}``

        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in TRANSLATED or not node.args:
                continue
            message = node.args[1] if name == "tr" and len(node.args) > 1 else node.args[0]
            found.update(_literals(message, assigned))
    return found


def test_every_message_the_code_asks_for_is_in_the_catalogs() -> None:
    labels = {label for label, _ in _LOOKS.values()} | {label for label, _ in _LABELS.values()}
    # Words the code looks up through a variable the scan cannot follow: listed where they are defined.
    tables = set(NEEDED_PERMISSIONS.values()) | set(_PERIODS.values()) | set(_STATES.values())
    asked = (
        _messages_in_code()
        | tables
        | labels
        | set(AUDIT_ACTIONS.values())
        | {text for fixed in AUDIT_DETAILS.values() for text in fixed.values()}
        | set(ROUTE_PLACES)
    )
    assert len(asked) > 100
    missing = sorted(asked - set(catalogs()[SOURCE]))
    assert not missing, missing


def _command_strings() -> tuple[set[str], set[str]]:
    """(names, descriptions and choices) of every command and option, as discord.py sends them."""
    catalog = ModelCatalog.of([PRESETS["wan2.1-t2v-1.3b"]], image_model=None)
    features = [
        VideoCommand(None, None, catalog, None, None, lambda: None),  # type: ignore[arg-type]
        JobCommands(None, "m", lambda job: None),  # type: ignore[arg-type]
        HistoryCommands(None),  # type: ignore[arg-type]
        ModerationGroup(None, None, None, None, catalog, None),  # type: ignore[arg-type]
    ]
    names: set[str] = set()
    descriptions: set[str] = set()

    def walk(command: app_commands.Command | app_commands.Group) -> None:  # type: ignore[type-arg]
        names.add(command.name)
        descriptions.add(command.description)
        if isinstance(command, app_commands.Group):
            for child in command.commands:
                walk(child)
            return
        for parameter in command.parameters:
            names.add(parameter.name)
            descriptions.add(parameter.description)
            descriptions.update(choice.name for choice in parameter.choices)  # free text, up to 100

    for feature in features:
        for command in feature.get_app_commands() if hasattr(feature, "get_app_commands") else [feature]:
            walk(command)
    return names, descriptions


@pytest.mark.parametrize("code", sorted(set(catalogs()) - {SOURCE}))
def test_every_command_string_is_translated_within_discords_rules(code: str) -> None:
    names, descriptions = _command_strings()
    messages = catalogs()[code]
    assert not sorted((names | descriptions) - set(messages))
    for name in names:
        local = messages[name]
        assert NAME.match(local) and local == local.lower(), (code, name, local)
    for description in descriptions:
        assert 1 <= len(messages[description]) <= 100, (code, description)


def test_a_message_is_english_without_a_catalog_and_french_with_one() -> None:
    message = "The seed must be a whole number from 0 to {max}."
    assert tr("fr", message, max=7) == "La graine doit être un nombre entier de 0 à 7."
    assert tr("en-US", message, max=7) == tr("ja", message, max=7) == tr(None, message, max=7)
    assert tr("ja", message, max=7) == "The seed must be a whole number from 0 to 7."


@pytest.mark.parametrize("code", sorted(catalogs()))
def test_forms_fit_discords_limits_in_every_language(code: str) -> None:
    forms = [
        remix_form(1, "a cat", None, 7, story=False, locale=code),
        remix_form(1, "a|b", "dogs", 7, story=True, locale=code),
        extend_form(1, "a cat", code),
    ]
    for form in forms:
        sent = form.to_dict()  # what Discord is sent
        labels = [item["label"] for row in sent["components"] for item in row["components"]]
        assert all(1 <= len(text) <= MAX_LABEL for text in [sent["title"], *labels]), (code, sent)
    if code != SOURCE:
        assert forms[0].to_dict()["title"] != remix_form(1, "a cat", None, 7, story=False).to_dict()["title"]


def _audit_actions_recorded() -> set[str]:
    """The action of every ``Audit(guild, moderator, action, ...)`` the code builds."""
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Audit":
                action = node.args[2]
                assert isinstance(action, ast.Constant), f"{path}: an audit action must be a literal"
                found.add(action.value)
    return found


def test_every_recorded_audit_action_has_its_own_message() -> None:
    recorded = _audit_actions_recorded()
    assert {"ban", "clip deleted", "channel allowed", "limits set"} <= recorded
    assert recorded == set(AUDIT_ACTIONS)
    names, _ = _command_strings()
    # A command's name is a verb in another language ("ban" → "bannir"); an entry names what was done.
    assert not set(AUDIT_ACTIONS.values()) & names


@pytest.mark.parametrize(
    ("action", "details", "french"),
    [
        ("ban", "spam", "bannissement <@5> : spam"),
        ("watermark", "on", "badge modifié : badge affiché"),
        ("language", "the server's own", "langue des publications modifiée : la langue du serveur"),
        ("blocklist add", "on", "terme bloqué : on"),  # a blocked term is shown as typed
    ],
)
def test_an_audit_entry_reads_in_the_readers_language(action: str, details: str, french: str) -> None:
    from datetime import UTC, datetime

    from bot.discord_app.moderation_commands import audit_line
    from bot.store.moderation import AuditRecord

    target = 5 if action == "ban" else None
    entry = AuditRecord(moderator_id=4, action=action, target_user_id=target, details=details,
                        created_at=datetime(2026, 12, 4, tzinfo=UTC))  # fmt: skip
    assert audit_line(entry, "fr").endswith(french)
    assert action in audit_line(entry, "en-US") or AUDIT_ACTIONS[action] in audit_line(entry, "en-US")


def test_a_language_is_named_as_a_sentence_in_the_readers_language_names_it() -> None:
    from bot.discord_app.settings_commands import LANGUAGES, language_name

    assert (language_name("fr", "fr"), language_name("en", "fr")) == ("français", "anglais")
    assert (language_name("fr", "en-US"), language_name("fr", "ja")) == ("French", "French")
    assert dict(LANGUAGES)["fr"] == "Français"  # in the list, each language by its own name
