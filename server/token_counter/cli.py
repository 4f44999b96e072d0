"""Subcommands of ``mcp-token-counter`` for scripts and people: ``count``, ``count-files``, ``models``.

Same engine as the MCP tools (the counter, the breakdown, the file reader), configured from the same
environment. Exit codes: 0 done, 1 counting failed, 2 usage or input error, 3 the files do not fit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, TextIO, cast

import anyio
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Column, Table

from .app import build_state, load_settings
from .catalog import builtin_catalog
from .errors import TokenCounterError
from .filecount import FileCount, count_files
from .request import BODY_FIELDS, Message, build_request
from .resources import catalog_document
from .results import TokenCount, wire_json
from .state import AppState
from .tools import count_request
from .upstream import make_http_client

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_NO_FIT: Final = 3

COUNT_EXAMPLE: Final = """example:
  mcp-token-counter count request.json --breakdown
  echo '{"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hi"}]}' | \\
    mcp-token-counter count - --json"""
FILES_EXAMPLE: Final = """example:
  mcp-token-counter count-files src README.md 'docs/**/*.md' --model claude-sonnet-4-6 --max-tokens 8192"""
MODELS_EXAMPLE: Final = """example:
  mcp-token-counter models --json | jq '.models[] | select(.status == "active") | .id'"""


class UsageError(Exception):
    """Bad input from the person at the terminal (exit 2)."""


def parser() -> argparse.ArgumentParser:
    """The subcommand parser; each command's ``--help`` ends with an example."""
    root = argparse.ArgumentParser(prog="mcp-token-counter", description="Count Claude tokens from the shell.")
    commands = root.add_subparsers(dest="command", required=True)
    raw = argparse.RawDescriptionHelpFormatter
    count = commands.add_parser("count", help="count a Messages API request", epilog=COUNT_EXAMPLE, formatter_class=raw)
    count.add_argument("payload", help="request JSON file, or - for stdin")
    count.add_argument("--breakdown", action="store_true", help="tokens per part (system, tools, each message)")
    files = commands.add_parser(
        "count-files", help="count local files as content blocks", epilog=FILES_EXAMPLE, formatter_class=raw
    )
    files.add_argument("paths", nargs="+", help="files, folders or glob patterns (.gitignore is respected)")
    files.add_argument("--model", default="claude-sonnet-4-6", help="model id (default: %(default)s)")
    files.add_argument("--max-tokens", type=int, default=None, help="output tokens to reserve in the fit")
    commands.add_parser("models", help="list known models", epilog=MODELS_EXAMPLE, formatter_class=raw)
    for sub in commands.choices.values():
        sub.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    return root


def run(argv: Sequence[str]) -> int:
    """Run one subcommand; returns the exit code."""
    args = parser().parse_args(argv)
    if args.command == "count-files":
        # A person at the terminal may read what they can: '..' and relative paths are resolved here,
        # before the confinement that protects MCP clients' roots sees them.
        args.paths = [os.path.abspath(p) for p in args.paths]
    # Piped output gets a wide table rather than rich's 80 columns.
    out = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)
    try:
        if args.command == "models":
            return _models(out, as_json=args.json)
        return anyio.run(_dispatch, args, out)
    except UsageError as exc:
        Console(file=sys.stderr).print(f"[red]error:[/] {exc}", highlight=False)
        return EXIT_USAGE
    except TokenCounterError as exc:
        Console(file=sys.stderr).print(f"[red]error:[/] {exc}", highlight=False)
        return EXIT_FAILED


async def _dispatch(args: argparse.Namespace, out: Console) -> int:
    async with engine() as state:
        if args.command == "count":
            result = await count_request(state, _read_request(args.payload), breakdown=args.breakdown)
            _emit(out, result, as_json=args.json, table=_count_table)
            return EXIT_OK
        counted = await _count_files(state, args)
        _emit(out, counted, as_json=args.json, table=_files_table)
        return EXIT_OK if counted.fits else EXIT_NO_FIT


@asynccontextmanager
async def engine() -> AsyncGenerator[AppState]:
    """The tools' state, built from the environment as the server's lifespan builds it."""
    settings, config_error = load_settings(os.environ)
    async with make_http_client(settings) as http:
        yield build_state(settings, http, config_error=config_error)


