import re

from hypothesis import given
from hypothesis import strategies as st

from bot.discord_app.safe_text import only_user, quote_user_text

# What a member might type to ping people or restyle the bot's message.
HOSTILE = st.sampled_from(
    [
        "@everyone",
        "@here",
        "<@123456789012345678>",
        "<@!123456789012345678>",
        "<@&123456789012345678>",
        "<#123456789012345678>",
        "**",
        "__",
        "~~",
        "||",
        "`",
        "```",
        "> ",
        "# ",
        "-# ",
        "1. ",
        "- ",
        "[link](https://example.com)",
        "\\",
        "\n",
        " ",
        "cat",
    ]
)
PROMPTS = st.lists(HOSTILE | st.text(max_size=5), max_size=25).map("".join)

MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d|<#\d")


def _unescaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 0


@given(PROMPTS)
def test_echoed_prompt_can_neither_mention_nor_format(prompt: str) -> None:
    quoted = quote_user_text(prompt)
    assert MENTION.search(quoted) is None
    assert "\n" not in quoted
    for i, ch in enumerate(quoted):
        if ch in "*_~|`[]()<>#:":
            assert not _unescaped(quoted, i), f"unescaped {ch!r} at {i} in {quoted!r}"
    # A trailing lone backslash would escape whatever the message puts after the prompt.
    assert _unescaped(quoted, len(quoted))
    # Block syntax: headings, quotes, bullet and numbered lists, subtext.
    assert not quoted.startswith(("#", ">", "-", "+", "*"))
    assert re.match(r"\d+[.)]", quoted) is None


def test_mention_policy_allows_only_the_requester() -> None:
    allowed = only_user(42).to_dict()
    assert allowed["parse"] == []
    assert allowed["users"] == [42]
    assert not allowed.get("roles")
    assert not allowed.get("replied_user")


def test_plain_prompt_reads_naturally() -> None:
    assert quote_user_text("a cat eating spaghetti") == "a cat eating spaghetti"


@given(st.text(alphabet="\\*a", min_size=1900, max_size=2000))
def test_long_text_is_cut_without_a_dangling_escape(text: str) -> None:
    quoted = quote_user_text(text)
    assert len(quoted) <= 1800
    body = quoted.removesuffix("…")
    assert _unescaped(body, len(body))
