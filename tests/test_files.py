"""count_files through a real MCP client: roots, every escape refused, .gitignore, binaries, limits, progress."""

import base64
import io
import os
import socket
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client import ClientRequestContext
from mcp.client.session import ListRootsFnT
from mcp.types import CallToolResult, ListRootsResult, Root
from PIL import Image
from pydantic import FileUrl

from mcp_token_counter.files import collect as files
from mcp_token_counter.files import count as filecount
from mcp_token_counter.files import gitignore
from tests.standin import Standin
from tests.support import Mode, env_for, error_text, sent, server_for


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small repository: text, an image, a binary, an ignored folder and file, and a nested .gitignore."""
    root = tmp_path / "project"
    (root / "src" / "deep").mkdir(parents=True)
    (root / "build").mkdir()
    (root / "src" / "main.py").write_text("print('héllo, 世界')\n" * 20, encoding="utf-8")
    (root / "src" / "deep" / "notes.md").write_text("# Notes\n\nEmoji 🌧️ and RTL مرحبا.\n", encoding="utf-8")
    (root / "src" / "deep" / "secret.log").write_text("ignored by the nested .gitignore\n", encoding="utf-8")
    (root / "src" / "deep" / ".gitignore").write_text("*.log\n", encoding="utf-8")
    (root / "logo.png").write_bytes(_png())
    (root / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    (root / "empty.txt").write_text("  \n", encoding="utf-8")
    (root / "build" / "out.txt").write_text("generated\n", encoding="utf-8")
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("not yours\n", encoding="utf-8")
    return root


def _roots_callback(*roots: Path) -> ListRootsFnT:
    async def list_roots(context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=FileUrl(root.as_uri())) for root in roots])

    return list_roots


@asynccontextmanager
async def with_roots(env: dict[str, str], mode: Mode, *roots: Path) -> AsyncGenerator[Client]:
    async with Client(server_for(env), mode=mode, list_roots_callback=_roots_callback(*roots)) as client:
        yield client


async def _count(client: Client, *paths: str, **extra: Any) -> CallToolResult:
    return await client.call_tool("count_files", {"paths": list(paths), "model": "claude-sonnet-4-6", **extra})


@pytest.mark.anyio
async def test_a_folder_is_counted_per_file_with_gitignore_and_binaries_skipped(project: Path, mode: Mode) -> None:
    """Text and images are counted; ignored paths are absent; binary and empty files are listed as skipped."""
    async with with_roots({}, mode, project) as client:
        result = await _count(client, ".")
    content = result.structured_content
    assert content is not None, result
    assert list(content["files"]) == [
        ".gitignore",
        "logo.png",
        "src/main.py",
        "src/deep/.gitignore",
        "src/deep/notes.md",
    ]
    assert content["skipped"] == {"blob.bin": "binary", "empty.txt": "empty"}
    assert content["files"]["logo.png"] > 0
    assert content["input_tokens"] >= sum(content["files"].values())
    assert content["source"] == "estimate"
    assert content["fits"] is True
    assert content["context_window"] == 1_000_000
    assert content["estimated_input_cost_usd"] == round(content["input_tokens"] * 3 / 1e6, 6)


@pytest.mark.anyio
async def test_through_the_api_each_file_is_counted_once_more(project: Path, standin: Standin, mode: Mode) -> None:
    """The total is one count of all blocks; each file adds one call, plus one for the seed."""
    async with with_roots(env_for(standin), mode, project) as client:
        result = await _count(client, "src/*.py", "src/deep/notes.md")
    content = result.structured_content
    assert content is not None, result
    assert list(content["files"]) == ["src/main.py", "src/deep/notes.md"]
    assert content["source"] == "api"
    assert "per-file counts: 3 extra count_tokens calls" in content["notes"]
    assert len(standin.log.to("/v1/messages/count_tokens")) == 4


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("../outside.txt", "contains '..'"),
        ("src/../../outside.txt", "contains '..'"),
        ("{outside}", "outside the allowed roots"),
        ("link_out.txt", "through a symlink"),
        ("linked_dir/outside.txt", "through a symlink"),
        ("missing.txt", "does not exist"),
    ],
)
@pytest.mark.anyio
async def test_every_escape_from_the_roots_is_refused(project: Path, mode: Mode, path: str, fragment: str) -> None:
    """.., absolute paths outside, and symlinks (file or folder) pointing outside are tool errors."""
    outside = project.parent / "outside.txt"
    (project / "link_out.txt").symlink_to(outside)
    (project / "linked_dir").symlink_to(project.parent, target_is_directory=True)
    async with with_roots({}, mode, project) as client:
        result = await _count(client, path.format(outside=outside))
    assert fragment in error_text(result)


@pytest.mark.anyio
async def test_symlinks_met_in_a_folder_walk_are_skipped(project: Path, mode: Mode) -> None:
    """A symlink inside a counted folder that leads outside is not read."""
    (project / "src" / "escape.txt").symlink_to(project.parent / "outside.txt")
    async with with_roots({}, mode, project) as client:
        result = await _count(client, "src")
    assert result.structured_content is not None, result
    assert result.structured_content["skipped"]["src/escape.txt"] == "symlink outside the roots"


@pytest.mark.anyio
async def test_without_client_roots_the_configured_folders_are_used(project: Path, mode: Mode) -> None:
    """A client with no roots capability falls back to TOKEN_COUNTER_ALLOWED_DIRS."""
    env = {"TOKEN_COUNTER_ALLOWED_DIRS": str(project)}
    async with Client(server_for(env), mode=mode) as client:
        inside = await _count(client, "src/main.py")
        outside = await _count(client, str(project.parent / "outside.txt"))
    assert inside.structured_content is not None, inside
    assert list(inside.structured_content["files"]) == ["src/main.py"]
    assert "outside the allowed roots" in error_text(outside)


@pytest.mark.anyio
@pytest.mark.parametrize("where", ["home", "root"])
async def test_without_any_roots_the_home_folder_or_root_is_never_read(
    tmp_path: Path, mode: Mode, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Started in the home folder or in /, with no roots and no configured folders: the error says what to set."""
    (tmp_path / "secret.txt").write_text("ssh keys live here", encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path if where == "home" else "/")
    async with Client(server_for({}), mode=mode) as client:
        result = await _count(client, "." if where == "home" else str(tmp_path / "secret.txt"))
    assert "TOKEN_COUNTER_ALLOWED_DIRS" in error_text(result)


