"""How many extra counts a feature (a breakdown, count_files' per-file figures) made, told apart by cost.

A count the cache answered sent no request and spent no rate-limit budget, so a note that called it an
extra call would overstate what the feature cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from .counted import Counted


@dataclass(slots=True)
class CallTally:
    """Counts sent to the API and counts the cache answered."""

    sent: int = 0
    cached: int = 0

    def record(self, counted: Counted) -> None:
        """Tally one API count."""
        if counted.cached:
            self.cached += 1
        else:
            self.sent += 1

    def note(self, what: str) -> str:
        """``what: N extra count_tokens calls``, and how many more the cache answered, if any."""
        note = f"{what}: {self.sent} extra count_tokens calls"
        return note + (f", {self.cached} more answered from the cache" if self.cached else "")
