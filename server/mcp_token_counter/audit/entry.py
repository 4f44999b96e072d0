"""One server as a host config describes it: how to start or reach it, and the secrets it carries."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Final, Literal

from ..redaction import MIN_SECRET_CHARS, display_url, url_secrets

Transport = Literal["stdio", "http", "sse"]
# A flag whose value is a credential: --token, --api-key, --client-secret, --password, --auth, -p is not one.
_SECRET_FLAG: Final = re.compile(
    r"--?[A-Za-z0-9_-]*(token|key|secret|passw(or)?d|pwd|auth|credential)[A-Za-z0-9_-]*", re.I
)


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
    # What ${VAR}s in the command, url and args expanded to.
    expanded: tuple[str, ...] = field(default=(), repr=False)

    def secrets(self) -> list[str]:
        """Every value that must not be shown: env and header values of ``MIN_SECRET_CHARS`` or more, and,
        whatever their length (``Redactor`` masks a short one only as a whole word), what a URL carries
        besides its host (in the url or in an argument), expanded variables, and secret-looking flags' values."""
        values = [*self.env.values(), *self.headers.values()]
        values += [part for value in self.headers.values() for part in value.split() if part]
        long = [value for value in values if len(value) >= MIN_SECRET_CHARS]
        explicit = [*url_secrets(self.url or ""), *self.expanded, *flag_secrets(self.args)]
        explicit += [secret for arg in self.args if "://" in arg for secret in url_secrets(arg)]
        return [*long, *(value for value in explicit if value)]

    def target(self) -> str:
        """What the entry runs or reaches, safe to show: the program's name, or the URL with secrets masked."""
        if self.transport == "stdio":
            return PurePath(self.command or "?").name
        return display_url(self.url or "")

    def launch_key(self) -> tuple[object, ...]:
        """Entries with equal keys start the same server, so it is connected to once."""
        return (self.transport, self.command, self.args, self.cwd, self.url, tuple(sorted(self.env.items())))


def flag_secrets(args: Sequence[str]) -> list[str]:
    """The values of secret-looking flags: ``--token X``, ``--api-key=X``, ``--password X`` and the like."""
    found: list[str] = []
    for index, arg in enumerate(args):
        flag, equals, value = arg.partition("=")
        if not _SECRET_FLAG.fullmatch(flag):
            continue
        if equals:
            found.append(value)
        elif index + 1 < len(args) and not args[index + 1].startswith("-"):
            found.append(args[index + 1])
    return found


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
