"""The count_files tool: local files counted as content blocks, confined to the client's roots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final

from mcp.server import MCPServer
from mcp.server.mcpserver import Context, ListRoots, Resolve
from mcp.types import CallToolResult, ListRootsResult, ToolAnnotations
from pydantic import Field

from .filecount import FileCount, count_files
from .files import roots_from_uris
from .results import tool_result
from .state import AppState

FILES_DESCRIPTION: Final = (
    "Count local files, folders or globs (within roots, .gitignore applied) as text, image or PDF blocks: "
    "tokens per file, total and window fit."
)
# Reads local files only, so not open world (the spec's default is open world).
ANNOTATIONS: Final = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def roots_request(ctx: Context) -> ListRoots | None:
    """Ask for the client's roots only when it declares them; otherwise the configured folders are used."""
    capabilities = ctx.client_capabilities
    return ListRoots() if capabilities is not None and capabilities.roots is not None else None


def register_file_tools(server: MCPServer[AppState]) -> None:
    """Add ``count_files`` to ``server``."""

    # The Python name avoids shadowing the engine function; the tool keeps the public name.
    @server.tool(name="count_files", title="Count files", description=FILES_DESCRIPTION, annotations=ANNOTATIONS)
    async def count_files_tool(
        paths: Annotated[list[str], Field(min_length=1)],
        model: str,
        ctx: Context[AppState, Any],
        roots: Annotated[ListRootsResult | None, Resolve(roots_request)],
        max_tokens: int | None = None,
    ) -> Annotated[CallToolResult, FileCount]:
        state = ctx.request_context.lifespan_context

        async def progress(done: int, total: int) -> None:
            await ctx.report_progress(done, total)

        counted = await count_files(
            paths,
            _roots(roots, state.allowed_dirs),
            model=model,
            max_tokens=max_tokens,
            counter=state.counter,
            catalog=state.catalog,
            windows=state.windows,
            progress=progress,
        )
        return tool_result(counted)


def _roots(listed: ListRootsResult | None, allowed_dirs: tuple[str, ...]) -> list[Path]:
    """The client's file roots when it has any, else the configured folders."""
    from_client = roots_from_uris(str(root.uri) for root in listed.roots) if listed is not None else []
    return from_client or [Path(d).expanduser().resolve() for d in allowed_dirs]
