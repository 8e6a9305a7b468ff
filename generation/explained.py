"""An error whose message is meant for the person who made the request."""

from __future__ import annotations


class ExplainedError(ValueError):
    """The message says, politely, what is wrong with the request.

    ``template`` and ``values`` are the message before its ``{placeholders}`` are filled, for an
    application that shows it in another language; ``str()`` is the English text."""

    def __init__(self, template: str, /, **values: object) -> None:
        super().__init__(template.format_map(values))
        self.template = template
        self.values = values