def _read_request(source: str) -> Any:
    """The payload as a CountRequest.

    Raises:
        UsageError: unreadable, not JSON, or not a request with a model and messages.
    """
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        payload: object = json.loads(text)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read a JSON request from {source}: {exc}") from exc
    fields = cast(dict[str, Any], payload) if isinstance(payload, dict) else {}
    if not isinstance(fields.get("model"), str):
        raise UsageError("the payload must be a JSON object with a string 'model' and a 'messages' list")
    try:
        messages = [Message.model_validate(m) for m in cast(list[Any], fields.get("messages") or [])]
    except ValidationError as exc:
        raise UsageError(f"invalid messages: {exc}") from exc
    if not messages:
        raise UsageError("the payload needs at least one message")
    return build_request(
        model=fields["model"],
        messages=messages,
        fields={name: fields.get(name) for name in BODY_FIELDS},
        betas=fields.get("betas"),
        raw_arguments=fields,
    )


async def _count_files(state: AppState, args: argparse.Namespace) -> FileCount:
    # The whole filesystem is the root; the working directory comes first so names show relative to it.
    cwd = await anyio.Path.cwd()
    roots = [Path(await cwd.resolve()), Path(cwd.anchor)]
    with _progress(sys.stderr) as report:
        return await count_files(
            args.paths,
            roots,
            model=args.model,
            max_tokens=args.max_tokens,
            counter=state.counter,
            catalog=state.catalog,
            windows=state.windows,
            progress=report,
        )


class _progress:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._bar = Progress(console=Console(file=stream), transient=True) if stream.isatty() else None
        self._task = self._bar.add_task("counting files") if self._bar else None

    def __enter__(self) -> Callable[[int, int], Any] | None:
        if self._bar is None:
            return None
        self._bar.start()
        return self._report

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    async def _report(self, done: int, total: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done, total=total)


def _emit(out: Console, result: BaseModel, *, as_json: bool, table: Callable[[Any], tuple[str, Table]]) -> None:
    if as_json:
        out.print_json(data=wire_json(result))
        return
    # The heading stays a plain line: as a table title rich would wrap it to the table's width.
    heading, body = table(result)
    out.print(heading, highlight=False)
    out.print(body)
    cost: float | None = getattr(result, "estimated_input_cost_usd", None)
    if cost is not None:
        out.print(f"estimated input cost ${cost:.6f} at list price", highlight=False)
    notes: list[str] = getattr(result, "notes", [])
    for note in notes:
        out.print(f"note: {note}", highlight=False)


def _count_table(result: TokenCount) -> tuple[str, Table]:
    table = Table("part", Column("tokens", justify="right"))
    for name, tokens in (result.breakdown or {"total": result.input_tokens}).items():
        table.add_row(name, f"{tokens:,}")
    return f"{result.model}: {result.input_tokens:,} input tokens ({result.source})", table


def _files_table(result: FileCount) -> tuple[str, Table]:
    table = Table("file", Column("tokens", justify="right"))
    for name, tokens in result.files.items():
        table.add_row(name, f"{tokens:,}")
    for name, why in result.skipped.items():
        table.add_row(f"[dim]{name}[/]", f"[dim]skipped: {why}[/]")
    verdict = "fits" if result.fits else "does NOT fit"
    return f"{result.model}: {result.input_tokens:,} tokens, {verdict} in {result.context_window:,}", table


def _models(out: Console, *, as_json: bool) -> int:
    document = catalog_document(builtin_catalog())
    if as_json:
        out.print_json(json.dumps(document))
        return EXIT_OK
    table = Table(title=f"Known models (prices as of {document['prices_as_of']})")
    for column in ("id", "window", "max output", "$ in / out per MTok", "tokenizer", "status"):
        table.add_column(column)
    for row in document["models"]:
        price = f"{row['input_usd_per_mtok']} / {row['output_usd_per_mtok']}"
        window = f"{row['context_window']:,}"
        table.add_row(row["id"], window, f"{row['max_output_tokens']:,}", price, row["tokenizer"], row["status"])
    out.print(table)
    return EXIT_OK
