"""``mcp-token-counter audit``: what the MCP servers in the user's host configs cost in context, per tool.

The subcommand's parser, its run, and the table. Exit codes: 0 done, 1 counting failed, 2 usage (no config),
3 the total is over ``--budget``.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import anyio
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Column, Table
from rich.text import Text

from ..audit.configs import ConfigUnreadable, read_config
from ..audit.discover import Places, found_configs
from ..audit.entry import ServerEntry
from ..audit.expand import Expander
from ..audit.report import AuditReport
from ..audit.run import DEFAULT_PARALLEL, DEFAULT_TIMEOUT_S, AuditOptions, audit
from ..catalog import Catalog
from ..core.results import wire_json
from ..core.state import AppState
from .shown import markup_safe, shown

EXIT_OVER_BUDGET: Final = 3
# 128 + SIGTERM, as a shell reports a process the signal ended.
EXIT_TERMINATED: Final = 143


class NoConfig(Exception):
    """No config to audit: none found, or a --config file that cannot be read."""


@dataclass(frozen=True, slots=True)
class AuditArgs:
    """The audit command's options, as the parser read them."""

    configs: tuple[Path, ...] = ()
    model: str | None = None
    budget: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    parallel: int = DEFAULT_PARALLEL


def current_sonnet(catalog: Catalog) -> str:
    """The first active Sonnet of the model table, which lists the newest first."""
    return next(spec.id for spec in catalog.models if "-sonnet-" in spec.id and spec.status == "active")


def entries_for(configs: list[Path] | None, places: Places) -> list[ServerEntry]:
    """The servers of the ``--config`` files, or of every host config found.

    Raises:
        NoConfig: none found, or a file cannot be read.
    """
    sources = [(f"config {path}", path) for path in configs] if configs else found_configs(places)
    if not sources:
        raise NoConfig("no MCP host config found here; pass one with --config FILE")
    expand = Expander(places.environ, str(places.cwd), str(places.home))
    try:
        return [entry for host, path in sources for entry in read_config(path, host, expand)]
    except ConfigUnreadable as exc:
        raise NoConfig(f"cannot read {exc}") from exc


async def run_audit(args: AuditArgs, out: Console, state: AppState, *, as_json: bool) -> int:
    """Run the audit from parsed ``args`` with the CLI's ``state``; returns the exit code.

    Raises:
        NoConfig: nothing to audit.
        TokenCounterError: counting failed.
    """
    places = Places(home=Path.home(), cwd=Path.cwd(), environ=os.environ)
    entries = entries_for(list(args.configs) or None, places)
    model = args.model or current_sonnet(state.catalog)
    options = AuditOptions(model=model, timeout_s=args.timeout_s, parallel=args.parallel, budget=args.budget)
    with _Progress(len(entries)) as progress:
        report = await _unless_terminated(audit(state, entries, options, progress.advance))
    if report is None:
        return EXIT_TERMINATED
    show(out, report, as_json=as_json)
    return EXIT_OVER_BUDGET if report.over_budget else 0


async def _unless_terminated[T](work: Awaitable[T]) -> T | None:
    """``work``'s result, or None once SIGTERM (a cancelled CI job) arrives: the work is cancelled, so the stdio
    servers it started are ended as the SDK's client ends them, as on Ctrl-C, rather than left running."""
    done: list[T] = []
    async with anyio.create_task_group() as group:

        async def run() -> None:
            done.append(await work)
            group.cancel_scope.cancel()

        async def watch() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                async for _ in signals:
                    group.cancel_scope.cancel()
                    return

        group.start_soon(watch)
        group.start_soon(run)
    return done[0] if done else None


def show(out: Console, report: AuditReport, *, as_json: bool) -> None:
    """The report as JSON, or as a table followed by the overhead, the total and notes."""
    if as_json:
        out.print_json(data=wire_json(report))
        return
    out.print(audit_table(report))
    share = (
        f" = {report.share:.2%} of {report.model}'s {report.context_window:,} window"
        if report.share is not None and report.context_window
        else f" for {report.model}"
    )
    out.print(
        shown(
            f"tool-use overhead (once): {report.overhead:,}  total: {report.total:,} tokens{share} "
            f"({report.source or 'nothing counted'})"
        ),
        highlight=False,
    )
    if report.budget is not None:
        verdict = "OVER" if report.over_budget else "within"
        out.print(f"budget {report.budget:,}: {verdict}", highlight=False)
    for note in report.notes:
        out.print(shown(f"note: {note}"), highlight=False)


def audit_table(report: AuditReport) -> Table:
    """Servers by cost, each followed by its tools by cost; failures with their reasons."""
    table = Table("server / tool", "host", Column("tokens", justify="right"), "status")
    for row in report.servers:
        status = row.status if row.reason is None else f"{row.status}: {row.reason}"
        where = Text.assemble(shown(row.name, "bold"), shown(f" ({row.transport} {row.target})"))
        table.add_row(where, shown(row.host), f"{row.tokens:,}", shown(status))
        for tool in row.tools:
            table.add_row(shown(f"  {tool.name}"), "", f"{tool.tokens:,}", "")
    return table


class _Progress:
    """A progress bar on stderr while servers are connected, when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        tty = sys.stderr.isatty()
        self._bar = Progress(console=Console(file=sys.stderr), transient=True) if tty else None
        self._task: TaskID | None = self._bar.add_task("listing servers' tools", total=total) if self._bar else None

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    async def advance(self, entry: ServerEntry) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1, description=f"listed {markup_safe(entry.name)}")
        await anyio.lowlevel.checkpoint()
