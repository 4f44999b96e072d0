"""The ``count_files`` tool: local files counted as content blocks, confined to the client's roots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final

from mcp.server.mcpserver import Context, ListRoots, Resolve
from mcp.types import CallToolResult, ListRootsResult, ToolAnnotations
from pydantic import Field

from ..core.state import AppState
from ..files.collect import roots_from_uris, working_folder_root
from ..files.count import FileCount, FileQuery
from ..files.count import count_files as count_local_files
from .result import tool_result

FILES_DESCRIPTION: Final = (
    "Count local files, folders or globs (within roots, .gitignore applied) as text, image or PDF blocks: "
    "tokens per file, total and window fit."
)
# Explicit, as directory reviews check them: files are only read, a repeat gives the same count, and their
# content is sent to the provider's counting API (open world) unless the server counts offline.
ANNOTATIONS: Final = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)


def roots_request(ctx: Context) -> ListRoots | None:
    """Ask for the client's roots only when it declares them; otherwise the configured folders are used."""
    capabilities = ctx.client_capabilities
    return ListRoots() if capabilities is not None and capabilities.roots is not None else None


async def count_files(
    paths: Annotated[list[str], Field(min_length=1)],
    model: str,
    ctx: Context[AppState, Any],
    roots: Annotated[ListRootsResult | None, Resolve(roots_request)],
    # Bounds are checked by the core, which says what to change; a schema minimum would cost context per turn.
    max_tokens: int | None = None,
    context_window: int | None = None,
) -> Annotated[CallToolResult, FileCount]:
    state = ctx.request_context.lifespan_context

    async def progress(done: int, total: int) -> None:
        await ctx.report_progress(done, total)

    query = FileQuery(
        patterns=paths,
        roots=_roots(roots, state.allowed_dirs),
        model=model,
        max_tokens=max_tokens,
        context_window=context_window,
    )
    return tool_result(await count_local_files(state, query, progress))


def _roots(listed: ListRootsResult | None, allowed_dirs: tuple[str, ...]) -> list[Path]:
    """The client's file roots when it has any, else the configured folders, else the server's working folder
    (Codex sends no roots and starts the server in the project) unless that would open every file."""
    from_client = roots_from_uris(str(root.uri) for root in listed.roots) if listed is not None else []
    configured = [Path(d).expanduser().resolve() for d in allowed_dirs]
    return from_client or configured or working_folder_root(Path.cwd(), Path.home())