@pytest.mark.anyio
async def test_without_any_roots_the_servers_working_folder_is_the_root(
    project: Path, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Codex sends no roots and starts the server in the project: count_files reads that folder only."""
    monkeypatch.setenv("HOME", str(project.parent.parent))
    monkeypatch.chdir(project)
    async with Client(server_for({}), mode=mode) as client:
        inside = await _count(client, "src/main.py")
        outside = await _count(client, str(project.parent / "outside.txt"))
    assert inside.structured_content is not None, inside
    assert list(inside.structured_content["files"]) == ["src/main.py"]
    assert "outside the allowed roots" in error_text(outside)


@pytest.mark.anyio
async def test_size_limits_skip_files(project: Path, mode: Mode, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files over the per-file limit, and past the total limit, are skipped with the reason."""
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 300)
    monkeypatch.setattr(files, "MAX_TOTAL_BYTES", 30)  # src/deep/.gitignore (6 bytes) fits, notes.md does not
    async with with_roots({}, mode, project) as client:
        result = await _count(client, "src")
    assert result.structured_content is not None, result
    assert result.structured_content["skipped"] == {
        "src/main.py": "over the 300-byte file limit",
        "src/deep/notes.md": "past the 30-byte total limit",
    }


@pytest.mark.anyio
async def test_progress_is_reported_while_a_folder_is_counted(project: Path, mode: Mode) -> None:
    """One notification per count (the whole message, the seed and each of the three files), ending at the total.

    The whole message is a step of its own: offline it takes as long as the files together, and progress sat at
    0% through it before.
    """
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    async with with_roots({}, mode, project) as client:
        result = await client.call_tool(
            "count_files", {"paths": ["src"], "model": "claude-haiku-4-5"}, progress_callback=on_progress
        )
    assert not result.is_error, result
    assert sorted(seen) == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert seen[0] == (1, 5)


