"""Untrusted strings as the terminal shows them: never as rich markup, never as control sequences.

File names, server names and commands from host configs, model ids, a failing server's stderr and notes all
come from someone else. Passed to rich as strings they are parsed as markup (``[/x]`` raised MarkupError and
``[id].tsx`` showed as ``.tsx``); written raw, an ESC sequence clears the screen or recolours it and a newline
adds a fake table row. Here each control character is written as its escape (``\\x1b``, ``\\n``), and the
result is a rich ``Text``, which rich never parses as markup.
"""

from __future__ import annotations

import re
from typing import Final

from rich.markup import escape
from rich.text import Text

# C0 and C1 controls, DEL, and the invisible marks that reorder or hide text (bidi overrides and isolates,
# line and paragraph separators), which can make a name read as another.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def clean(text: str) -> str:
    """``text`` with every control or reordering character written as its escape."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def shown(text: str, style: str = "") -> Text:
    """``text`` cleaned, as a rich ``Text`` (never parsed as markup)."""
    return Text(clean(text), style=style)


def markup_safe(text: str) -> str:
    """``text`` cleaned and escaped, for the places rich only takes as markup (a progress description)."""
    return escape(clean(text))
