"""An error whose message is meant for the person who made the request, and the short description of any
error that a log line or an owner's report carries."""

from __future__ import annotations


class ExplainedError(ValueError):
    """The message says, politely, what is wrong with the request.

    ``template`` and ``values`` are the message before its ``{placeholders}`` are filled, for an
    application that shows it in another language; ``str()`` is the English text."""

    def __init__(self, template: str, /, **values: object) -> None:
        super().__init__(template.format_map(values))
        self.template = template
        self.values = values


def first_line(exc: BaseException) -> str:
    """A short, parameter-free description for a log line: the type and the first line of the message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__
