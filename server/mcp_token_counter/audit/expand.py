"""Variables in host configs, expanded as the hosts expand them.

Claude Code expands ``${VAR}`` and ``${VAR:-default}`` in command, args, env, url and headers; Cursor and
VS Code write ``${env:VAR}``, VS Code also ``${workspaceFolder}`` and ``${userHome}``. VS Code's
``${input:id}`` is a value the editor asks the user for, so it cannot be known here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_VARIABLE: Final = re.compile(r"\$\{(?P<body>[^}]*)\}")


class NeedsInput(Exception):
    """The value holds a variable only the host can supply (VS Code's ``${input:…}``)."""

    def __init__(self, variable: str) -> None:
        super().__init__(f"${{{variable}}} is asked of the user by the host when it starts the server")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Expander:
    """Expands variables from ``environ``, ``workspace`` (the project folder) and ``home``."""

    environ: Mapping[str, str]
    workspace: str
    home: str

    def __call__(self, value: str) -> str:
        """``value`` with every variable replaced; an unset one becomes its default or nothing.

        Raises:
            NeedsInput: the value holds ``${input:…}``.
        """
        return _VARIABLE.sub(lambda match: self._one(match["body"]), value)

    def variables_in(self, value: str) -> list[str]:
        """The values ``value``'s environment variables expand to: secrets whatever their length (a token
        passed as ``--token ${GH_TOKEN}`` reaches the server's arguments, and may come back in its errors)."""
        found: list[str] = []
        for match in _VARIABLE.finditer(value):
            body = match["body"]
            if not body.startswith("input:") and body not in ("workspaceFolder", "workspaceRoot", "userHome"):
                name = body.removeprefix("env:").partition(":-")[0]
                found += [self.environ[name]] if self.environ.get(name) else []
        return found

    def _one(self, body: str) -> str:
        if body.startswith("input:"):
            raise NeedsInput(body)
        if body in ("workspaceFolder", "workspaceRoot"):
            return self.workspace
        if body == "userHome":
            return self.home
        name, _, default = body.removeprefix("env:").partition(":-")
        return self.environ.get(name) or default