def test_pdf_and_image_blocks_carry_base64(project: Path) -> None:
    (project / "doc.pdf").write_bytes(b"%PDF-1.4 tiny")
    collected = files.collect(["doc.pdf", "logo.png"], [project])
    assert [(f.name, f.block["type"], f.block["source"]["media_type"]) for f in collected.files] == [
        ("doc.pdf", "document", "application/pdf"),
        ("logo.png", "image", "image/png"),
    ]
    assert base64.b64decode(collected.files[0].block["source"]["data"]) == b"%PDF-1.4 tiny"
    assert os.sep not in collected.files[0].name or os.sep == "/"


@pytest.mark.anyio
async def test_the_model_id_is_normalised_as_count_tokens_does(project: Path, standin: Standin, mode: Mode) -> None:
    """Claude Code's spelling of a model id reaches the API as its API id (the stand-in 404s on the raw one)."""
    async with with_roots(env_for(standin), mode, project) as client:
        result = await client.call_tool("count_files", {"paths": ["src/main.py"], "model": "claude-opus-4.6[1m]"})
    content = result.structured_content
    assert content is not None, result
    assert content["model"] == "claude-opus-4-6"
    assert {sent(r)["model"] for r in standin.log.to("/v1/messages/count_tokens")} == {"claude-opus-4-6"}


@pytest.mark.anyio
async def test_an_unknown_window_is_reported_before_any_file_is_read(project: Path, mode: Mode) -> None:
    """A model without a known window fails before the paths are looked at (a missing one would fail too),
    naming an argument count_files has; with that argument the files count."""
    async with with_roots({}, mode, project) as client:
        refused = await client.call_tool("count_files", {"paths": ["missing.txt"], "model": "claude-future-9"})
        counted = await client.call_tool(
            "count_files", {"paths": ["src"], "model": "claude-future-9", "context_window": 123_456}
        )
    assert "The context window of model 'claude-future-9' is unknown" in error_text(refused)
    assert "`context_window` argument" in error_text(refused)
    assert counted.structured_content is not None, counted
    assert counted.structured_content["context_window"] == 123_456


@pytest.mark.parametrize("max_tokens", [0, -100_000])
@pytest.mark.anyio
async def test_a_reserve_below_one_token_is_refused(project: Path, mode: Mode, max_tokens: int) -> None:
    """A negative reserve would report more room than the window has."""
    async with with_roots({}, mode, project) as client:
        result = await _count(client, "src/main.py", max_tokens=max_tokens)
    assert result.is_error, result
    assert result.structured_content is None


@pytest.mark.anyio
async def test_a_repeat_answered_by_the_cache_reports_no_extra_calls(
    project: Path, standin: Standin, mode: Mode
) -> None:
    """The second run sends nothing, and its note says the cache answered the per-file counts."""
    async with with_roots(env_for(standin), mode, project) as client:
        first = await _count(client, "src/main.py", "src/deep/notes.md")
        sent_before = len(standin.log.to("/v1/messages/count_tokens"))
        second = await _count(client, "src/main.py", "src/deep/notes.md")
    assert first.structured_content is not None, first
    assert second.structured_content is not None, second
    assert "per-file counts: 3 extra count_tokens calls" in first.structured_content["notes"]
    assert len(standin.log.to("/v1/messages/count_tokens")) == sent_before
    assert (
        "per-file counts: 0 extra count_tokens calls, 3 more answered from the cache"
        in (second.structured_content["notes"])
    )


