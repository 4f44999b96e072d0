"""What the subcommands do: ``count``, ``fit``, ``cache``, ``count-files``, ``models`` and ``audit``, over the core.

The CLI door: ``core.operations`` and ``files.count``, with state built from the same environment as the
server's. Exit codes: 0 done, 1 counting failed, 2 usage or input error, 3 the request or files do not fit, or a
cache breakpoint will not be cached.
Messages go to stderr in one unwrapped line each, whatever the terminal (or none) is.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import anyio
import click
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console

from ..catalog import builtin_catalog, catalog_document
from ..config import MAX_REQUEST_BODY_BYTES, load_settings
from ..core import operations
from ..core.cache_check import check_cache
from ..core.request import BODY_FIELDS, BodyFields, CountRequest, Message, build_request
from ..core.state import AppState, build_state
from ..errors import NoMatch, PathNotFound, TokenCounterError
from ..files.count import FileQuery
from ..files.count import count_files as count_local_files
from ..logs import configure_logging
from ..redaction import protect_logs
from ..upstream.http import make_http_client
from ..validation import describe
from .flags import GlobalFlags
from .page import write_page
from .progress import FilesProgress
from .render import cache_view, count_view, emit, files_view, fit_view, models_table
from .shown import clean

if TYPE_CHECKING:
    from .audit import AuditArgs

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_NO_FIT: Final = 3
WIDE: Final = 160  # piped output gets a wide table rather than rich's 80 columns

_MESSAGES: Final = TypeAdapter(list[Message])
_BODY: Final = TypeAdapter(BodyFields)
_BETAS: Final = TypeAdapter(list[str] | None)


class UsageError(Exception):
    """Bad input from the person at the terminal (exit 2)."""


def count(payload: str, *, breakdown: bool, html: str | None, flags: GlobalFlags) -> int:
    """``count``: the request's input tokens; ``html`` also writes the context-window view as a page."""

    async def work(state: AppState, out: Console) -> int:
        request = request_from(read_payload(payload), payload)
        result = await operations.count(state, request, breakdown=breakdown)
        emit(out, result, as_json=flags.as_json, view=count_view)
        _page(html, "count_tokens", request.body, result)
        return EXIT_OK

    return _run(work, flags)


def fit(
    payload: str,
    *,
    max_tokens: int | None,
    context_window: int | None,
    breakdown: bool,
    html: str | None,
    flags: GlobalFlags,
) -> int:
    """``fit``: whether the request fits, as ``check_context_fit`` says; exit 3 when it does not."""

    async def work(state: AppState, out: Console) -> int:
        fields = read_payload(payload)
        request = request_from(fields, payload, for_fit=True)
        reserve = max_tokens if max_tokens is not None else _own_max_tokens(fields, payload)
        result = await operations.fit(
            state, request, max_tokens=reserve, context_window=context_window, breakdown=breakdown
        )
        emit(out, result, as_json=flags.as_json, view=fit_view)
        _page(html, "check_context_fit", request.body, result)
        return EXIT_OK if result.fits else EXIT_NO_FIT

    return _run(work, flags)


def cache(payload: str, *, previous: str | None, repeats: int | None, html: str | None, flags: GlobalFlags) -> int:
    """``cache``: every breakpoint as ``check_prompt_cache`` sees it; exit 3 when one will not be cached."""

    async def work(state: AppState, out: Console) -> int:
        request = request_from(read_payload(payload), payload)
        before = read_payload(previous) if previous is not None else None
        result = await check_cache(state, request, previous=before, repeats=repeats)
        emit(out, result, as_json=flags.as_json, view=cache_view)
        _page(html, "check_prompt_cache", request.body, result)
        return EXIT_OK if all(point.cached for point in result.breakpoints) else EXIT_NO_FIT

    return _run(work, flags)


def count_files(
    paths: Sequence[str],
    *,
    model: str,
    max_tokens: int | None,
    context_window: int | None,
    html: str | None,
    flags: GlobalFlags,
) -> int:
    """``count-files``: local files as content blocks; exit 3 when they do not fit."""
    # A person at the terminal may read what they can: '..' and relative paths are resolved here,
    # before the confinement that protects MCP clients' roots sees them.
    patterns = {os.path.abspath(p): p for p in paths}  # resolved -> as typed, for messages

    async def work(state: AppState, out: Console) -> int:
        cwd = Path(await (await anyio.Path.cwd()).resolve())
        # The whole filesystem is the root; the working directory comes first so names show relative to it.
        query = FileQuery(
            patterns=list(patterns),
            roots=[cwd, Path(cwd.anchor)],
            model=model,
            max_tokens=max_tokens,
            context_window=context_window,
            window_argument="--context-window",
        )
        try:
            with FilesProgress(sys.stderr) as bar:
                result = await count_local_files(state, query, bar.counting, bar.collecting)
        except (PathNotFound, NoMatch) as exc:
            raise UsageError(_path_message(exc, patterns.get(exc.pattern, exc.pattern))) from exc
        emit(out, result, as_json=flags.as_json, view=files_view)
        _page(html, "count_files", {}, result)
        return EXIT_OK if result.fits else EXIT_NO_FIT

    return _run(work, flags)


def models(*, flags: GlobalFlags) -> int:
    """``models``: the built-in table."""
    document = catalog_document(builtin_catalog())
    out = _stdout()
    if flags.as_json:
        out.print_json(json.dumps(document))
    else:
        out.print(models_table(document))
    return EXIT_OK


