"""One server as a host config describes it: how to start or reach it, and the secrets it carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Literal

from ..redaction import MIN_SECRET_CHARS, display_url, url_secrets

Transport = Literal["stdio", "http", "sse"]


@dataclass(frozen=True, slots=True)
class ServerEntry:
    """A configured server. ``env`` and ``headers`` hold secrets: they are kept out of ``repr``, and nothing
    shows them; ``problem`` says why the entry cannot be started as written."""

    name: str
    host: str
    transport: Transport
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict[str, str], repr=False)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict[str, str], repr=False)
    problem: str | None = None

    def secrets(self) -> list[str]:
        """Every value that must not be shown: env values, header values, what the URL carries besides its host."""
        values = [*self.env.values(), *self.headers.values()]
        values += [part for value in self.headers.values() for part in value.split() if part]
        values += url_secrets(self.url or "")
        return [value for value in values if len(value) >= MIN_SECRET_CHARS]

    def target(self) -> str:
        """What the entry runs or reaches, safe to show: the program's name, or the URL with secrets masked."""
        if self.transport == "stdio":
            return PurePath(self.command or "?").name
        return display_url(self.url or "")

    def launch_key(self) -> tuple[object, ...]:
        """Entries with equal keys start the same server, so it is connected to once."""
        return (self.transport, self.command, self.args, self.cwd, self.url, tuple(sorted(self.env.items())))


def merge_duplicates(entries: Sequence[ServerEntry]) -> list[ServerEntry]:
    """One entry per server: the same launch in several configs is listed once, with every host named; two
    different servers under one name get ``-2``, ``-3`` so their tools keep distinct names."""
    by_launch: dict[tuple[object, ...], ServerEntry] = {}
    for entry in entries:
        key = entry.launch_key()
        known = by_launch.get(key)
        merged = entry if known is None else replace(known, host=f"{known.host}, {entry.host}")
        by_launch[key] = merged if known is None or entry.host not in known.host else known
    taken: dict[str, int] = {}
    unique: list[ServerEntry] = []
    for entry in by_launch.values():
        taken[entry.name] = taken.get(entry.name, 0) + 1
        unique.append(entry if taken[entry.name] == 1 else replace(entry, name=f"{entry.name}-{taken[entry.name]}"))
    return unique
