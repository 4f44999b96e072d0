"""The documentation site: ``mkdocs build --strict`` fails on a broken link, and the built site, served on
loopback and opened in Debian's chromium, navigates and searches; every README link into it lands on a page
and heading that exist."""

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import anyio
import pytest
from mcp.types import Tool
from playwright.sync_api import Browser, Page, Route

from tests.mcpb_host import ROOT
from tests.support import connected

MKDOCS: Final = Path(sys.executable).with_name("mkdocs")
SITE_URL: Final = "https://mcp-token-counter.github.io/mcp-token-counter/"
GITHUB_API: Final = "https://api.github.com/repos/mcp-token-counter/mcp-token-counter"
REPOSITORY_FILE: Final = re.compile(
    r"^https://(?:github\.com/mcp-token-counter/mcp-token-counter/blob|"
    r"raw\.githubusercontent\.com/mcp-token-counter/mcp-token-counter)/main/([^#]+)"
)


def build(root: Path, into: Path) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` of the project at ``root`` into ``into``, as `make test` runs it."""
    return subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(into)],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The test's output stays the test's: no access log on stderr."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    into = tmp_path_factory.mktemp("site")
    done = build(ROOT, into)
    assert done.returncode == 0, done.stderr
    return into


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site over HTTP on loopback (the search index is fetched, which file:// pages cannot do)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def page(browser: Browser, served: str) -> Iterator[Page]:
    """A page that may load only the served site: any other request is refused and fails the test, but the
    theme's repository widget asking GitHub's API for the star count (refused too)."""
    opened = browser.new_page(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []

    def only_loopback(route: Route) -> None:
        if route.request.url.startswith(served):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    opened.route("**/*", only_loopback)
    yield opened
    opened.close()
    assert [url for url in elsewhere if not url.startswith(GITHUB_API)] == []


def heading(page: Page) -> str:
    """The page's title, without the permalink sign beside it."""
    return page.locator("h1").first.inner_text().removesuffix("¶").strip()


def test_a_broken_link_fails_the_strict_build(tmp_path: Path) -> None:
    """The check `make test` relies on can fail: a link to a missing page and to a missing heading."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    (tmp_path / "scripts").mkdir()
    for hook in ("tool_reference.py", "tool_reference.toml"):  # mkdocs.yml's hook, which fills docs/tools.md
        shutil.copy(ROOT / "scripts" / hook, tmp_path / "scripts" / hook)
    with (tmp_path / "docs" / "index.md").open("a", encoding="utf-8") as index:
        index.write("\n[gone](no-such-page.md) and [nowhere](tools.md#no-such-heading)\n")
    done = build(tmp_path, tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-page.md" in done.stderr
    assert "no-such-heading" in done.stderr


def test_every_page_of_the_navigation_opens_from_the_home_page(page: Page, served: str) -> None:
    page.goto(served)
    assert heading(page) == "mcp-token-counter"
    links = page.locator("nav.md-nav--primary a.md-nav__link[href]")
    titles = {link.inner_text().strip(): link.get_attribute("href") for link in links.all() if link.inner_text()}
    for title in ("Getting started", "Connecting a client", "Tool reference", "Team deployment", "CLI reference"):
        assert title in titles, f"{title!r} is not in the navigation: {sorted(titles)}"
    page.locator("nav.md-nav--primary").get_by_role("link", name="Tool reference", exact=True).first.click()
    page.wait_for_url(f"{served}tools/")
    assert heading(page) == "Tool reference"
    page.locator("a.md-footer__link--next").click()
    page.wait_for_url(f"{served}offline/")
    assert heading(page) == "Offline estimates"


def test_the_search_finds_the_page_that_answers(page: Page, served: str) -> None:
    page.goto(served)
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("breakpoint cached")  # the theme searches on key events, which fill() skips
    first = page.locator(".md-search-result__item a").first
    first.wait_for()
    hrefs = [link.get_attribute("href") or "" for link in page.locator(".md-search-result__item a").all()]
    assert any("cost-and-caching/" in href for href in hrefs), hrefs
    page.locator(".md-search-result__item a[href*='cost-and-caching/']").first.click()
    page.wait_for_url(re.compile(r".*/cost-and-caching/.*"))
    assert heading(page) == "Cost and prompt caching"


def readme_links() -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", (ROOT / "README.md").read_text(encoding="utf-8"))


def test_every_readme_link_into_the_site_lands_on_a_built_page_and_heading(site: Path) -> None:
    into_site = [link for link in readme_links() if link.startswith(SITE_URL)]
    assert len(into_site) >= 10
    missing: list[str] = []
    for link in into_site:
        path, _, anchor = link.removeprefix(SITE_URL).partition("#")
        built = site / path / "index.html"
        if not built.is_file() or (anchor and f'id="{anchor}"' not in built.read_text(encoding="utf-8")):
            missing.append(link)
    assert missing == []


def test_every_readme_link_into_the_repository_names_a_file_that_exists() -> None:
    files = [m.group(1) for link in readme_links() if (m := REPOSITORY_FILE.match(link))]
    assert "LICENSE" in files
    assert [f for f in files if not (ROOT / f).is_file()] == []


class ToolBlocks(HTMLParser):
    """The built tool reference's generated blocks (``div[data-tool]``): each one's text and its tables' rows,
    every row a list of its cells' texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.text: dict[str, str] = {}
        self._tool: str | None = None
        self._depth = 0  # divs open inside the current block
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tool = dict(attrs).get("data-tool")
        if tag == "div" and self._tool is None and tool:
            self._tool, self._depth = tool, 0
            self.tables[tool], self.text[tool] = [], ""
        elif self._tool is None:
            return
        elif tag == "div":
            self._depth += 1
        elif tag == "table":
            self.tables[self._tool].append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._tool is None:
            return
        if tag == "div":
            self._depth -= 1
            self._tool = None if self._depth < 0 else self._tool
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._tool][-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._tool is not None:
            self.text[self._tool] += data
        if self._cell is not None:
            self._cell.append(data)


def tool_blocks(site: Path) -> ToolBlocks:
    blocks = ToolBlocks()
    blocks.feed((site / "tools" / "index.html").read_text(encoding="utf-8"))
    return blocks


def top_level(rows: list[list[str]]) -> list[str]:
    """The first column's names, without nested fields (``messages[].role``)."""
    return [row[0] for row in rows[1:] if row[0].isidentifier()]


def listed_tools() -> list[Tool]:
    """tools/list through the SDK's in-memory client, on a thread of its own: the module's Playwright keeps an
    event loop running on the test's thread."""

    async def listed() -> list[Tool]:
        async with connected({}) as client:
            return (await client.list_tools()).tools

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, listed).result()


def test_the_tool_reference_shows_every_tool_argument_and_result_field_that_tools_list_has(site: Path) -> None:
    """The built page against tools/list as a real client receives it: a tool, argument or result field missing
    from the page, or one the server no longer has, fails."""
    tools = listed_tools()
    blocks = tool_blocks(site)
    assert list(blocks.tables) == [tool.name for tool in tools]
    for tool in tools:
        arguments, *results = blocks.tables[tool.name]
        assert arguments[0][:3] == ["Argument", "Type", "Required"]
        assert top_level(arguments) == list(tool.input_schema["properties"]), tool.name
        required = [row[0] for row in arguments[1:] if row[0].isidentifier() and row[2] == "yes"]
        assert required == tool.input_schema["required"], tool.name
        assert all(row[-1] for row in arguments[1:]), f"{tool.name}: an argument without a description"
        if tool.output_schema is None:
            assert results == [], tool.name
        else:
            assert results[0][0][0] == "Result field"
            assert top_level(results[0]) == list(tool.output_schema["properties"]), tool.name
        assert tool.description is not None
        assert tool.description in " ".join(blocks.text[tool.name].split())