def _run(work: Callable[[AppState, Console], Awaitable[int]], flags: GlobalFlags) -> int:
    """Run ``work`` with the tools' state; errors become one line on stderr and an exit code."""
    configure_logging(flags.verbose)

    async def main() -> int:
        async with engine() as state:
            return await work(state, _stdout())

    try:
        return anyio.run(main)
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except TokenCounterError as exc:
        return _fail(str(exc), EXIT_FAILED)


def audit(options: AuditArgs, *, flags: GlobalFlags) -> int:
    """``audit``: what the MCP servers of the host configs cost in context, per tool."""
    # The audit is the one command that needs the MCP SDK (its Client); the others start without it.
    from . import audit as audit_cli

    async def work(state: AppState, out: Console) -> int:
        try:
            return await audit_cli.run_audit(options, out, state, as_json=flags.as_json)
        except audit_cli.NoConfig as exc:
            raise UsageError(str(exc)) from exc

    return _run(work, flags)


def _page(html: str | None, tool: str, body: dict[str, Any], result: BaseModel) -> None:
    """Write the context-window view of ``result`` to ``html``, when asked.

    Raises:
        UsageError: the file cannot be written.
    """
    if html is None:
        return
    try:
        write_page(html, tool, body, result)
    except OSError as exc:
        raise UsageError(f"cannot write {html}: {exc.strerror or exc}") from exc


def _path_message(exc: PathNotFound | NoMatch, typed: str) -> str:
    if isinstance(exc, PathNotFound):
        return f"no such file or folder: {typed} (relative paths start from the current folder)"
    return f"the pattern {typed} matches no file (folders, and files .gitignore excludes, do not count)"


def _fail(message: str, code: int) -> int:
    # click.echo never wraps: a message stays one line for grep, logs and narrow terminals alike.
    click.echo(f"error: {clean(message)}", err=True)
    return code


def _stdout() -> Console:
    return Console(file=sys.stdout, width=None if sys.stdout.isatty() else WIDE)


@asynccontextmanager
async def engine() -> AsyncGenerator[AppState]:
    """The tools' state, built from the environment as the server's lifespan builds it."""
    settings, config_error = load_settings(os.environ)
    protect_logs(settings.secrets)
    async with make_http_client(settings) as http:
        state = build_state(settings, http, config_error=config_error)
        try:
            yield state
        finally:
            await state.aclose()


def read_payload(source: str) -> dict[str, Any]:
    """The payload's top-level object.

    Raises:
        UsageError: unreadable, not JSON, or not an object.
    """
    try:
        payload: object = json.loads(_read_bounded(source))
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {source}") from exc
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read a JSON request from {source}: {exc}") from exc
    if not isinstance(payload, dict):
        raise UsageError(
            f"{'stdin' if source == '-' else source}: the request must be a JSON object with 'model' and 'messages'"
        )
    return cast(dict[str, Any], payload)


def request_from(fields: dict[str, Any], source: str, *, for_fit: bool = False) -> CountRequest:
    """The payload as a CountRequest, validated as the tools validate their arguments.

    Raises:
        UsageError: not a valid request; the message names the field, what was wrong and what to send.
    """
    source = "stdin" if source == "-" else source
    if not isinstance(fields.get("model"), str):
        raise UsageError(f"{source}: the request needs a string 'model' and a 'messages' list")
    try:
        messages = _MESSAGES.validate_python(fields.get("messages"))
    except ValidationError as exc:
        raise UsageError(f"{source}: {describe(exc, prefix='messages')}") from exc
    if not messages:
        raise UsageError(f"{source}: the request needs at least one message")
    try:
        body = _BODY.validate_python({name: fields.get(name) for name in BODY_FIELDS})
        betas = _BETAS.validate_python(fields.get("betas"))
    except ValidationError as exc:
        raise UsageError(f"{source}: {describe(exc, prefix='betas' if exc.title.startswith('list') else '')}") from exc
    try:
        return build_request(
            model=fields["model"],
            messages=messages,
            body_fields=body,
            betas=betas,
            raw_arguments=fields,
            used_locally=("max_tokens",) if for_fit else (),
        )
    except TokenCounterError as exc:  # a model id, thinking budget or beta the request itself gets wrong
        raise UsageError(f"{source}: {exc}") from exc


def _own_max_tokens(fields: dict[str, Any], source: str) -> int | None:
    """The payload's own max_tokens, the output ``fit`` reserves unless --max-tokens says otherwise.

    Raises:
        UsageError: it is there but not a whole number.
    """
    value = fields.get("max_tokens")
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise UsageError(f"{source}: max_tokens must be a whole number of tokens, or left out")


def _read_bounded(source: str) -> bytes:
    """The payload's bytes, refused while reading once past the request limit (``/dev/zero`` never ends).

    Raises:
        UsageError: the payload is larger than a request the server would take.
        OSError: it cannot be read.
    """
    if source == "-":
        data = sys.stdin.buffer.read(MAX_REQUEST_BODY_BYTES + 1)
    else:
        with Path(source).open("rb") as handle:
            data = handle.read(MAX_REQUEST_BODY_BYTES + 1)
    if len(data) > MAX_REQUEST_BODY_BYTES:
        raise UsageError(
            f"{source} holds more than {MAX_REQUEST_BODY_BYTES // (1024 * 1024)} MiB, more than any request the "
            "counting API takes; split it or shrink its images and PDFs."
        )
    return data
