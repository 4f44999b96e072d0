"""Debian's chromium driven by Playwright for Python, and the test host page that embeds the view.

Playwright cannot download its own browsers here, so it drives ``/usr/bin/chromium`` (installed by
``make test`` through ``.ci/chromium``). Every request the view makes is refused and recorded: it must make none.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import pytest
from playwright.sync_api import Browser, Frame, Page, Route, sync_playwright

CHROMIUM: Final = Path("/usr/bin/chromium")
FLAGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
HOST_PAGE: Final = (Path(__file__).parent / "view" / "host.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium for a test module."""
    assert CHROMIUM.exists(), "chromium is missing: run `make test` (it installs Debian's chromium) or apt-get it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield launched
        launched.close()


@dataclass
class Hosted:
    """A page running the test host, the view's frame in it, and the requests the page tried to make."""

    page: Page
    requests: list[str] = field(default_factory=lambda: [])

    @property
    def view(self) -> Frame:
        return self.page.main_frame.child_frames[0]

    def sent(self, method: str) -> list[dict[str, Any]]:
        """The messages the view sent the host with ``method``."""
        return self.page.evaluate("m => host.sent(m)", method)


type Theme = Literal["light", "dark"]


def open_page(browser: Browser, width: int, *, theme: Theme = "light") -> Hosted:
    """A fresh page ``width`` px wide whose every network request is refused and recorded."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=theme)
    hosted = Hosted(page)

    def refuse(route: Route) -> None:
        hosted.requests.append(route.request.url)
        route.abort()

    page.route("**/*", refuse)
    return hosted


def host_view(browser: Browser, html: str, width: int, **options: Any) -> Hosted:
    """The view rendered by the test host, which answers ui/initialize and then sends ``options``' input
    (``arguments``) and result (``result``, a CallToolResult in wire form) for ``options['tool']``."""
    hosted = open_page(browser, width, theme="dark" if options.get("theme") == "dark" else "light")
    hosted.page.set_content(HOST_PAGE)
    hosted.page.evaluate("([html, options]) => host.start(html, options)", [html, options])
    return hosted
