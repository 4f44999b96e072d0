"""The window as one line of coloured cells for the CLI, in the spirit of Claude Code's ``/context``.

Colour comes from rich, which leaves it out when stdout is not a terminal or ``NO_COLOR`` is set; the cells
differ in shape too (input, reserved, free, over), so the line still reads without colour.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from rich.text import Text

from ..catalog import Catalog
from ..core.results import ContextFit, TokenCount
from ..files.count import FileCount

CELLS: Final = 40
_MEDIA: Final = re.compile(r"^messages\[\d+\]\.content\[\d+\]$")
_STYLES: Final = {
    "system": ("█", "magenta"),
    "tools": ("█", "yellow"),
    "messages": ("█", "blue"),
    "files": ("█", "blue"),
    "media": ("█", "cyan"),
    "input": ("█", "blue"),
    "other": ("█", "white"),
    "reserved": ("▒", "bright_black"),
    "free": ("░", "bright_black"),
    "over": ("▓", "bold red"),
}


@dataclass(frozen=True, slots=True)
class Window:
    """The numbers the bar draws: input parts in order, the output reserved and the window."""

    parts: Sequence[tuple[str, int]]
    reserved: int
    window: int | None


def window_of(result: TokenCount | FileCount, catalog: Catalog) -> Window:
    """The parts of ``result`` against its window (from the table for a count, which names none)."""
    if isinstance(result, FileCount):
        files = sum(result.files.values())
        parts = [("files", files), ("other", max(0, result.input_tokens - files))]
        reserved = result.context_window - result.input_tokens - result.remaining_tokens
        return Window(parts, max(0, reserved), result.context_window)
    parts = _parts(result.breakdown) if result.breakdown else [("input", result.input_tokens)]
    if isinstance(result, ContextFit):
        return Window(parts, result.reserved_output_tokens, result.context_window)
    spec = catalog.lookup(result.model)
    return Window(parts, 0, spec.context_window if spec else None)


def _parts(breakdown: dict[str, int]) -> list[tuple[str, int]]:
    sums = dict.fromkeys(("system", "tools", "messages", "media", "other"), 0)
    for name, tokens in breakdown.items():
        if name in ("system", "tools"):
            sums[name] += tokens
        elif _MEDIA.match(name):
            sums["media"] += tokens
        elif name.startswith("messages["):
            sums["messages"] += tokens
        else:
            sums["other"] += tokens
    return [(kind, tokens) for kind, tokens in sums.items() if tokens]


def bar_line(window: Window, cells: int = CELLS) -> Text:
    """``[cells] input + reserved of window (share)``, the part past the window in red."""
    used = sum(tokens for _, tokens in window.parts)
    if window.window is None:
        return Text(f"{used:,} input tokens (no window known for this model)")
    demand = used + window.reserved
    scale = max(window.window, demand)
    kinds = [*window.parts, ("reserved", window.reserved), ("free", max(0, window.window - demand))]
    line = Text()
    for kind, count in zip([k for k, _ in kinds], _cells([t for _, t in kinds], scale, cells), strict=True):
        glyph, style = _STYLES[kind]
        line.append(glyph * count, style=style)
    _mark_over(line, window.window, scale, cells)
    line.append(f" {_summary(used, window.reserved, window.window)}")
    return line


def _mark_over(line: Text, window: int, scale: int, cells: int) -> None:
    """Redraw the cells past the window's edge as overflow."""
    edge = round(cells * window / scale)
    if edge < cells:
        glyph, style = _STYLES["over"]
        line.right_crop(cells - edge)
        line.append(glyph * (cells - edge), style=style)


def _summary(used: int, reserved: int, window: int) -> str:
    reserve = f" + {reserved:,} reserved" if reserved else ""
    over = used + reserved - window
    verdict = f", over by {over:,}" if over > 0 else ""
    return f"{used:,}{reserve} of {window:,} ({(used + reserved) / window:.1%}){verdict}"


def _cells(tokens: Sequence[int], scale: int, cells: int) -> list[int]:
    """Cells per part, summing to ``cells`` (largest remainders), at least one for any part above zero."""
    exact = [cells * t / scale for t in tokens]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(tokens)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: cells - sum(counts)]:
        counts[i] += 1
    for i, t in enumerate(tokens):
        if t > 0 and counts[i] == 0:
            largest = max(range(len(counts)), key=counts.__getitem__)
            counts[largest] -= 1
            counts[i] = 1
    return counts