@pytest.mark.anyio
async def test_pipes_sockets_and_symlink_loops_are_skipped_and_the_rest_counted(project: Path, mode: Mode) -> None:
    """Opening a named pipe would wait for a writer forever, and a symlink loop cannot be resolved."""
    os.mkfifo(project / "src" / "pipe")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(project / "src" / "sock"))
        (project / "src" / "loop").symlink_to(project / "src" / "loop")
        (project / "src" / "ping").symlink_to(project / "src" / "pong")
        (project / "src" / "pong").symlink_to(project / "src" / "ping")
        async with with_roots({}, mode, project) as client:
            with anyio.fail_after(30):
                walked = await _count(client, "src")
                named = await _count(client, "src/pipe", "src/loop", "src/main.py")
    assert walked.structured_content is not None, walked
    assert list(walked.structured_content["files"]) == ["src/main.py", "src/deep/.gitignore", "src/deep/notes.md"]
    assert walked.structured_content["skipped"] == {
        "src/loop": "symlink loop",
        "src/ping": "symlink loop",
        "src/pipe": "not a regular file (named pipe)",
        "src/pong": "symlink loop",
        "src/sock": "not a regular file (socket)",
    }
    assert named.structured_content is not None, named
    assert list(named.structured_content["files"]) == ["src/main.py"]
    assert set(named.structured_content["skipped"]) == {"src/pipe", "src/loop"}


@pytest.mark.anyio
async def test_a_huge_folder_gives_a_bounded_result_and_says_what_was_capped(
    tmp_path: Path, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading stops at the file limit, at most the largest files are listed by name, and skips are summarised."""
    monkeypatch.setattr(files, "MAX_FILES", 30)
    monkeypatch.setattr(files, "MAX_LISTED_SKIPS", 5)
    monkeypatch.setattr(filecount, "MAX_LISTED_FILES", 10)
    for index in range(40):
        (tmp_path / f"text{index:02}.md").write_text("word " * (index + 1), encoding="utf-8")
        (tmp_path / f"blob{index:02}.bin").write_bytes(b"\0" * 10)
    async with with_roots({}, mode, tmp_path) as client:
        result = await _count(client, ".")
    content = result.structured_content
    assert content is not None, result
    assert len(content["files"]) == 10
    assert len(content["skipped"]) == 5
    notes = " | ".join(content["notes"])
    assert "files: the 10 largest are listed; the other 20: .md " in notes
    assert "skipped: 35 more not listed: binary (35)" in notes  # every blob sorts before the texts
    assert "stopped reading at the 30-file limit" in notes


@pytest.mark.anyio
async def test_a_glob_that_would_search_outside_the_roots_is_refused(project: Path, mode: Mode) -> None:
    """'/**/*.md' would walk the whole disk before the roots filter a single match."""
    async with with_roots({}, mode, project) as client:
        result = await _count(client, "/**/*.md")
    assert "searches from /, outside the allowed roots" in error_text(result)


@pytest.mark.parametrize("pattern", ["docs/**/*.md", "*.rs", "build/*.txt"])
@pytest.mark.anyio
async def test_a_glob_matching_no_file_names_the_pattern(project: Path, mode: Mode, pattern: str) -> None:
    """Nothing at all, no such extension, or only files .gitignore excludes (build/ is ignored)."""
    async with with_roots({}, mode, project) as client:
        result = await _count(client, "src/main.py", pattern)
    assert f"The pattern {pattern!r} matches no file" in error_text(result)


def test_a_work_trees_exclude_file_and_the_global_excludes_file_apply_like_git_status(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """.git/info/exclude and $XDG_CONFIG_HOME/git/ignore leave files out, as git status does."""
    (project / ".git" / "info").mkdir(parents=True)
    (project / ".git" / "info" / "exclude").write_text("src/main.py\n", encoding="utf-8")
    config_home = tmp_path / "config"
    (config_home / "git").mkdir(parents=True)
    (config_home / "git" / "ignore").write_text("*.md\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.gitconfig naming another core.excludesFile
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    gitignore._global_spec.cache_clear()  # pyright: ignore[reportPrivateUsage]  # read once per process
    try:
        collected = files.collect(["src", "logo.png"], [project])
    finally:
        gitignore._global_spec.cache_clear()  # pyright: ignore[reportPrivateUsage]
    assert [f.name for f in collected.files] == ["src/deep/.gitignore", "logo.png"]
