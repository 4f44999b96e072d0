"""The flags every command takes, in a module of their own so ``commands`` need not import the parser
(which imports ``commands`` when one runs): the arrow points one way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GlobalFlags:
    """The flags every command takes, wherever they were given."""

    verbose: int = 0
    as_json: bool = False
